"""``sectool traffic ingest``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ingest command(s) to the traffic sub-app."""
