"""CLI commands of sectool.iso27001 (heavy imports stay inside the commands)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)
