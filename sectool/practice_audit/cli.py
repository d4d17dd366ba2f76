"""``sectool audit``: the sub-app; the offline commands and the web server register themselves."""

from __future__ import annotations

import typer

from sectool.practice_audit import cli_offline
from sectool.practice_audit.web import cli as web_cli

app = typer.Typer(no_args_is_help=True)
cli_offline.register(app)
web_cli.register(app)
