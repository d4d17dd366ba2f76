"""``sectool audit template|score|import|invite|export``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the offline commands to the audit sub-app."""
