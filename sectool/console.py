"""The shared rich consoles: results to stdout, messages and progress to stderr.

``out`` and ``err`` are made on first use (PEP 562 module ``__getattr__``): importing rich
costs tens of milliseconds, which a command that prints nothing through rich (``sectool
--version``, a usage error) should not pay. ``from sectool.console import err`` inside a
function body is the habit; at a module's top level it would import rich with the module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    #: Results (tables, JSON) go to stdout so that they can be piped.
    out: Console
    #: Messages, warnings and progress bars go to stderr.
    err: Console

__all__ = ["err", "out", "progress_enabled"]


def _console(name: str) -> Console:
    """The console ``name`` (``out`` or ``err``), made once and then kept in this module."""
    made: Console | None = globals().get(name)
    if made is not None:
        return made
    from rich.console import Console

    # emoji=False: ":smile:" in a hostile value must be printed as written, not as an emoji.
    console = Console(stderr=name == "err", soft_wrap=True, emoji=False)
    globals()[name] = console
    return console


def __getattr__(name: str) -> Console:
    """Make ``out`` or ``err`` on first access; other names do not exist."""
    if name in ("out", "err"):
        return _console(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def progress_enabled() -> bool:
    """Progress bars only when a person is watching a terminal."""
    return _console("err").is_terminal
