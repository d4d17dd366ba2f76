"""Detection quality against the simulator's ground truth: precision and recall per attack type.

Matching rules (written down so the figures can be checked):

* a finding's *label* is its detector, plus ``/variant`` when the evidence names one
  (``port_scan/vertical``, ``brute_force/spraying``);
* a finding matches a ground-truth entry when its label is one of the entry's ``detectors``,
  one of the finding's entity values equals one of the entry's entity values, and the
  finding's window overlaps the entry's time span;
* **recall** of an attack type: share of its entries matched by a finding carrying the
  entry's *primary* label (the first of ``detectors``);
* **precision** of an attack type: share of the findings carrying its primary label that
  match some entry accepting that label (an exfiltration that is also reported as a
  volume spike is a true volume-spike finding, because the entry lists ``volume_spike``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sectool.traffic.detect.findings import Finding, parse_time

__all__ = ["Score", "evaluate", "label_of", "merge_scores"]


def label_of(f: Finding) -> str:
    """``detector`` or ``detector/variant``."""
    variant = f.evidence.get("variant")
    return f"{f.detector}/{variant}" if variant else f.detector


def _accepts(entry: Mapping[str, Any], label: str) -> bool:
    return any(label == d or label.startswith(d + "/") for d in entry["detectors"])


def _matches(f: Finding, entry: Mapping[str, Any]) -> bool:
    values = {str(v) for v in entry["entity"].values()}
    if not values & f.entity.values():
        return False
    start: datetime = parse_time(entry["start"])
    end: datetime = parse_time(entry["end"])
    return f.window_start <= end and f.window_end >= start


@dataclass
class Score:
    """Counts behind precision and recall of one attack type."""

    entries: int = 0
    detected: int = 0
    findings: int = 0
    true_findings: int = 0

    @property
    def recall(self) -> float:
        return self.detected / self.entries if self.entries else 1.0

    @property
    def precision(self) -> float:
        return self.true_findings / self.findings if self.findings else 1.0


def evaluate(findings: Sequence[Finding], truth: Mapping[str, Any]) -> dict[str, Score]:
    """Precision and recall per attack type of one simulation."""
    entries: list[Mapping[str, Any]] = truth["attacks"]
    primary = {e["type"]: e["detectors"][0] for e in entries}
    out: dict[str, Score] = {t: Score() for t in primary}
    for e in entries:
        s = out[e["type"]]
        s.entries += 1
        if any(
            _matches(f, e) and _accepts({"detectors": [e["detectors"][0]]}, label_of(f)) for f in findings
        ):
            s.detected += 1
    for t, label in primary.items():
        mine = [f for f in findings if label_of(f) == label or label_of(f).startswith(label + "/")]
        out[t].findings = len(mine)
        out[t].true_findings = sum(
            1 for f in mine if any(_accepts(e, label_of(f)) and _matches(f, e) for e in entries)
        )
    return out


def merge_scores(runs: Iterable[Mapping[str, Score]]) -> dict[str, Score]:
    """Sum the counts of several simulations."""
    total: dict[str, Score] = {}
    for run in runs:
        for t, s in run.items():
            acc = total.setdefault(t, Score())
            acc.entries += s.entries
            acc.detected += s.detected
            acc.findings += s.findings
            acc.true_findings += s.true_findings
    return total


def unmatched(findings: Sequence[Finding], truth: Mapping[str, Any]) -> list[Finding]:
    """Findings that match no ground-truth entry (false positives, for diagnosis)."""
    return [
        f for f in findings if not any(_accepts(e, label_of(f)) and _matches(f, e) for e in truth["attacks"])
    ]
