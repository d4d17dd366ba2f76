"""Detection quality against the simulator's ground truth: precision and recall per attack type.

Matching rules (strict, written down so the figures can be checked):

* a finding's *label* is its detector, plus ``/variant`` when the evidence names one
  (``port_scan/vertical``, ``brute_force/spraying``);
* a ground-truth entry has *targets*: its ``entity`` for its ``detectors``, plus the
  entries of ``also`` (``{"detectors": [...], "entity": {...}}``) for reports of the same
  attack under another entity (the exfiltrating host as a volume spike; the second hop of
  an off-hours session);
* a finding matches a target when its label is one of the target's detectors, its window
  overlaps the entry's time span, and **every field the target's entity gives** equals the
  finding's value: taken from the finding's entity fields, or, for a field the detector's
  entity does not carry, from the evidence list that names that field's values
  (:data:`EVIDENCE_LISTS`: the DNS detector's ``clients``, the brute-force ``top_targets``);
  a field found in neither fails the match;
* **recall** of an attack type: share of its entries matched by a finding carrying the
  entry's *primary* label (the first of ``detectors``) on the entry's own entity;
* **precision** of an attack type: share of ALL findings carrying its primary label that
  match some target of some entry (any type) accepting that label. Findings matching
  nothing are false positives (:func:`unmatched`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sectool.traffic.detect.findings import Finding, parse_time

__all__ = ["EVIDENCE_LISTS", "Score", "evaluate", "label_of", "merge_scores", "unmatched"]


def label_of(f: Finding) -> str:
    """``detector`` or ``detector/variant``."""
    variant = f.evidence.get("variant")
    return f"{f.detector}/{variant}" if variant else f.detector


#: Evidence lists that name the values of a field the detector's entity does not carry.
EVIDENCE_LISTS: dict[str, dict[str, str]] = {
    "dns_tunnelling": {"source.ip": "clients"},
    "dns_txt_c2": {"source.ip": "clients"},
    "brute_force": {"destination.ip": "top_targets"},
}


def _canon(v: object) -> str:
    text = str(v)
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _accepts(detectors: Sequence[str], label: str) -> bool:
    return any(label == d or label.startswith(d + "/") for d in detectors)


def _targets(entry: Mapping[str, Any]) -> list[tuple[Sequence[str], Mapping[str, Any]]]:
    out = [(entry["detectors"], entry["entity"])]
    out += [(a["detectors"], a["entity"]) for a in entry.get("also", ())]
    return out


def _entity_matches(f: Finding, entity: Mapping[str, Any]) -> bool:
    fields = {k: _canon(v) for k, v in f.entity.fields}
    lists = EVIDENCE_LISTS.get(f.detector, {})
    for key, want in entity.items():
        if key in fields:
            if fields[key] != _canon(want):
                return False
        elif key in lists:
            if _canon(want) not in {_canon(v) for v in f.evidence.get(lists[key], ())}:
                return False
        else:
            return False
    return True


def _overlaps(f: Finding, entry: Mapping[str, Any]) -> bool:
    start: datetime = parse_time(entry["start"])
    end: datetime = parse_time(entry["end"])
    return f.window_start <= end and f.window_end >= start


def _matches(f: Finding, entry: Mapping[str, Any], *, primary_only: bool = False) -> bool:
    """``f`` reports ``entry`` (any target, or only the primary label on the entry's entity)."""
    if not _overlaps(f, entry):
        return False
    if primary_only:
        return _accepts(entry["detectors"][:1], label_of(f)) and _entity_matches(f, entry["entity"])
    return any(_accepts(dets, label_of(f)) and _entity_matches(f, entity) for dets, entity in _targets(entry))


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
        if any(_matches(f, e, primary_only=True) for f in findings):
            s.detected += 1
    for t, label in primary.items():
        mine = [f for f in findings if _accepts((label,), label_of(f))]
        out[t].findings = len(mine)
        out[t].true_findings = sum(1 for f in mine if any(_matches(f, e) for e in entries))
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
    return [f for f in findings if not any(_matches(f, e) for e in truth["attacks"])]
