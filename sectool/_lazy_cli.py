"""Sub-commands imported on first use, so that ``sectool traffic detect`` loads no risk register.

``sectool`` has one sub-app per concern (``risk``, ``audit``, ``traffic``, ``report``), each in
its own module with its own imports. Typer builds the whole command tree, so every sub-app
module would be imported by every ``sectool`` process. :class:`LazyGroup` is the root group
instead: it names each sub-app and its one-line help up front and imports the module only
when the command line (or shell completion) enters that sub-app. The commands list of
``sectool --help`` is drawn from placeholders built by Typer from the same name and help, so
it is the same text as before without importing anything.

Typer has no lazy sub-commands of its own (``add_typer`` takes a built ``Typer``); Click's
documented pattern for them is a ``Group`` whose ``get_command`` imports on demand, which is
what this is, on Typer's ``TyperGroup``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

import typer
import typer.main
from typer.core import TyperGroup

if TYPE_CHECKING:
    # Typer 0.29 vendors Click as typer._click; only the types come from there.
    from typer._click import Command, Context, HelpFormatter
    from typer.core import TyperOption

__all__ = ["LazyApp", "LazyGroup", "QuietHelpGroup", "build_group"]


@dataclass(frozen=True)
class LazyApp:
    """Where a sub-app lives and the help shown for it in its parent's command list.

    Attributes:
        module: dotted module name, e.g. ``sectool.traffic.cli``.
        help: the one-line help, as given to ``add_typer`` before.
        attribute: the module's ``typer.Typer`` instance.
    """

    module: str
    help: str
    attribute: str = "app"

    def load(self) -> typer.Typer:
        """Import the module and return its ``Typer``.

        Raises:
            TypeError: the attribute is not a ``typer.Typer`` (a wiring mistake).
        """
        app = getattr(import_module(self.module), self.attribute)
        if not isinstance(app, typer.Typer):
            raise TypeError(f"{self.module}.{self.attribute} is not a typer.Typer")
        return app


class QuietHelpGroup(TyperGroup):
    """A ``TyperGroup`` whose ``--help`` flag, when not given, is ``False`` rather than ``None``.

    Typer 0.29 coerces every parameter value that is not already a ``bool`` through a pydantic
    ``TypeAdapter``; the help flag of a group that a command line passes through (``sectool``
    and ``traffic`` in ``sectool traffic detect --help``) is ``None`` and so imports pydantic
    (about 0.1 s) to coerce nothing. With the default ``False`` Typer skips it. The flag's
    behaviour and help text are unchanged (the flag is eager, hidden from the callback, and
    shows no default).
    """

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        """Typer's help option, with ``False`` as its default."""
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option


def build_group(name: str, app: typer.Typer, help_text: str) -> TyperGroup:
    """The Click group Typer builds for ``parent.add_typer(app, name=name, help=help_text)``.

    Built through a throw-away parent with Typer's public API, so the result is what the
    eager ``add_typer`` gave: same help, panels, no-args behaviour and parameter handling.
    """
    parent = typer.Typer()
    parent.add_typer(app, name=name, help=help_text, cls=QuietHelpGroup)
    group = typer.main.get_group(parent).commands[name]
    assert isinstance(group, TyperGroup)
    return group


class LazyGroup(QuietHelpGroup):
    """The root group: eager commands as Typer built them, plus :attr:`lazy_apps` on demand.

    Subclass it with ``lazy_apps`` set (``typer.Typer(cls=...)`` instantiates the class). A
    lazy name is in :attr:`commands` from the start as a placeholder (an empty group with the
    real name and help), so the order of the command list, "did you mean" suggestions and
    ``--help`` stay as they were; :meth:`get_command` swaps in the real group on first use.
    """

    #: Sub-app name -> where it lives; listed after the eager commands, in this order.
    lazy_apps: ClassVar[Mapping[str, LazyApp]] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._placeholders: dict[str, Command] = {}
        self._listing = False
        for name, lazy in self.lazy_apps.items():
            placeholder = build_group(name, typer.Typer(), lazy.help)
            self._placeholders[name] = placeholder
            self.commands[name] = placeholder

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """The command ``cmd_name``; a lazy sub-app is imported here, unless help is listing."""
        command = self.commands.get(cmd_name)
        if command is None or self._listing:
            return command
        if command is self._placeholders.get(cmd_name):
            lazy = self.lazy_apps[cmd_name]
            command = build_group(cmd_name, lazy.load(), lazy.help)
            self.commands[cmd_name] = command  # same key: the listing order is kept
        return command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        """Typer's help; the commands list reads the placeholders (name and help only)."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
