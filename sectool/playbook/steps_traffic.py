"""Traffic steps: ``traffic.simulate``, ``traffic.ingest``, ``traffic.detect``."""

from __future__ import annotations

import glob
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from sectool.errors import InputError
from sectool.playbook.steps import Params, RunContext, StepOutcome, StepUnavailable, register_step

__all__ = ["DetectParams", "IngestParams", "SimulateParams"]


def _expand(ctx: RunContext, patterns: list[str]) -> list[Path]:
    """Paths and globs (relative to the working directory), sorted, each pattern must match."""
    files: list[Path] = []
    for pattern in patterns:
        full = ctx.path(pattern)
        if any(ch in pattern for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(str(full)))
            if not matches:
                raise InputError("no file matches", field="inputs", value=pattern)
            files.extend(matches)
        else:
            files.append(full)
    return files


# --------------------------------------------------------------------------- simulate


class SimulateParams(Params):
    """Simulated traffic with injected attacks (the demo's data source)."""

    out: str = "data/simulated"
    seed: int = 7
    #: Hours to simulate, ending at the run's ``--until`` (default: the whole run window).
    hours: int | None = Field(default=None, ge=1, le=24 * 31)


@register_step(
    "traffic.simulate", SimulateParams, "simulate labelled traffic with attacks (local events file)"
)
def simulate_step(params: SimulateParams, ctx: RunContext) -> StepOutcome:
    try:
        from sectool.traffic.simulate import simulate, write_simulation
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise StepUnavailable(f"the traffic simulator is not available: {exc}") from None
    window_hours = max(1, int((ctx.until - ctx.since).total_seconds() // 3600))
    hours = params.hours or window_hours
    start = (ctx.until - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    sim = simulate(params.seed, hours=hours, start=start)
    out = ctx.path(params.out)
    summary: dict[str, Any] = write_simulation(sim, out, fmt="ecs", events_name="events.parquet")
    events = Path(summary["events_file"])
    ctx.state.setdefault("events", []).append(events)
    ctx.state["traffic_range"] = (start, start + timedelta(hours=hours))
    return StepOutcome(
        counts={"events": int(summary["events"]), "attacks": int(summary["attacks"])},
        outputs=[str(events), str(summary["ground_truth"])],
    )


# --------------------------------------------------------------------------- ingest


class IngestParams(Params):
    """Read captures and sensor logs into a local events file and/or Elasticsearch."""

    inputs: list[str] = Field(min_length=1)
    to: str | None = None
    elasticsearch: bool = False
    #: Environment variable holding the Elasticsearch URL (credentials only from the environment).
    es_url_env: str = "SECTOOL_ES_URL"
    index_prefix: str = "sectool-events"
    site: str | None = None
    internal: list[str] | None = None

    @model_validator(mode="after")
    def _destination(self) -> IngestParams:
        if self.to is None and not self.elasticsearch:
            raise ValueError("give 'to' (a local .parquet/.jsonl file) or 'elasticsearch: true'")
        return self


def _es_url(env: str) -> str:
    url = os.environ.get(env)
    if not url:
        raise InputError(
            f"environment variable {env} is not set", field="es_url_env", expected="an Elasticsearch URL"
        )
    return url


@register_step(
    "traffic.ingest", IngestParams, "read pcap/Zeek/EVE/ECS files into events (local file or Elasticsearch)"
)
def ingest_step(params: IngestParams, ctx: RunContext) -> StepOutcome:
    try:
        from sectool.traffic.ingest import run_ingest
        from sectool.traffic.readers import ReaderOptions
        from sectool.traffic.readers.options import DEFAULT_INTERNAL
    except ImportError as exc:  # pragma: no cover
        raise StepUnavailable(f"traffic ingest is not available: {exc}") from None
    files = _expand(ctx, params.inputs)
    options = ReaderOptions(
        internal=tuple(params.internal) if params.internal else DEFAULT_INTERNAL, site=params.site
    )
    indexer = None
    if params.elasticsearch:
        from sectool.traffic.es.bulk import open_indexer

        indexer = open_indexer(_es_url(params.es_url_env), params.index_prefix)
        ctx.state["es"] = {"url_env": params.es_url_env, "index": f"{params.index_prefix}-*"}
    to = ctx.path(params.to) if params.to else None
    summary = run_ingest(files, options=options, site=params.site, indexer=indexer, to=to)
    outcome = StepOutcome(counts={"files": summary.files, "read": summary.read})
    if indexer is not None:
        outcome.counts.update(indexed=summary.indexed, rejected=summary.rejected)
    if to is not None:
        outcome.counts["written"] = summary.written or 0
        outcome.outputs.append(str(to))
        ctx.state.setdefault("events", []).append(to)
    outcome.notes.extend(summary.warnings)
    return outcome


# --------------------------------------------------------------------------- detect


class DetectParams(Params):
    """Run the anomaly detectors over local events or an Elasticsearch index pattern."""

    source: Literal["local", "elasticsearch"] = "local"
    #: Local event files (globs allowed); default: the events written by earlier steps.
    from_: list[str] | None = Field(default=None, alias="from")
    es_url_env: str = "SECTOOL_ES_URL"
    index: str = "sectool-events-*"
    detectors: list[str] | None = None
    #: Detection configuration YAML (thresholds, allowlists, internal ranges); default: built in.
    config: str | None = None
    #: Findings as JSONL (upsert by id; the report reads these); ``{date}`` is the run's end date.
    out: str = "findings/findings-{date}.jsonl"
    #: With Elasticsearch: also upsert the findings into this index (e.g. sectool-findings).
    findings_index: str | None = None
    #: Re-alert state (JSONL): findings already reported; only new ones count for the alert.
    state: str | None = None

    @model_validator(mode="after")
    def _source(self) -> DetectParams:
        if self.source == "local" and self.findings_index:
            raise ValueError("findings_index needs source: elasticsearch")
        if self.source == "elasticsearch" and self.from_:
            raise ValueError("'from' (local files) does not go with source: elasticsearch")
        return self


@register_step(
    "traffic.detect", DetectParams, "detect anomalies (pandas locally, or Elasticsearch aggregations)"
)
def detect_step(params: DetectParams, ctx: RunContext) -> StepOutcome:
    from sectool.playbook.detect_bridge import run_detection

    if params.source == "local":
        files = _expand(ctx, params.from_) if params.from_ else list(ctx.state.get("events", []))
        if not files:
            raise InputError(
                "no events to detect on: give 'from' or run traffic.simulate/traffic.ingest first",
                field="from",
            )
        es_url = None
    else:
        files = []
        es_url = _es_url(params.es_url_env)
    out = ctx.path(params.out.replace("{date}", ctx.until.date().isoformat()))
    result = run_detection(
        files=files,
        es_url=es_url,
        index=params.index,
        since=ctx.since,
        until=ctx.until,
        now=ctx.now,
        detectors=params.detectors,
        out=out,
        config=ctx.path(params.config) if params.config else None,
        findings_index=params.findings_index,
        state=ctx.path(params.state) if params.state else None,
    )
    ctx.state.setdefault("findings", []).extend(result.findings)
    # The alert.send step sends only these: the others were reported within the re-alert period.
    ctx.state.setdefault("new_findings", []).extend(result.new)
    ctx.state.setdefault("findings_files", []).append(out)
    ctx.state.setdefault("traffic_range", (ctx.since, ctx.until))
    # The alert looks at new findings only: a finding repeated within the re-alert period
    # was already alerted on.
    severities: dict[str, int] = {}
    for f in result.new:
        severities[str(f["severity"])] = severities.get(str(f["severity"]), 0) + 1
    counts = {"findings": len(result.findings), "new": len(result.new)}
    counts.update({f"new_{k}": v for k, v in sorted(severities.items())})
    return StepOutcome(
        counts=counts,
        outputs=[str(out)],
        severities=severities,
        notes=[f"skipped {name}: {why}" for name, why in result.skipped.items()],
    )


def window_of(ctx: RunContext) -> tuple[datetime, datetime]:
    """The traffic time range the run looked at (for the report's appendix)."""
    rng = ctx.state.get("traffic_range")
    return rng if rng else (ctx.since, ctx.until)
