"""Findings: what a detector reports, with a deterministic id, and the re-alert rule.

A finding's id is a hash of (detector, entity, window), so that running the same detection
twice produces the same ids (the JSONL and Elasticsearch sinks upsert by id). A finding whose
detector and entity were already reported with a window ending within the re-alert period
before this one starts is *repeated*, not new (:func:`split_new`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sectool.errors import InputError

__all__ = [
    "SEVERITIES",
    "Entity",
    "EntityKind",
    "Finding",
    "Severity",
    "finding_id",
    "parse_time",
    "severity_for",
    "split_new",
]

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")
EntityKind = Literal["host", "pair", "domain", "account", "source", "service"]
_KINDS = ("host", "pair", "domain", "account", "source", "service")


@dataclass(frozen=True)
class Entity:
    """What a finding is about.

    Attributes:
        kind: host (one IP), pair (source and destination), domain (registered domain),
            account (user name), source (a sensor, site or log source), service (IP and port).
        value: Display form (``10.0.0.5 -> 185.1.2.3``).
        fields: The ECS fields and values that select the entity's events, e.g.
            ``(("source.ip", "10.0.0.5"), ("destination.ip", "185.1.2.3"))``.
    """

    kind: EntityKind
    value: str
    fields: tuple[tuple[str, str | int], ...] = ()

    def values(self) -> set[str]:
        """The field values as strings (for matching against ground truth)."""
        return {str(v) for _, v in self.fields} | {self.value}


def severity_for(score: float, bands: Sequence[float] = (0.5, 0.75, 0.9)) -> Severity:
    """Map a score in 0..1 to a severity: below ``bands[0]`` low, then medium, high, critical."""
    for sev, bound in zip(SEVERITIES, bands, strict=False):
        if score < bound:
            return sev
    return "critical"


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """ISO 8601 to an aware UTC datetime (naive input is taken as UTC)."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


