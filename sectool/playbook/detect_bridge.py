"""The one place where the playbook calls the traffic area's detection library.

Kept separate so that the detect step's contract (finding dicts in the JSONL shape of
``Finding.to_dict()``) stays stable while the detection library evolves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sectool.playbook.steps import StepUnavailable

__all__ = ["run_detection"]


def run_detection(
    *,
    files: Sequence[Path],
    es_url: str | None,
    index: str,
    since: datetime,
    until: datetime,
    detectors: Sequence[str] | None,
    out: Path,
    write_findings: bool,
) -> list[dict[str, Any]]:
    """Run the detectors; write the findings as JSONL to ``out``; return them as dicts."""
    try:
        from sectool.traffic.detect import run as _run  # type: ignore[attr-defined]
    except ImportError as exc:
        raise StepUnavailable(f"traffic detection is not available in this installation: {exc}") from None
    findings = _run.detect(  # pragma: no cover - wired when the detection library lands
        files=files, es_url=es_url, index=index, since=since, until=until, detectors=detectors
    )
    return [f.to_dict() for f in findings]  # pragma: no cover
