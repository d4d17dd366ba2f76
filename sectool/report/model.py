"""The typed input of the forum report (:class:`ReportData`) and the reporting period.

The report never reads another area's objects directly: :mod:`sectool.report.collect`
adapts the risk register, the clinic self-assessments and the traffic findings into
these models, so that the report can be built, tested and benchmarked from plain data.
A section that is ``None`` means "no data" and is rendered as such.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sectool.errors import InputError
from sectool.traffic.detect.findings import SEVERITIES, Severity

__all__ = [
    "SEVERITIES",
    "ClinicResult",
    "DataSource",
    "Domain",
    "Period",
    "PracticeData",
    "QuestionRef",
    "ReportData",
    "RiskData",
    "RiskFindingItem",
    "RiskItem",
    "RiskMatrixInfo",
    "Severity",
    "Text",
    "TierInfo",
    "TrafficData",
    "TrafficFinding",
    "parse_period",
]

ClinicStatus = Literal["met", "approaching", "not_met"]
CLINIC_STATUSES: tuple[ClinicStatus, ...] = ("met", "approaching", "not_met")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """A text in both report languages."""

    da: str
    en: str

    def get(self, lang: str) -> str:
        return self.da if lang == "da" else self.en


# --------------------------------------------------------------------------- period


class Period(_Model):
    """A reporting period: a quarter (``2026-Q4``), a month (``2026-11``) or a year (``2026``)."""

    label: str
    start: date
    end: date  # inclusive

    @property
    def start_dt(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @property
    def end_dt(self) -> datetime:
        """Exclusive end as a UTC datetime (midnight after the last day)."""
        return self.start_dt + timedelta(days=(self.end - self.start).days + 1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_period(text: str, *, as_of: date | None = None, field: str = "period") -> Period:
    """Parse ``2026-Q4``, ``2026-11``, ``2026``, or ``current`` / ``previous`` (quarter of ``as_of``).

    Raises:
        InputError: the text is none of these forms.
    """
    value = text.strip()
    if value in ("current", "previous"):
        if as_of is None:
            raise InputError(f"'{value}' needs a reference date", field=field, value=value)
        q = (as_of.month - 1) // 3 + 1
        year = as_of.year
        if value == "previous":
            q -= 1
            if q == 0:
                q, year = 4, year - 1
        value = f"{year}-Q{q}"
    if m := _QUARTER.match(value):
        year, q = int(m.group(1)), int(m.group(2))
        start = date(year, 3 * q - 2, 1)
        end_month = 3 * q
        end = date(year, end_month, calendar.monthrange(year, end_month)[1])
    elif m := _MONTH.match(value):
        year, month = int(m.group(1)), int(m.group(2))
        start = date(year, month, 1)
        end = date(year, month, calendar.monthrange(year, month)[1])
    elif m := _YEAR.match(value):
        year = int(m.group(1))
        start, end = date(year, 1, 1), date(year, 12, 31)
    else:
        raise InputError(
            "not a reporting period",
            field=field,
            value=text,
            expected="YYYY-Qn (e.g. 2026-Q4), YYYY-MM, YYYY, 'current' or 'previous'",
        )
    return Period(label=value, start=start, end=end)


# --------------------------------------------------------------------------- risk


class RiskMatrixInfo(_Model):
    """The axes and colours of the risk matrix, for the heat maps."""

    likelihood_levels: list[str] = Field(min_length=1)
    impact_levels: list[str] = Field(min_length=1)
    #: ``cell_levels[l][i]``: risk level name of likelihood index l, impact index i (both 0 = lowest).
    cell_levels: list[list[str]]
    #: Risk level name -> CSS colour (``#rrggbb``).
    level_colours: dict[str, str]
    #: Risk level names from lowest to highest.
    level_order: list[str] = Field(min_length=1)
    #: Display labels (da/en) of levels and axis values; the names are shown when absent.
    level_labels: dict[str, Text] = Field(default_factory=dict)
    likelihood_labels: list[Text] | None = None
    impact_labels: list[Text] | None = None

    @field_validator("level_colours")
    @classmethod
    def _colours(cls, value: dict[str, str]) -> dict[str, str]:
        for name, colour in value.items():
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
                raise ValueError(f"colour of level {name!r} must be #rrggbb, got {colour!r}")
        return value

    @model_validator(mode="after")
    def _grid(self) -> RiskMatrixInfo:
        if len(self.cell_levels) != len(self.likelihood_levels) or any(
            len(row) != len(self.impact_levels) for row in self.cell_levels
        ):
            raise ValueError("cell_levels must have one row per likelihood level and one column per impact")
        return self


class TierInfo(_Model):
    """One tier of a risk: 0-based indexes on the matrix axes, the level name and the score."""

    likelihood: int = Field(ge=0)
    impact: int = Field(ge=0)
    level: str
    score: float


class RiskItem(_Model):
    """One scored risk in three tiers (inherent: no controls; current: implemented; residual: planned too)."""

    id: str
    title: str
    owner: str | None = None
    inherent: TierInfo
    current: TierInfo
    residual: TierInfo
    #: The current risk is above the register's appetite.
    above_appetite: bool
    treatment: str | None = None


class RiskFindingItem(_Model):
    """A consistency finding of the register (review overdue, acceptance expired, ...)."""

    kind: str
    risk_id: str | None = None
    message: Text


class RiskData(_Model):
    """The scored risk register as the report needs it."""

    register_name: str = ""
    as_of: date
    appetite: str
    matrix: RiskMatrixInfo
    risks: list[RiskItem]
    findings: list[RiskFindingItem] = Field(default_factory=list)


# --------------------------------------------------------------------------- practice


class Domain(_Model):
    id: str
    title: Text


class QuestionRef(_Model):
    id: str
    domain: str
    text: Text


class ClinicResult(_Model):
    """The latest submission of one clinic in the period (or ``submitted=False``)."""

    name: str
    size: str | None = None
    submitted: bool = True
    submitted_at: date | None = None
    status: ClinicStatus | None = None
    maturity: int | None = Field(default=None, ge=1, le=5)
    score: float | None = Field(default=None, ge=0, le=100)
    #: Domain id -> weighted percentage 0-100.
    domain_scores: dict[str, float] = Field(default_factory=dict)
    #: Question ids not met (the clinic's gaps).
    gaps: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _submitted(self) -> ClinicResult:
        if self.submitted and (self.status is None or self.maturity is None):
            raise ValueError(f"clinic {self.name!r} submitted but has no status or maturity")
        return self


class PracticeData(_Model):
    """Clinic self-assessments: every invited clinic, submitted or not."""

    domains: list[Domain] = Field(default_factory=list)
    questions: list[QuestionRef] = Field(default_factory=list)
    clinics: list[ClinicResult] = Field(default_factory=list)


# --------------------------------------------------------------------------- traffic


class TrafficFinding(_Model):
    """One traffic finding (the detector's output, reduced to what the forum reads)."""

    id: str
    detector: str
    severity: Severity
    score: float = 0.0
    entity: str
    #: The service (DNS name, host or destination) it concerns, for "most affected services".
    service: str | None = None
    window_start: datetime
    window_end: datetime
    techniques: list[str] = Field(default_factory=list)
    status: Literal["open", "closed"] = "open"
    #: The detector's own one-line title (English).
    summary: str = ""
    #: The detector's numeric/text evidence (scalars only), for the translated summary.
    evidence: dict[str, float | int | str] = Field(default_factory=dict)


class TrafficData(_Model):
    """Findings of the period and the time range of the traffic they were computed over."""

    data_from: datetime | None = None
    data_until: datetime | None = None
    findings: list[TrafficFinding] = Field(default_factory=list)
    #: Detector name of the silent-source (flatline) detector, for the "sensors silent" indicator.
    silent_detector: str = "silent_source"


# --------------------------------------------------------------------------- all


class DataSource(_Model):
    """Where a section's data came from, for the appendix.

    ``key`` and ``location_key`` are text keys (``src_<key>``, ``loc_<key>`` in the i18n files),
    so that the appendix reads in the report's language; ``description`` and ``location`` are
    data (a register's name, a path) shown as they are.
    """

    section: Literal["risk", "practice", "traffic", "previous"]
    #: What kind of source (text key): register, audit_db, audit_export, answer_files,
    #: self_assessments, findings_jsonl, findings_run, previous, sample.
    key: str | None = None
    description: str = ""
    location: str = ""
    location_key: str | None = None
    #: Number of files read (the location is then a glob or a directory).
    files: int | None = None
    time_from: datetime | date | None = None
    time_until: datetime | date | None = None
    records: int | None = None


class ReportData(_Model):
    """Everything the forum report is built from. ``None`` sections have no data."""

    period: Period
    generated_at: datetime
    organisation: str = ""
    risk: RiskData | None = None
    practice: PracticeData | None = None
    traffic: TrafficData | None = None
    sources: list[DataSource] = Field(default_factory=list)
