"""``sectool traffic ingest``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sectool.traffic.ingest import IngestSummary

#: Seconds between two progress updates.
PROGRESS_INTERVAL = 0.2


class IngestProgress:
    """A progress bar over the bytes of the input files (compressed bytes for gzip files),
    with events and packets per second, updated every :data:`PROGRESS_INTERVAL` seconds by a
    background thread, so that it moves while a capture whose flows end late yields no events.

    Args:
        summary: the ingest's summary, filled in place by :func:`run_ingest`.
        total: the sum of the input files' sizes.
        enabled: show the bar (only when a person is watching a terminal).
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        summary: IngestSummary,
        total: int,
        *,
        enabled: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        from sectool.console import err

        self.summary = summary
        self.total = total
        self.clock = clock
        self.updates = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = 0.0
        self.progress = Progress(
            TextColumn("ingest"),
            BarColumn(bar_width=None),
            DownloadColumn(),
            TextColumn("{task.fields[rates]}", markup=False),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
            transient=True,
            auto_refresh=False,
        )
        self.task = self.progress.add_task("ingest", total=total or None, rates="")

    def update(self) -> None:
        """Show the current state (called by the thread, and once at the end)."""
        summary = self.summary
        elapsed = max(self.clock() - self._start, 1e-9)
        packets = summary.packets + (summary.current.packets if summary.current is not None else 0)
        rates = f"{summary.read:,} events ({summary.read / elapsed:,.0f}/s)"
        if packets:
            rates += f", {packets:,} packets ({packets / elapsed:,.0f}/s)"
        self.progress.update(self.task, completed=min(summary.bytes_read, self.total), rates=rates)
        self.progress.refresh()
        self.updates += 1

    def _run(self) -> None:
        while not self._stop.wait(PROGRESS_INTERVAL):
            self.update()

    def __enter__(self) -> IngestProgress:
        self._start = self.clock()
        self.progress.start()
        self._thread = threading.Thread(target=self._run, name="ingest-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, etype: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.update()
        self.progress.stop()


def register(app: typer.Typer) -> None:
    """Add the ingest command(s) to the traffic sub-app."""
    app.command("ingest")(ingest)
    app.command("retention")(retention)


def retention(
    keep_days: int = typer.Option(..., "--keep-days", help="Days of events to keep (UTC days, at least 1)."),
    es: str | None = typer.Option(None, "--es", help="Elasticsearch URL (default: SECTOOL_ES_URL)."),
    index_prefix: str = typer.Option(
        "sectool-events", "--index-prefix", help="Daily indices <prefix>-YYYY.MM.DD."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be deleted; delete nothing."),
) -> None:
    """Delete daily event indices older than the retention period (a GDPR retention rule)."""
    from sectool.console import out
    from sectool.errors import InputError
    from sectool.traffic.es.client import check_reachable, make_client, settings_from_env
    from sectool.traffic.es.retention import apply_retention
    from sectool.traffic.es.template import validate_prefix

    if keep_days < 1:
        raise InputError("must be at least 1", field="--keep-days", value=keep_days)
    validate_prefix(index_prefix)
    client = make_client(es)
    check_reachable(client, settings_from_env(es).url)
    plan = apply_retention(client, index_prefix, keep_days=keep_days, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    out.print(
        f"{verb} {len(plan.delete)} indices before {plan.cutoff.isoformat()}, kept {len(plan.keep)}",
        markup=False,
        highlight=False,
    )
    for name in plan.delete:
        out.print(f"  {name}", markup=False, highlight=False)


def ingest(
    files: list[Path] = typer.Argument(
        ...,
        help="Files, sensor folders (read recursively) or glob patterns: pcap, pcapng, Zeek logs "
        "(TSV/JSON, gzip), Suricata EVE JSON, ECS NDJSON, sectool's Parquet/JSONL event files.",
    ),
    es: str | None = typer.Option(None, "--es", help="Elasticsearch URL (default: SECTOOL_ES_URL)."),
    index_prefix: str = typer.Option(
        "sectool-events", "--index-prefix", help="Daily indices <prefix>-YYYY.MM.DD."
    ),
    site: str | None = typer.Option(None, "--site", help="Site or sensor name stamped on every event."),
    to: Path | None = typer.Option(
        None, "--to", help="Write events to a local .parquet or .jsonl file instead."
    ),
    internal: list[str] | None = typer.Option(
        None, "--internal", help="Internal CIDR (repeatable; default RFC 1918 and fc00::/7)."
    ),
    idle_timeout: float = typer.Option(
        60.0, "--idle-timeout", help="Seconds without packets that end a flow."
    ),
    active_timeout: float = typer.Option(
        1800.0, "--active-timeout", help="Seconds after which a long flow is split."
    ),
    max_retries: int = typer.Option(
        5, "--max-retries", help="Retries (with back-off) of a failed bulk request."
    ),
) -> None:
    """Read captures and sensor logs into Elasticsearch (or a local event file)."""
    from sectool.console import err, out, progress_enabled
    from sectool.errors import InputError
    from sectool.traffic.ingest import damage_error, run_ingest
    from sectool.traffic.inputs import expand_inputs
    from sectool.traffic.localstore import JSONL_SUFFIXES, PARQUET_SUFFIXES
    from sectool.traffic.readers import ReaderOptions
    from sectool.traffic.readers.options import DEFAULT_INTERNAL

    inputs = expand_inputs(files)
    if to is not None and to.suffix.lower() not in PARQUET_SUFFIXES | JSONL_SUFFIXES:
        raise InputError(
            "unsupported output type", field="--to", value=str(to), expected=".parquet or .jsonl"
        )
    if idle_timeout <= 0 or active_timeout <= 0:
        raise InputError("timeouts must be positive", field="--idle-timeout/--active-timeout")
    if max_retries < 0:
        raise InputError("must not be negative", field="--max-retries", value=max_retries)
    try:
        options = ReaderOptions(
            internal=tuple(internal) if internal else DEFAULT_INTERNAL,
            idle_timeout=idle_timeout,
            active_timeout=active_timeout,
            site=site,
        )
    except ValueError as exc:
        raise InputError(str(exc), field="--internal") from exc

    indexer = None
    if to is None or es is not None:
        from sectool.traffic.es.bulk import open_indexer

        indexer = open_indexer(es, index_prefix, max_retries=max_retries)

    from sectool.traffic.ingest import IngestSummary

    summary = IngestSummary()
    total = sum(item.path.stat().st_size for item in inputs)
    with IngestProgress(summary, total, enabled=progress_enabled()):
        run_ingest(inputs, options=options, site=site, indexer=indexer, to=to, summary=summary)

    for warning in summary.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    if summary.skipped:
        err.print(
            f"note: {len(summary.skipped)} files of the given folders hold no format sectool reads and were "
            f"skipped: {'; '.join(summary.skipped[:5])}{'; ...' if len(summary.skipped) > 5 else ''}",
            markup=False,
            highlight=False,
        )
    if summary.datasets:
        counts = ", ".join(f"{name} {count:,}" for name, count in sorted(summary.datasets.items()))
        count = f"{summary.files:,} file{'s' if summary.files != 1 else ''}"
        out.print(f"{count}; events per dataset: {counts or 'none'}", markup=False, highlight=False)
    parts = [f"read {summary.read:,}"]
    if indexer is not None:
        parts += [
            f"indexed {summary.indexed:,}",
            f"already present {summary.already_present:,}",
            f"rejected {summary.rejected:,}",
        ]
    if summary.written is not None:
        parts.append(f"written {summary.written:,} to {to}")
    out.print(", ".join(parts), markup=False, highlight=False)
    for reason in summary.reasons:
        err.print(f"rejected: {reason}", markup=False, highlight=False)
    damage = damage_error(summary)
    if damage is not None:
        raise damage
    if summary.rejected:
        from sectool.errors import ServiceError

        raise ServiceError(f"Elasticsearch rejected {summary.rejected} events (first reasons above)")
