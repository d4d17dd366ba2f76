"""``sectool traffic ingest``."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ingest command(s) to the traffic sub-app."""
    app.command("ingest")(ingest)


def ingest(
    files: list[Path] = typer.Argument(
        ..., help="pcap, pcapng, Zeek conn/dns logs, Suricata EVE JSON, ECS NDJSON."
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
    from sectool.traffic.localstore import JSONL_SUFFIXES, PARQUET_SUFFIXES
    from sectool.traffic.readers import ReaderOptions
    from sectool.traffic.readers.options import DEFAULT_INTERNAL

    for path in files:
        if not path.is_file():
            raise InputError("input file not found", file=path)
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
        from sectool.traffic.es.bulk import BulkIndexer
        from sectool.traffic.es.client import check_reachable, make_client, settings_from_env
        from sectool.traffic.es.template import ensure_template, validate_prefix

        validate_prefix(index_prefix)
        url = settings_from_env(es).url
        client = make_client(es, max_retries=2, retry_on_timeout=True)
        check_reachable(client, url)
        ensure_template(client, index_prefix)
        indexer = BulkIndexer(client, index_prefix, url=url, max_retries=max_retries)

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]ingest[/]"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed:,.0f} events"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        disable=not progress_enabled(),
        transient=True,
    )
    counter = {"n": 0}
    with progress:
        task = progress.add_task("ingest", total=None, rate="")

        def tick() -> None:
            counter["n"] += 1
            if counter["n"] % 5000 == 0:
                elapsed = progress.tasks[0].elapsed or 0.0
                rate = f"{counter['n'] / elapsed:,.0f}/s" if elapsed else ""
                progress.update(task, completed=counter["n"], rate=rate)

        summary = run_ingest(files, options=options, site=site, indexer=indexer, to=to, on_event=tick)
        progress.update(task, completed=counter["n"])

    for warning in summary.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
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
