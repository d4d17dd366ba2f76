"""``sectool traffic detect``: run the detectors over local event files or Elasticsearch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from sectool.errors import InputError


def _time(value: str | None, name: str, now: datetime | None = None) -> datetime | None:
    """ISO 8601, or (given ``now``) ``now`` and ``-<duration>`` such as ``-24h`` (cron-friendly)."""
    if value is None:
        return None
    from sectool.traffic.detect.config import parse_duration
    from sectool.traffic.detect.findings import parse_time

    text = value.strip()
    if now is not None and text == "now":
        return now
    if now is not None and text.startswith("-"):
        try:
            return now - parse_duration(text[1:])
        except ValueError:
            pass
    try:
        return parse_time(text)
    except ValueError:
        raise InputError(
            "not a date and time",
            field=name,
            value=value,
            expected="ISO 8601 (2026-03-03T00:00:00Z), 'now', or a duration back from now (-24h)",
        ) from None


def register(app: typer.Typer) -> None:
    """Add the detect command to the traffic sub-app."""

    @app.command("detect")
    def detect(
        files: list[Path] = typer.Argument(
            None, help="Event files (Parquet/JSONL); same as --from.", show_default=False
        ),
        from_: list[Path] = typer.Option(None, "--from", help="Event file (Parquet/JSONL); repeatable."),
        es_url: str = typer.Option(None, "--es", help="Elasticsearch URL (or SECTOOL_ES_URL with --index)."),
        index: str = typer.Option(
            None, "--index", help="Index pattern of the events, e.g. sectool-events-*."
        ),
        since: str = typer.Option(
            None,
            "--since",
            help="Start (ISO 8601, inclusive), or e.g. -24h (back from now); files: default the first event.",
        ),
        until: str = typer.Option(
            None, "--until", help="End (ISO 8601, exclusive), or now; files: default after the last event."
        ),
        detector: list[str] = typer.Option(
            None, "--detector", "-d", help="Run only this detector; repeatable."
        ),
        config: Path = typer.Option(None, "--config", help="Detector configuration (YAML)."),
        fmt: str = typer.Option("table", "--format", help="table or json."),
        write_findings: Path = typer.Option(
            None, "--write-findings", help="Upsert the findings into this JSONL file."
        ),
        findings_index: str = typer.Option(
            None,
            "--findings-index",
            help="With --es: upsert the findings into this index (e.g. sectool-findings).",
        ),
        state: Path = typer.Option(
            None,
            "--state",
            help="JSONL of findings already reported (re-alert state); new findings are added.",
        ),
        show_all: bool = typer.Option(
            False, "--all", help="Also list findings that are not new (re-alerts)."
        ),
        fail_on: str = typer.Option(
            None, "--fail-on", help="Exit 3 if a new finding has at least this severity."
        ),
        now_: str = typer.Option(None, "--now", help="The current time (ISO 8601); default: the clock."),
        batch_size: int = typer.Option(
            200_000, "--batch-size", min=1000, help="Events per chunk (local files)."
        ),
    ) -> None:
        """Find scans, beacons, tunnels, exfiltration, brute force, silent sensors and more."""
        from sectool.console import err, out
        from sectool.traffic.detect.backends.es_query import es_datetime
        from sectool.traffic.detect.config import load_config
        from sectool.traffic.detect.detectors import DETECTORS, build_detectors
        from sectool.traffic.detect.engine import run_detectors
        from sectool.traffic.detect.findings import (
            SEVERITIES,
            read_jsonl,
            render_table,
            split_new,
            write_jsonl,
        )

        paths = list(files or []) + list(from_ or [])
        if fmt not in ("table", "json"):
            raise InputError("unknown output format", field="--format", value=fmt, expected="table or json")
        if fail_on is not None and fail_on not in SEVERITIES:
            raise InputError(
                "unknown severity", field="--fail-on", value=fail_on, expected=", ".join(SEVERITIES)
            )
        if bool(paths) == bool(es_url or index):
            raise InputError(
                "give either event files (--from FILE...) or Elasticsearch (--es URL --index PATTERN)",
                field="--from/--es",
            )
        if index is None and es_url:
            raise InputError(
                "--es needs --index", field="--index", expected="an index pattern, e.g. sectool-events-*"
            )
        if findings_index and not (es_url or index):
            raise InputError("--findings-index needs --es", field="--findings-index")
        for name in detector or []:
            if name not in DETECTORS:
                raise InputError(
                    "unknown detector", field="--detector", value=name, expected=", ".join(DETECTORS)
                )
        now = _time(now_, "--now") or datetime.now(UTC)
        t0, t1 = _time(since, "--since", now), _time(until, "--until", now)
        if t0 is None or t1 is None:
            if not paths:
                raise InputError(
                    "Elasticsearch needs the range",
                    field="--since/--until",
                    expected="both, e.g. -24h and now",
                )
            from sectool.traffic.detect.span import data_span

            # Local files: the data's own span (first event to just after the last), so scores
            # do not depend on a range wider than the data.
            span = data_span([p for p in paths if p.exists()])
            if span is None:
                err.print("no events in the files: no findings", markup=False, highlight=False)
                return
            t0, t1 = t0 or span[0], t1 or span[1]
        cfg = load_config(config)
        specs = build_detectors(cfg, list(detector) if detector else None)

        es = None
        if paths:
            from sectool.traffic.detect.backends.local import PandasBackend

            for p in paths:
                if not p.exists():
                    raise InputError("event file not found", file=p)
            backend: object = PandasBackend(paths, batch_size=batch_size)
        else:
            from sectool.traffic.detect.backends.es import ElasticsearchBackend
            from sectool.traffic.detect.backends.es_connect import connect

            es = connect(es_url)
            backend = ElasticsearchBackend(es, index)
        from rich.progress import Progress

        from sectool.console import progress_enabled

        with Progress(console=err, disable=not progress_enabled(), transient=True) as progress:
            task = progress.add_task("detecting", total=len(specs))
            run = run_detectors(
                specs,
                backend,  # type: ignore[arg-type]
                since=t0,
                until=t1,
                config=cfg,
                skip_missing_fields=not detector,
                on_detector=lambda name: progress.update(task, advance=1, description=name),
            )
        previous = read_jsonl(state) if state is not None else []
        if es is not None and findings_index:
            from sectool.traffic.detect.sinks.es import read_findings

            previous += read_findings(es, index=findings_index, since=t0 - cfg.realert)
        new, repeated = split_new(run.findings, previous, cfg.realert)

        if write_findings is not None:
            write_jsonl(write_findings, run.findings)
        if es is not None and findings_index:
            from sectool.traffic.detect.sinks.es import write_findings as es_write

            es_write(es, run.findings, index=findings_index, now=now)
        if state is not None:
            # The file stays bounded: entries whose window ended more than the retention (never
            # less than the re-alert period) before this run's range (or --now, if earlier) go.
            # Measured from the analysed range, so rerunning an old range keeps its own entries.
            keep = max(cfg.state_retention, cfg.realert)
            write_jsonl(state, new, keep_after=min(t0, now) - keep)

        shown = sorted(
            run.findings if show_all else new, key=lambda f: (f.window_start, f.detector, f.entity.value)
        )
        for name, why in run.skipped.items():
            err.print(f"skipped {name}: {why}", markup=False, highlight=False)
        if fmt == "json":
            # split_new returns run.findings' own objects: identity is exact and O(1), where
            # list membership compared whole findings (evidence included) pairwise.
            fresh = {id(f) for f in new}
            doc = {
                "since": es_datetime(t0),
                "until": es_datetime(t1),
                "findings": [f.to_dict() | {"new": id(f) in fresh} for f in shown],
                "new": len(new),
                "repeated": len(repeated),
                "skipped": run.skipped,
            }
            out.print_json(json.dumps(doc), highlight=False)
        else:
            if shown:
                out.print(
                    render_table(shown, title=f"Findings {t0:%Y-%m-%d %H:%M} – {t1:%Y-%m-%d %H:%M} UTC")
                )
            err.print(
                f"{len(new)} new finding(s), {len(repeated)} repeated within the re-alert period "
                f"({cfg.realert}), {len(specs) - len(run.skipped)} detector(s) run",
                markup=False,
                highlight=False,
            )
        if fail_on is not None:
            limit = SEVERITIES.index(fail_on)
            if any(SEVERITIES.index(f.severity) >= limit for f in new):
                raise typer.Exit(3)
