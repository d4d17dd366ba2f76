"""Top-level commands ``sectool run``, ``sectool schedule`` and ``sectool demo``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the playbook commands to the root app."""
