"""The one place where the playbook calls the traffic area's detection library.

Kept separate so that the detect step's contract (finding dicts in the JSONL shape of
``Finding.to_dict()``) stays stable while the detection library evolves. It does what
``sectool traffic detect`` does, as library calls: detector specs from the detection
configuration, the pandas backend over local event files or the Elasticsearch backend
(aggregations pushed down), the JSONL sink (upsert by id) and, optionally, the
Elasticsearch findings index and the re-alert state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.playbook.steps import StepUnavailable

__all__ = ["DetectionResult", "run_detection"]


@dataclass
class DetectionResult:
    """All findings (dicts), the new ones (not seen within the re-alert period), skipped detectors."""

    findings: list[dict[str, Any]] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def run_detection(
    *,
    files: Sequence[Path],
    es_url: str | None,
    index: str,
    since: datetime,
    until: datetime,
    now: datetime,
    detectors: Sequence[str] | None,
    out: Path,
    config: Path | None = None,
    findings_index: str | None = None,
    state: Path | None = None,
) -> DetectionResult:
    """Run the detectors over ``files`` (pandas) or ``index`` on ``es_url``; write ``out`` (JSONL)."""
    try:
        from sectool.traffic.detect.config import load_config
        from sectool.traffic.detect.detectors import DETECTORS, build_detectors
        from sectool.traffic.detect.engine import run_detectors
        from sectool.traffic.detect.findings import read_jsonl, split_new, write_jsonl
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise StepUnavailable(f"traffic detection is not available in this installation: {exc}") from None
    for name in detectors or []:
        if name not in DETECTORS:
            raise InputError("unknown detector", field="detectors", value=name, expected=", ".join(DETECTORS))
    cfg = load_config(config)
    specs = build_detectors(cfg, list(detectors) if detectors else None)
    es = None
    backend: Any
    if es_url is None:
        from sectool.traffic.detect.backends.local import PandasBackend

        for p in files:
            if not p.exists():
                raise InputError("event file not found", file=p)
        backend = PandasBackend(list(files))
    else:
        from sectool.traffic.detect.backends.es import ElasticsearchBackend
        from sectool.traffic.detect.backends.es_connect import connect

        es = connect(es_url)
        backend = ElasticsearchBackend(es, index)
    run = run_detectors(
        specs, backend, since=since, until=until, config=cfg, skip_missing_fields=not detectors
    )
    previous = read_jsonl(state) if state is not None else []
    if es is not None and findings_index:
        from sectool.traffic.detect.sinks.es import read_findings

        previous += read_findings(es, index=findings_index, since=since - cfg.realert)
    new, _repeated = split_new(run.findings, previous, cfg.realert)
    write_jsonl(out, run.findings)
    if es is not None and findings_index:
        from sectool.traffic.detect.sinks.es import write_findings

        write_findings(es, run.findings, index=findings_index, now=now)
    if state is not None:
        write_jsonl(state, new)
    return DetectionResult(
        findings=[f.to_dict() for f in run.findings],
        new=[f.to_dict() for f in new],
        skipped=dict(run.skipped),
    )
