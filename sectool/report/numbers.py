"""The computed report (:class:`Report`): every number behind every table and chart.

This is what ``report.json`` contains, and what the HTML, Markdown and PDF renderers
read: they format, they never compute. A later report reads the previous period's
numbers back from this JSON (see :mod:`sectool.report.previous`), so its shape is
versioned by :data:`SCHEMA`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sectool.report.model import DataSource, Period, Text

__all__ = [
    "SCHEMA",
    "DetectorRow",
    "DomainRow",
    "GapRow",
    "IndicatorResult",
    "Notable",
    "PracticeSection",
    "Report",
    "RiskChange",
    "RiskChanges",
    "RiskRow",
    "RiskSection",
    "Series",
    "ServiceRow",
    "TrafficSection",
]

SCHEMA = "sectool.forum-report/1"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Unit = Literal["share", "count", "number"]
Direction = Literal["at_least", "at_most"]


class IndicatorResult(_Out):
    id: str
    title: Text
    metric: str
    unit: Unit
    direction: Direction
    target: float
    #: ``None`` when the section has no data.
    value: float | None
    met: bool | None
    previous: float | None = None
    change: float | None = None
    #: ``improved``, ``worse``, ``unchanged`` or ``None`` (no previous value).
    trend: Literal["improved", "worse", "unchanged"] | None = None


# --------------------------------------------------------------------------- risk


class RiskRow(_Out):
    rank: int
    id: str
    title: str
    owner: str | None
    inherent_level: str
    inherent_score: float
    current_level: str
    current_score: float
    residual_level: str
    residual_score: float
    above_appetite: bool
    treatment: str | None = None


class RiskFindingRow(_Out):
    risk_id: str | None
    message: Text


class RiskChange(_Out):
    id: str
    title: str
    before: str
    after: str


class RiskChanges(_Out):
    previous_period: str
    new: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    raised: list[RiskChange] = Field(default_factory=list)
    lowered: list[RiskChange] = Field(default_factory=list)


class RiskSection(_Out):
    def level_label(self, name: str, lang: str) -> str:
        """Display label of a risk level in ``lang`` (the name when it has none)."""
        label = self.level_labels.get(name)
        return label.get(lang) if label is not None else name

    def axis_labels(self, axis: Literal["likelihood", "impact"], lang: str) -> list[str]:
        """Display labels of the likelihood or impact levels, lowest first."""
        names = self.likelihood_levels if axis == "likelihood" else self.impact_levels
        labels = self.likelihood_labels if axis == "likelihood" else self.impact_labels
        if labels is None or len(labels) != len(names):
            return list(names)
        return [x.get(lang) for x in labels]

    as_of: date
    register_name: str
    appetite: str
    total: int
    likelihood_levels: list[str]
    impact_levels: list[str]
    cell_levels: list[list[str]]
    level_colours: dict[str, str]
    level_order: list[str]
    level_labels: dict[str, Text]
    likelihood_labels: list[Text] | None
    impact_labels: list[Text] | None
    #: ``[likelihood][impact]`` counts, index 0 = lowest.
    heatmap_inherent: list[list[int]]
    heatmap_residual: list[list[int]]
    residual_by_level: dict[str, int]
    top: list[RiskRow]
    above_appetite: list[RiskRow]
    review_overdue: list[RiskFindingRow]
    acceptance_expired: list[RiskFindingRow]
    other_findings: int
    #: Residual level of every risk, read back by the next period's report for the changes.
    residual_levels: dict[str, str]
    changes: RiskChanges | None = None


# --------------------------------------------------------------------------- practice


class DomainRow(_Out):
    id: str
    title: Text
    mean_score: float | None
    clinics: int
    previous: float | None = None
    change: float | None = None


class GapRow(_Out):
    question_id: str
    domain: str
    text: Text
    clinics: int
    share: float


class PracticeSection(_Out):
    invited: int
    submitted: int
    submitted_share: float | None
    status_counts: dict[str, int]
    standards_met_share: float | None
    maturity_counts: dict[str, int]
    mean_maturity: float | None
    domains: list[DomainRow]
    top_gaps: list[GapRow]
    named: bool
    #: Clinic names not meeting the standards; only when the configuration allows names.
    clinics_not_met: list[str] = Field(default_factory=list)
    previous_period: str | None = None
    previous_submitted_share: float | None = None
    previous_standards_met_share: float | None = None
    previous_mean_maturity: float | None = None


# --------------------------------------------------------------------------- traffic


class DetectorRow(_Out):
    detector: str
    low: int = 0
    medium: int = 0
    high: int = 0
    critical: int = 0
    total: int = 0


class Series(_Out):
    bucket: Literal["day", "week"]
    starts: list[date]
    counts: dict[str, list[int]]


class ServiceRow(_Out):
    service: str
    findings: int
    max_severity: str


class Notable(_Out):
    id: str
    detector: str
    severity: str
    score: float
    entity: str
    window_start: datetime
    window_end: datetime
    techniques: list[str]
    status: str
    #: What the detector saw, in both languages (built from the finding's evidence).
    summary: Text


class TechniqueRow(_Out):
    id: str
    #: The ATT&CK name (English), when known.
    name: str | None = None
    findings: int


class TrafficSection(_Out):
    data_from: datetime | None
    data_until: datetime | None
    total: int
    open_high: int
    silent_sensors: int
    silent_hours: float
    by_severity: dict[str, int]
    by_detector: list[DetectorRow]
    series: Series
    top_services: list[ServiceRow]
    notable: list[Notable]
    techniques: list[TechniqueRow]
    previous_period: str | None = None
    previous_by_severity: dict[str, int] | None = None


# --------------------------------------------------------------------------- report


class Report(_Out):
    schema_: str = Field(default=SCHEMA, alias="schema")
    period: Period
    generated_at: datetime
    organisation: str
    previous_period: str | None
    summary: dict[str, list[str]]
    indicators: list[IndicatorResult]
    risk: RiskSection | None
    practice: PracticeSection | None
    traffic: TrafficSection | None
    sources: list[DataSource]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_json_dict(self) -> dict[str, object]:
        """The stable JSON shape (``schema`` first, dates as ISO strings)."""
        return self.model_dump(mode="json", by_alias=True)
