"""Resolve a playbook, run it with a progress display on stderr, print the outcome."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from sectool.console import err, out, progress_enabled
from sectool.errors import InputError
from sectool.playbook.model import Playbook, load_playbook, parse_playbook_text
from sectool.playbook.runner import LogSink, RunResult, StepRecord, run_playbook

__all__ = ["BUILTIN", "builtin_path", "execute", "resolve_playbook"]

#: Shipped playbooks by name (package data; identical copies live in the repository's playbooks/).
BUILTIN = ("demo", "nightly-traffic", "quarterly-forum-report")

_MARK = {"ok": "✓", "failed": "✗", "unavailable": "–", "skipped": "·", "planned": "○"}


def builtin_path(name: str) -> Path:
    """The file of a shipped playbook."""
    return Path(str(resources.files("sectool.playbook").joinpath("builtin", f"{name}.yml")))


def resolve_playbook(spec: str) -> Playbook:
    """A playbook file, or a shipped playbook by name when no such file exists."""
    path = Path(spec)
    if path.exists() or spec not in BUILTIN:
        if not path.exists():
            raise InputError(
                "playbook not found", file=path, expected=f"a playbook file or one of: {', '.join(BUILTIN)}"
            )
        return load_playbook(path)
    text = resources.files("sectool.playbook").joinpath("builtin", f"{spec}.yml").read_text(encoding="utf-8")
    return parse_playbook_text(text, file=f"<shipped>/{spec}.yml")


def _line(rec: StepRecord, total: int) -> str:
    counts = ", ".join(f"{k}={v:,}" for k, v in rec.outcome.counts.items())
    took = f"{rec.duration:.1f}s" if rec.duration is not None else ""
    mark = _MARK.get(rec.status, "?")
    text = f"{mark} {rec.index + 1}/{total} {rec.label:<24} {rec.status:<11} {took:>7}  {counts}"
    if rec.error:
        text += f"\n    {rec.error}"
    for note in rec.outcome.notes:
        text += f"\n    note: {note}"
    return text.rstrip()


def execute(
    spec: str,
    *,
    workdir: Path,
    dry_run: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    log_file: Path | None = None,
    json_log: bool = False,
    lock_dir: Path | None = None,
    show_report: bool = False,
) -> int:
    """Run a playbook for the CLI; returns the exit code."""
    pb = resolve_playbook(spec)
    now = datetime.now(UTC)
    workdir = workdir.expanduser().resolve()
    end = until or now
    start = since or end - pb.window
    if start >= end:
        raise InputError("--since must be before --until", field="--since", value=start.isoformat())
    if log_file is None and pb.log:
        log_file = workdir / pb.log
    with ExitStack() as stack:
        sink = LogSink(None if dry_run else log_file, sys.stdout if json_log else None)
        stack.callback(sink.close)
        progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not progress_enabled(),
        )
        stack.enter_context(progress)
        task = progress.add_task(pb.name, total=len(pb.steps))

        def on_start(rec: StepRecord, total: int) -> None:
            progress.update(task, description=f"{pb.name}: {rec.label}")

        def on_step(rec: StepRecord, total: int) -> None:
            progress.advance(task)
            progress.console.print(_line(rec, total), markup=False, highlight=False)

        err.print(
            f"playbook {pb.name}: {len(pb.steps)} steps, {start.isoformat()} .. {end.isoformat()}, "
            f"workdir {workdir}" + (" (dry run)" if dry_run else ""),
            markup=False,
            highlight=False,
        )
        result = run_playbook(
            pb,
            workdir=workdir,
            since=start,
            until=end,
            now=now,
            log=sink,
            lock_dir=lock_dir,
            dry_run=dry_run,
            on_step=on_step,
            on_start=on_start,
        )
    _finish(pb, result, log_file if not dry_run else None, show_report=show_report, json_log=json_log)
    return result.exit_code


def _finish(
    pb: Playbook, result: RunResult, log_file: Path | None, *, show_report: bool, json_log: bool = False
) -> None:
    if result.failed is not None:
        failed = result.failed
        err.print(
            f"playbook {pb.name} failed at step {failed.index + 1} ({failed.label}): {failed.error}; "
            "earlier steps kept their output, later steps did not run",
            markup=False,
            highlight=False,
        )
    elif result.exit_code == 3:
        err.print(
            f"alert: findings at severity {result.max_severity} (alert severity {pb.alert_severity})",
            markup=False,
            highlight=False,
        )
    unavailable = [s for s in result.steps if s.status == "unavailable"]
    if unavailable:
        err.print(
            f"warning: {len(unavailable)} step(s) unavailable in this installation; "
            "their sections show 'no data'",
            markup=False,
            highlight=False,
        )
    if log_file is not None:
        err.print(f"log: {log_file}", markup=False, highlight=False)
    report = result.state.get("report")
    if show_report and report is not None:
        # With --json, stdout carries only JSON lines: the human lines go to stderr.
        human = err if json_log else out
        human.print("The forum report is ready:", markup=False, highlight=False)
        for path in report.paths:
            human.print(f"  {path}", markup=False, highlight=False)
        for warning in report.warnings:
            err.print(f"warning: {warning}", markup=False, highlight=False)
        # The forum reads Danish first; the English version is named too.
        html = sorted((p for p in report.paths if p.suffix == ".html"), key=lambda p: ".da." not in p.name)
        if html:
            also = "".join(f"\n  or {p.as_uri()}" for p in html[1:])
            human.print(f"Open {html[0].as_uri()} in a browser{also}", markup=False, highlight=False)
