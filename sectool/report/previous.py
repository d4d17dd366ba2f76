"""The previous period, read back from an earlier report's ``report.json``.

Trends need no database: every report carries the numbers the next one compares with
(indicator values, residual level per risk, domain scores, findings per severity).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.report.numbers import SCHEMA
from sectool.yamlio import read_text

__all__ = ["REPORT_JSON", "Previous", "load_previous"]

#: File name of the JSON in a report directory.
REPORT_JSON = "report.json"


@dataclass(frozen=True)
class Previous:
    """What the current report compares with."""

    period: str
    indicators: dict[str, float | None] = field(default_factory=dict)
    risk_levels: dict[str, str] | None = None
    submitted_share: float | None = None
    standards_met_share: float | None = None
    mean_maturity: float | None = None
    domain_scores: dict[str, float | None] | None = None
    traffic_by_severity: dict[str, int] | None = None
    location: str = ""


def _num(value: Any, file: Path, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError("not a number", file=file, field=where, value=value)
    return float(value)


def _obj(value: Any, file: Path, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError("not an object", file=file, field=where, expected="a JSON object")
    return value


def load_previous(path: str | Path) -> Previous:
    """Read an earlier report: its directory (containing ``report.json``) or the JSON file itself.

    Raises:
        InputError: missing file, not JSON, not a forum report, or a malformed field.
    """
    p = Path(path)
    if p.is_dir():
        p = p / REPORT_JSON
    try:
        data = json.loads(read_text(p))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=p, line=exc.lineno) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InputError("not a forum report JSON", file=p, field="schema", expected=f"'schema': '{SCHEMA}'")
    period = _obj(data.get("period"), p, "period") or {}
    label = period.get("label")
    if not isinstance(label, str):
        raise InputError("missing period label", file=p, field="period.label")
    indicators: dict[str, float | None] = {}
    items = data.get("indicators") or []
    if not isinstance(items, list):
        raise InputError("not a list", file=p, field="indicators")
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise InputError("indicator without id", file=p, field=f"indicators[{i}]")
        indicators[item["id"]] = _num(item.get("value"), p, f"indicators[{i}].value")

    risk = _obj(data.get("risk"), p, "risk")
    risk_levels = None
    if risk is not None:
        levels = _obj(risk.get("residual_levels"), p, "risk.residual_levels") or {}
        risk_levels = {str(k): str(v) for k, v in levels.items()}

    practice = _obj(data.get("practice"), p, "practice")
    domain_scores = None
    sub_share = met_share = maturity = None
    if practice is not None:
        sub_share = _num(practice.get("submitted_share"), p, "practice.submitted_share")
        met_share = _num(practice.get("standards_met_share"), p, "practice.standards_met_share")
        maturity = _num(practice.get("mean_maturity"), p, "practice.mean_maturity")
        domain_scores = {}
        for i, row in enumerate(practice.get("domains") or []):
            if isinstance(row, dict) and isinstance(row.get("id"), str):
                domain_scores[row["id"]] = _num(row.get("mean_score"), p, f"practice.domains[{i}].mean_score")

    traffic = _obj(data.get("traffic"), p, "traffic")
    by_sev = None
    if traffic is not None:
        raw = _obj(traffic.get("by_severity"), p, "traffic.by_severity") or {}
        by_sev = {str(k): int(_num(v, p, f"traffic.by_severity.{k}") or 0) for k, v in raw.items()}

    return Previous(
        period=label,
        indicators=indicators,
        risk_levels=risk_levels,
        submitted_share=sub_share,
        standards_met_share=met_share,
        mean_maturity=maturity,
        domain_scores=domain_scores,
        traffic_by_severity=by_sev,
        location=str(p),
    )
