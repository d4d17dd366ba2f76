"""Run detectors: each spec's queries through a backend, then the scorer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sectool.errors import InputError
from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scoring import ScoreContext, finding_order, score
from sectool.traffic.detect.spec import Backend, DetectorSpec, MissingFieldError, PartsBackend

__all__ = ["DetectionRun", "run_detectors"]


@dataclass
class DetectionRun:
    """Findings of a run, and the detectors that could not run (name -> reason)."""

    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, int] = field(default_factory=dict)


def run_detectors(
    specs: Sequence[DetectorSpec],
    backend: Backend,
    *,
    since: datetime,
    until: datetime,
    config: DetectConfig,
    skip_missing_fields: bool = False,
    on_detector: Callable[[str], None] | None = None,
) -> DetectionRun:
    """Run ``specs`` over ``[since, until)``.

    Args:
        skip_missing_fields: When the events lack a field a detector needs, skip that detector
            and record why (used when running *all* detectors over data that has, say, no
            authentication events); otherwise the :class:`MissingFieldError` propagates.
        on_detector: Called with each detector's name when it is done (progress bars).
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise InputError(
            "since/until need a time zone", field="since", expected="ISO 8601 with Z or an offset"
        )
    if until <= since:
        raise InputError(
            "the range is empty: --until must be after --since",
            field="until",
            value=until.isoformat(),
            expected=f"after {since.isoformat()}",
        )
    ctx = ScoreContext(since=since, until=until, config=config)
    run = DetectionRun()
    for spec in specs:
        try:
            found, buckets = _run_one(spec, backend, since, until, ctx)
        except MissingFieldError as exc:
            if not skip_missing_fields:
                raise
            run.skipped[spec.name] = str(exc)
            if on_detector is not None:
                on_detector(spec.name)
            continue
        run.buckets[spec.name] = buckets
        run.findings.extend(found)
        if on_detector is not None:
            on_detector(spec.name)
    return run


def _run_one(
    spec: DetectorSpec, backend: Backend, since: datetime, until: datetime, ctx: ScoreContext
) -> tuple[list[Finding], int]:
    """The findings of one detector and the number of buckets its scorer saw."""
    run_parts = getattr(backend, "run_parts", None)
    if spec.row_wise and len(spec.queries) == 1 and run_parts is not None:
        # Part by part: the backend holds one part's rows (and their series) at a time.
        (query,) = spec.queries
        found: list[Finding] = []
        buckets = 0
        for part in cast(PartsBackend, backend).run_parts(query, since, until):
            buckets += len(part)
            found.extend(score(spec, {query.name: part}, ctx))
            del part  # before the backend fetches the next part's series
        return sorted(found, key=finding_order), buckets
    tables = {q.name: backend.run(q, since, until) for q in spec.queries}
    return score(spec, tables, ctx), sum(len(t) for t in tables.values())
