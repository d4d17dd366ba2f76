"""``sectool traffic``: the sub-app; each concern registers its own commands."""

from __future__ import annotations

import typer

from sectool.traffic import cli_detect, cli_export, cli_ingest, cli_simulate

app = typer.Typer(no_args_is_help=True)
cli_ingest.register(app)
cli_simulate.register(app)
cli_detect.register(app)
cli_export.register(app)
