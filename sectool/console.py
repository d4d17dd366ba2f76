"""The shared rich consoles: results to stdout, messages and progress to stderr."""

from __future__ import annotations

from rich.console import Console

#: Results (tables, JSON) go to stdout so that they can be piped.
out = Console(soft_wrap=True)
#: Messages, warnings and progress bars go to stderr.
err = Console(stderr=True, soft_wrap=True)


def progress_enabled() -> bool:
    """Progress bars only when a person is watching a terminal."""
    return err.is_terminal
