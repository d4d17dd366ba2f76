"""Scorer of the sensor-verdict detector: Suricata alerts and Zeek notices become findings.

The sensor has already judged; sectool maps its verdict to a severity and deduplicates. The
score is the middle of the severity's band (with the default bands: low 0.4, medium 0.6,
high 0.8, critical 0.95), so that a finding's severity is exactly the mapped one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.findings import SEVERITIES, EntityKind, Finding, Severity
from sectool.traffic.detect.scoring import (
    ScoreContext,
    make_finding,
    query_of,
    rows,
    scorer,
    to_datetime,
    windows,
)
from sectool.traffic.detect.spec import WINDOW_START, DetectorSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["band_score", "matches", "notice_severity", "suricata_severity"]

RULE, SRC, DST = "rule.name", "source.ip", "destination.ip"


def suricata_severity(level: float) -> Severity:
    """Suricata's ``alert.severity`` (rule priority): 1 high, 2 medium, 3 and above low."""
    if level <= 1:
        return "high"
    return "medium" if level <= 2 else "low"


def matches(name: str, patterns: Sequence[str]) -> str | None:
    """The pattern ``name`` matches: exactly, or a prefix ending in ``::`` (``Scan::``)."""
    for pat in patterns:
        if name == pat:
            return pat
    best = [pat for pat in patterns if pat.endswith("::") and name.startswith(pat)]
    return max(best, key=len) if best else None


def notice_severity(note: str, table: Mapping[str, Severity], default: Severity) -> Severity:
    """The severity of a Zeek note from the configured table (exact note, then longest prefix)."""
    hit = matches(note, list(table))
    return table[hit] if hit is not None else default


def band_score(severity: Severity, bands: Sequence[float]) -> float:
    """A score inside ``severity``'s band: the middle of it (critical: halfway to 1)."""
    edges = [0.0, *bands, 1.0]
    i = SEVERITIES.index(severity)
    return round((edges[i] + edges[i + 1]) / 2, 4)


def _severity(row: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[Severity, str]:
    level = row["min:event.severity"]
    if level is not None and level == level:  # a number (not nan): the sensor graded it
        return suricata_severity(float(level)), f"sensor severity {int(level)}"
    return notice_severity(str(row[RULE]), p["notice_severity"], p["default_notice"]), "note table"


@scorer("sensor_alerts")
def sensor_alerts(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """One finding per signature (or note) and host pair (or source, or neither) and window,
    ignoring the configured informational notes; severity from the sensor's own grading
    (Suricata severity 1 high, 2 medium, 3+ low) or, for notes without one, from the table."""
    p = spec.params
    interval = p["interval"]
    out: list[Finding] = []
    for name in ("pairs", "sources", "rules"):
        q = query_of(spec, name)
        for row in rows(windows(tables[name], interval, ctx)):
            rule = str(row[RULE])
            if matches(rule, p["ignore"]) is not None:
                continue
            sev, why = _severity(row, p)
            src, dst = row.get(SRC), row.get(DST)
            kind: EntityKind
            if src is not None and dst is not None:
                kind, value = "pair", f"{src} -> {dst}"
                fields: list[tuple[str, Any]] = [(RULE, rule), (SRC, src), (DST, dst)]
            elif src is not None:
                kind, value, fields = "host", str(src), [(RULE, rule), (SRC, src)]
            else:
                kind, value, fields = "service", rule, [(RULE, rule)]
            w = to_datetime(row[WINDOW_START])
            n = int(row["count"])
            evidence: dict[str, Any] = {
                "alerts": n,
                "signature": rule,
                "signature_ids": list(row["terms:rule.id"]),
                "category": next(iter(row["terms:rule.category"]), None),
                "sensors": list(row["terms:event.module"]),
                "severity_from": why,
                "first_seen": to_datetime(row["min:@timestamp"]).isoformat(),
                "last_seen": to_datetime(row["max:@timestamp"]).isoformat(),
            }
            if name == "sources":
                evidence["destinations"] = list(row["terms:destination.ip"])
            out.append(
                make_finding(
                    spec,
                    ctx,
                    query=q,
                    kind=kind,
                    value=f"{rule}: {value}" if kind != "service" else value,
                    fields=fields,
                    start=w,
                    end=w + interval,
                    score_=band_score(sev, ctx.config.severity_bands),
                    title=f"{rule} ({n}x)" + ("" if kind == "service" else f" {value}"),
                    evidence=evidence,
                )
            )
    return out
