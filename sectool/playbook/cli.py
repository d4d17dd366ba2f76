"""Top-level commands ``sectool run``, ``sectool schedule`` and ``sectool demo``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import typer

from sectool.errors import InputError

__all__ = ["parse_time", "register"]


def parse_time(text: str, field: str) -> datetime:
    """ISO 8601 date or date-time; a date means its midnight (UTC); naive times are UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            "not a time",
            field=field,
            value=text,
            expected="ISO 8601, e.g. 2026-11-24 or 2026-11-24T02:00:00Z",
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def run(
    playbook: str = typer.Argument(
        ..., help="Playbook file, or a shipped one by name (demo, nightly-traffic, ...)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and print the plan; run nothing."),
    since: str | None = typer.Option(
        None, "--since", help="Start of the time range (default: until - window)."
    ),
    until: str | None = typer.Option(None, "--until", help="End of the time range (default: now)."),
    workdir: Path = typer.Option(
        Path("."), "--workdir", "-C", help="Working directory: relative paths in the playbook resolve here."
    ),
    log_file: Path | None = typer.Option(
        None, "--log-file", help="Append JSON log lines here (default: the playbook's 'log', if any)."
    ),
    json_log: bool = typer.Option(False, "--json", help="Also write the JSON log lines to stdout."),
    lock_dir: Path | None = typer.Option(None, "--lock-dir", help="Lock files (default: <workdir>/.locks)."),
) -> None:
    """Run a playbook's steps in order (exit 0 ok, 1 a step failed, 3 findings at the alert severity)."""
    from sectool.playbook.execute import execute

    code = execute(
        playbook,
        dry_run=dry_run,
        since=parse_time(since, "--since") if since else None,
        until=parse_time(until, "--until") if until else None,
        workdir=workdir,
        log_file=log_file,
        json_log=json_log,
        lock_dir=lock_dir,
    )
    raise typer.Exit(code)


def schedule(
    crontab: bool = typer.Option(False, "--crontab", help="Print crontab lines for the playbooks."),
    directory: Path | None = typer.Option(
        None,
        "--dir",
        help="Playbook directory (default: ./playbooks if present, else the shipped playbooks).",
    ),
    workdir: Path = typer.Option(
        Path("."), "--workdir", "-C", help="Working directory of the scheduled runs."
    ),
) -> None:
    """Show when the playbooks run; with --crontab, print the lines to install with 'crontab -e'."""
    from sectool.console import out
    from sectool.playbook.schedule import crontab_lines, schedule_table

    if crontab:
        for line in crontab_lines(directory, workdir=workdir):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    else:
        out.print(schedule_table(directory, now=datetime.now(UTC)))


def demo(
    workdir: Path = typer.Option(
        Path("."), "--workdir", "-C", help="Where data/, findings/ and reports/ go."
    ),
    json_log: bool = typer.Option(False, "--json", help="Also write the JSON log lines to stdout."),
) -> None:
    """Run the embedded demo end to end (no server) and print where the report is."""
    from sectool.playbook.execute import execute

    code = execute("demo", workdir=workdir, json_log=json_log, show_report=True)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the playbook commands to the root app."""
    app.command("run")(run)
    app.command("schedule")(schedule)
    app.command("demo")(demo)
