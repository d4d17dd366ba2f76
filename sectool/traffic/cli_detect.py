"""``sectool traffic detect``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the detect command(s) to the traffic sub-app."""
