"""Indicators against targets, and the report's configuration file.

The configuration (``--indicators FILE``; default :data:`DEFAULT_CONFIG`, shipped in the
package) is YAML::

    options:
      name_clinics: false        # clinics are never named unless this is true
      top_risks: 10
    indicators:
      - id: clinics_submitted
        metric: practice.submitted_share
        direction: at_least      # at_least: value >= target is met; at_most: value <= target
        target: 0.8              # shares are fractions (0.8 = 80 %)
        title: {da: "...", en: "..."}

Each ``metric`` is one of :data:`METRICS`; an unknown metric, an unknown key or a missing
one is an :class:`~sectool.errors.InputError` naming the file, line and field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sectool.report.model import Text
from sectool.report.numbers import (
    Direction,
    IndicatorResult,
    PracticeSection,
    RiskSection,
    TrafficSection,
    Unit,
)
from sectool.yamlio import YamlDoc, load_yaml, parse_yaml, validate

__all__ = [
    "DEFAULT_CONFIG",
    "METRICS",
    "IndicatorSpec",
    "Metric",
    "ReportConfig",
    "ReportOptions",
    "evaluate",
    "load_config",
]

DEFAULT_CONFIG = "indicators.yml"


@dataclass(frozen=True)
class Sections:
    risk: RiskSection | None
    practice: PracticeSection | None
    traffic: TrafficSection | None


@dataclass(frozen=True)
class Metric:
    """A named number computed from the report sections (``None`` = no data)."""

    unit: Unit
    compute: Callable[[Sections], float | None]


def _practice(fn: Callable[[PracticeSection], float | None]) -> Callable[[Sections], float | None]:
    return lambda s: fn(s.practice) if s.practice is not None else None


def _risk(fn: Callable[[RiskSection], float | None]) -> Callable[[Sections], float | None]:
    return lambda s: fn(s.risk) if s.risk is not None else None


def _traffic(fn: Callable[[TrafficSection], float | None]) -> Callable[[Sections], float | None]:
    return lambda s: fn(s.traffic) if s.traffic is not None else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


METRICS: dict[str, Metric] = {
    "practice.submitted_share": Metric("share", _practice(lambda p: p.submitted_share)),
    "practice.standards_met_share": Metric("share", _practice(lambda p: p.standards_met_share)),
    "practice.not_met_share": Metric(
        "share", _practice(lambda p: _share(p.status_counts.get("not_met", 0), p.submitted))
    ),
    "practice.mean_maturity": Metric("number", _practice(lambda p: p.mean_maturity)),
    "practice.submitted": Metric("count", _practice(lambda p: float(p.submitted))),
    "risk.total": Metric("count", _risk(lambda r: float(r.total))),
    "risk.above_appetite": Metric("count", _risk(lambda r: float(len(r.above_appetite)))),
    "risk.review_overdue": Metric("count", _risk(lambda r: float(len(r.review_overdue)))),
    "risk.acceptance_expired": Metric("count", _risk(lambda r: float(len(r.acceptance_expired)))),
    "traffic.total": Metric("count", _traffic(lambda t: float(t.total))),
    "traffic.high_open": Metric("count", _traffic(lambda t: float(t.open_high))),
    "traffic.critical": Metric("count", _traffic(lambda t: float(t.by_severity.get("critical", 0)))),
    "traffic.silent_sensors": Metric("count", _traffic(lambda t: float(t.silent_sensors))),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndicatorSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=64)
    metric: str
    direction: Direction
    target: float
    title: Text

    @field_validator("metric")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"unknown metric {value!r}; expected one of {', '.join(sorted(METRICS))}")
        return value

    # A field validator (not a model validator), so that the error points at the `target` line.
    @field_validator("target")
    @classmethod
    def _target(cls, value: float, info: ValidationInfo) -> float:
        metric = info.data.get("metric")  # absent when the metric itself was invalid
        if metric in METRICS and METRICS[metric].unit == "share" and not 0 <= value <= 1:
            raise ValueError("target of a share must be between 0 and 1 (0.8 = 80 %)")
        if value < 0:
            raise ValueError("target must not be negative")
        return value


class ReportOptions(_Strict):
    """Options of the report (what it shows, how much)."""

    name_clinics: bool = False
    top_risks: int = Field(default=10, ge=1, le=100)
    notable_incidents: int = Field(default=10, ge=0, le=100)
    top_gaps: int = Field(default=5, ge=1, le=50)
    top_services: int = Field(default=10, ge=1, le=100)
    #: A sensor silent for longer than this many hours counts as "silent" in the indicator.
    silent_hours: float = Field(default=24.0, gt=0)


class ReportConfig(_Strict):
    options: ReportOptions = Field(default_factory=ReportOptions)
    indicators: list[IndicatorSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ReportConfig:
        seen: set[str] = set()
        for spec in self.indicators:
            if spec.id in seen:
                raise ValueError(f"duplicate indicator id {spec.id!r}")
            seen.add(spec.id)
        return self


def load_config(path: str | Path | None = None) -> ReportConfig:
    """Load the report configuration (the shipped default when ``path`` is ``None``)."""
    doc: YamlDoc
    if path is None:
        text = resources.files("sectool.report").joinpath("data", DEFAULT_CONFIG).read_text(encoding="utf-8")
        doc = parse_yaml(text, file=f"<package>/{DEFAULT_CONFIG}")
    else:
        doc = load_yaml(path)
    return validate(ReportConfig, doc.data, doc=doc)


def _trend(
    spec: IndicatorSpec, value: float | None, previous: float | None
) -> tuple[float | None, str | None]:
    if value is None or previous is None:
        return None, None
    change = value - previous
    if abs(change) < 1e-9:
        return 0.0, "unchanged"
    better = change > 0 if spec.direction == "at_least" else change < 0
    return change, "improved" if better else "worse"


def evaluate(
    config: ReportConfig,
    *,
    risk: RiskSection | None,
    practice: PracticeSection | None,
    traffic: TrafficSection | None,
    previous: dict[str, float | None] | None = None,
) -> list[IndicatorResult]:
    """Compute every configured indicator: value, met, change since ``previous`` (id -> value)."""
    sections = Sections(risk, practice, traffic)
    results: list[IndicatorResult] = []
    for spec in config.indicators:
        metric = METRICS[spec.metric]
        value = metric.compute(sections)
        if value is not None and metric.unit != "count":
            value = round(value, 4)
        met = None
        if value is not None:
            met = value >= spec.target if spec.direction == "at_least" else value <= spec.target
        prev = (previous or {}).get(spec.id)
        change, trend = _trend(spec, value, prev)
        results.append(
            IndicatorResult(
                id=spec.id,
                title=spec.title,
                metric=spec.metric,
                unit=metric.unit,
                direction=spec.direction,
                target=spec.target,
                value=value,
                met=met,
                previous=prev,
                change=round(change, 4) if change is not None else None,
                trend=trend,
            )
        )
    return results