def finding_id(detector: str, entity: Entity, window_start: datetime, window_end: datetime) -> str:
    """Deterministic id: the same detector, entity and window always give the same id."""
    key = "\x1f".join([detector, entity.kind, entity.value, _iso(window_start), _iso(window_end)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Finding:
    """One anomaly.

    ``evidence`` holds the numbers that triggered it; ``query`` holds an Elasticsearch query
    (``dsl``: query DSL dict, ``kql``: a KQL string) selecting the events behind it.
    """

    detector: str
    severity: Severity
    score: float
    entity: Entity
    window_start: datetime
    window_end: datetime
    title: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    techniques: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return finding_id(self.detector, self.entity, self.window_start, self.window_end)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the JSONL line and the Elasticsearch document)."""
        return {
            "id": self.id,
            "detector": self.detector,
            "severity": self.severity,
            "score": round(float(self.score), 4),
            "title": self.title,
            "entity": {
                "kind": self.entity.kind,
                "value": self.entity.value,
                "fields": {k: v for k, v in self.entity.fields},
            },
            "window": {"start": _iso(self.window_start), "end": _iso(self.window_end)},
            "evidence": _jsonable(self.evidence),
            "query": _jsonable(self.query),
            "techniques": list(self.techniques),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        """Inverse of :meth:`to_dict`; raises ``ValueError``/``KeyError``/``TypeError`` on bad input."""
        ent = d["entity"]
        kind = ent["kind"]
        if kind not in _KINDS:
            raise ValueError(f"unknown entity kind {kind!r}")
        sev = d["severity"]
        if sev not in SEVERITIES:
            raise ValueError(f"unknown severity {sev!r}")
        return cls(
            detector=str(d["detector"]),
            severity=sev,
            score=float(d["score"]),
            entity=Entity(
                kind, str(ent["value"]), tuple((str(k), v) for k, v in dict(ent.get("fields", {})).items())
            ),
            window_start=parse_time(d["window"]["start"]),
            window_end=parse_time(d["window"]["end"]),
            title=str(d.get("title", "")),
            evidence=dict(d.get("evidence", {})),
            query=dict(d.get("query", {})),
            techniques=tuple(d.get("techniques", ())),
        )


def _jsonable(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, datetime):
        return _iso(v)
    if isinstance(v, float):
        return round(v, 6)
    if hasattr(v, "item"):  # numpy scalars
        return _jsonable(v.item())
    return v


def read_jsonl(path: str | Path) -> list[Finding]:
    """Findings from a JSONL file (a missing file is no findings)."""
    p = Path(path)
    if not p.exists():
        return []
    out: list[Finding] = []
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(Finding.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"not a finding: {exc}", file=p, line=lineno) from None
    return out


def write_jsonl(
    path: str | Path, findings: Iterable[Finding], *, merge: bool = True, keep_after: datetime | None = None
) -> int:
    """Write findings as JSONL atomically; with ``merge``, keep earlier lines of the file and
    replace those with the same id (an upsert). With ``keep_after``, earlier lines whose window
    ended before it are dropped (the re-alert state stays bounded). Returns how many findings
    the file holds."""
    from sectool.fileio import atomic_write_text

    by_id: dict[str, Finding] = {}
    if merge:
        for f in read_jsonl(path):
            if keep_after is None or f.window_end >= keep_after:
                by_id[f.id] = f
    for f in findings:
        by_id[f.id] = f
    ordered = sorted(by_id.values(), key=lambda f: (f.window_start, f.detector, f.entity.value))
    atomic_write_text(path, "".join(json.dumps(f.to_dict(), sort_keys=True) + "\n" for f in ordered))
    return len(ordered)


def split_new(
    findings: Sequence[Finding], previous: Iterable[Finding], realert: timedelta
) -> tuple[list[Finding], list[Finding]]:
    """Split ``findings`` into (new, repeated).

    A finding is repeated when a previous finding has the same id, or the same detector and
    entity with a window ending no earlier than ``realert`` before this finding's window
    starts. Findings of the same run are compared with each other in time order too, so an
    hourly detector firing five hours in a row reports once per re-alert period; repeated
    findings do not extend the period.
    """
    last_end: dict[tuple[str, str, str], datetime] = {}
    seen_ids: set[str] = set()
    for p in previous:
        seen_ids.add(p.id)
        key = (p.detector, p.entity.kind, p.entity.value)
        if key not in last_end or p.window_end > last_end[key]:
            last_end[key] = p.window_end
    new: list[Finding] = []
    repeated: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.window_start, f.window_end, f.detector, f.entity.value)):
        key = (f.detector, f.entity.kind, f.entity.value)
        prev = last_end.get(key)
        if f.id in seen_ids or (prev is not None and prev >= f.window_start - realert):
            repeated.append(f)
        else:
            # Only a reported finding restarts the re-alert period (as ElastAlert's realert):
            # a long-running anomaly is reported again once per period, as a reminder.
            new.append(f)
            seen_ids.add(f.id)
            last_end[key] = f.window_end
    return new, repeated


def render_table(findings: Sequence[Finding], *, title: str = "Findings") -> Any:
    """A rich Table of findings (every cell is plain text: user data is never markup)."""
    from rich.table import Table
    from rich.text import Text

    colours = {"low": "cyan", "medium": "yellow", "high": "red", "critical": "bold white on red"}
    table = Table(title=title, show_lines=False)
    for name in ("severity", "score", "detector", "entity", "window (UTC)", "ATT&CK", "what"):
        table.add_column(name)
    for f in findings:
        table.add_row(
            Text(f.severity, style=colours[f.severity]),
            Text(f"{f.score:.2f}"),
            Text(f.detector),
            Text(f.entity.value),
            Text(_span(f.window_start, f.window_end)),
            Text(", ".join(f.techniques)),
            Text(f.title),
        )
    return table


def _span(start: datetime, end: datetime) -> str:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    fmt = "%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M"
    return f"{start:%Y-%m-%d %H:%M} – {end.strftime(fmt)}"
