"""Run detectors: each spec's queries through a backend, then the scorer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sectool.errors import InputError
from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scoring import ScoreContext, score
from sectool.traffic.detect.spec import Backend, DetectorSpec, MissingFieldError

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
            tables = {q.name: backend.run(q, since, until) for q in spec.queries}
        except MissingFieldError as exc:
            if not skip_missing_fields:
                raise
            run.skipped[spec.name] = str(exc)
            if on_detector is not None:
                on_detector(spec.name)
            continue
        run.buckets[spec.name] = sum(len(t) for t in tables.values())
        run.findings.extend(score(spec, tables, ctx))
        if on_detector is not None:
            on_detector(spec.name)
    return run
