"""The shared rich consoles: results to stdout, messages and progress to stderr."""

from __future__ import annotations

from rich.console import Console

# emoji=False: ":smile:" in a hostile value must be printed as written, not as an emoji.
#: Results (tables, JSON) go to stdout so that they can be piped.
out = Console(soft_wrap=True, emoji=False)
#: Messages, warnings and progress bars go to stderr.
err = Console(stderr=True, soft_wrap=True, emoji=False)


def progress_enabled() -> bool:
    """Progress bars only when a person is watching a terminal."""
    return err.is_terminal
