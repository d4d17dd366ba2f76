"""The words of an alert in Danish and English, and findings as rows for the templates.

Finding titles come from the detectors in English; the labels around them, the subject and
the severity names are given in each language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sectool.report.attack import technique_label
from sectool.traffic.detect.findings import SEVERITIES, Finding

__all__ = ["LANGS", "TEXTS", "finding_rows", "highest", "langs_of", "summary"]

Lang = Literal["da", "en"]
LANGS: tuple[Lang, ...] = ("da", "en")

TEXTS: dict[Lang, dict[str, str]] = {
    "da": {
        "heading": "Nye fund fra sectool",
        "intro": "sectool har fundet {n} nye fund på eller over alvorsgraden «{min}» (playbook {playbook}).",
        "count": "{n} nye fund",
        "highest": "højeste: {sev}",
        "severity": "Alvor",
        "detector": "Detektor",
        "entity": "Hvad/hvem",
        "window": "Tidsvindue (UTC)",
        "what": "Beskrivelse",
        "techniques": "ATT&CK",
        "id": "Fund-id",
        "footer": "Sendt af sectool. Hvert fund sendes én gang; se fundene i findings-filen eller i Kibana.",
        "low": "lav",
        "medium": "middel",
        "high": "høj",
        "critical": "kritisk",
    },
    "en": {
        "heading": "New findings from sectool",
        "intro": "sectool found {n} new finding(s) at or above severity '{min}' (playbook {playbook}).",
        "count": "{n} new finding(s)",
        "highest": "highest: {sev}",
        "severity": "Severity",
        "detector": "Detector",
        "entity": "Entity",
        "window": "Window (UTC)",
        "what": "What",
        "techniques": "ATT&CK",
        "id": "Finding id",
        "footer": "Sent by sectool. Each finding is sent once; see the findings file or Kibana for details.",
        "low": "low",
        "medium": "medium",
        "high": "high",
        "critical": "critical",
    },
}


def langs_of(setting: str) -> tuple[Lang, ...]:
    """``da`` | ``en`` | ``both`` (Danish first: the sector reads Danish)."""
    return LANGS if setting == "both" else (("da",) if setting == "da" else ("en",))


def highest(findings: Sequence[Finding]) -> str:
    return max((f.severity for f in findings), key=SEVERITIES.index)


def summary(findings: Sequence[Finding], setting: str) -> str:
    """``3 nye fund (højeste: kritisk) / 3 new finding(s) (highest: critical)``."""
    parts = []
    for lang in langs_of(setting):
        t = TEXTS[lang]
        sev = t[highest(findings)]
        parts.append(f"{t['count'].format(n=len(findings))} ({t['highest'].format(sev=sev)})")
    return " / ".join(parts)


def _window(f: Finding) -> str:
    start, end = f.window_start.astimezone(UTC), f.window_end.astimezone(UTC)
    fmt = "%H:%M" if start.date() == end.date() else "%Y-%m-%d %H:%M"
    return f"{start:%Y-%m-%d %H:%M} – {end.strftime(fmt)}"


def finding_rows(findings: Sequence[Finding], lang: Lang) -> list[dict[str, Any]]:
    """Findings as plain values for a template, most severe first."""
    ordered = sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), f.window_start, f.detector))
    rows = []
    for f in ordered:
        techniques = []
        for t in f.techniques:
            label = technique_label(t, lang)
            techniques.append(f"{t} {label}" if label else t)
        rows.append(
            {
                "id": f.id,
                "severity": f.severity,
                "severity_label": TEXTS[lang][f.severity],
                "score": f"{f.score:.2f}",
                "detector": f.detector,
                "entity": f.entity.value,
                "window": _window(f),
                "title": f.title,
                "techniques": techniques,
            }
        )
    return rows


def now_iso(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
