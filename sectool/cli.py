"""The ``sectool`` command: parse arguments, call the library, map errors to exit codes.

Exit codes: 0 success; 1 failure (a step or service failed, or an internal error);
2 bad input or usage (the message names the file, line and field); 3 findings at or
above the alert severity of a playbook (``sectool run``).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import ClassVar

import typer

from sectool import __version__
from sectool._lazy_cli import LazyApp, LazyGroup
from sectool.errors import SectoolError
from sectool.playbook.cli import register as register_playbook_commands

# Start-up time is part of every cron run and every command a person types: this module and
# what it imports stay light (see bench/bench_startup.py and tests/test_cli_startup.py). The
# sub-apps load when the command line enters them; heavy libraries load in command bodies.


class _Root(LazyGroup):
    """``sectool``: the playbook commands, then the sub-apps, each imported on first use."""

    lazy_apps: ClassVar[Mapping[str, LazyApp]] = {
        "risk": LazyApp(
            "sectool.iso27001.cli", "ISO/IEC 27001 risk register: validate, score, heat map, SoA."
        ),
        "audit": LazyApp("sectool.practice_audit.cli", "GP-clinic security self-assessment."),
        "traffic": LazyApp("sectool.traffic.cli", "Traffic: ingest, simulate, detect anomalies."),
        "report": LazyApp("sectool.report.cli", "Reports for the health cyber forum."),
    }


app = typer.Typer(
    name="sectool",
    cls=_Root,
    help="Security toolkit for the Danish health sector.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
register_playbook_commands(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sectool {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Security toolkit for the Danish health sector."""


class _OneLineHandler(logging.Handler):
    """Libraries' warnings (the Elasticsearch transport retrying a request, for example) as one
    line on stderr: without it Python's last-resort handler prints them with their traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                message = f"{message}: {type(exc).__name__}: {exc}"
            from sectool.console import err
            from sectool.safetext import strip_controls

            text = strip_controls(f"{record.levelname.lower()}: {record.name}: {message}".replace("\n", " "))
            err.print(text, markup=False, highlight=False, soft_wrap=True)
        except Exception:  # logging must never break the command
            self.handleError(record)


#: Libraries whose warnings reach the user: the Elasticsearch client and its transport (retries,
#: nodes put on timeout). Others keep their own configuration.
_LIBRARY_LOGGERS = ("elastic_transport", "elasticsearch")


@contextmanager
def _library_logging() -> Iterator[None]:
    """While a command runs, warnings from :data:`_LIBRARY_LOGGERS` go through
    :class:`_OneLineHandler`; ``SECTOOL_DEBUG`` keeps Python's default (with tracebacks)."""
    if os.environ.get("SECTOOL_DEBUG"):
        yield
        return
    handler = _OneLineHandler(logging.WARNING)
    loggers = [logging.getLogger(name) for name in _LIBRARY_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises for user errors)."""
    with _library_logging():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    try:
        # Standalone mode: typer prints usage errors itself and exits 2 through SystemExit.
        app(args=list(argv) if argv is not None else None, prog_name="sectool")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except SectoolError as exc:
        # Imported here, on the error path: safetext needs pydantic, which `sectool --help` does not load.
        from sectool.console import err
        from sectool.safetext import strip_controls

        err.print(f"error: {strip_controls(str(exc))}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        from sectool.console import err

        err.print("interrupted", markup=False, highlight=False)
        return 130
    except Exception as exc:
        from sectool.console import err

        if os.environ.get("SECTOOL_DEBUG"):
            traceback.print_exc()
        err.print(
            f"internal error: {type(exc).__name__}: {exc} (set SECTOOL_DEBUG=1 for the traceback)",
            markup=False,
            highlight=False,
        )
        return 1
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
