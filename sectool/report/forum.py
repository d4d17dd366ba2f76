"""Generate the forum report from input files: collect, build, write (the library behind the CLI).

Used by ``sectool report forum`` and the playbook step ``report.forum``; the step can
hand over data it already holds (``risk``, ``practice``, ``traffic``) instead of files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sectool.errors import InputError
from sectool.report.build import build_report
from sectool.report.collect import (
    practice_from_answer_files,
    practice_from_export,
    practice_from_store,
    risk_from_register,
    risk_from_scored_dict,
    traffic_from_jsonl,
)
from sectool.report.i18n import Lang
from sectool.report.indicators import load_config
from sectool.report.model import DataSource, Period, PracticeData, ReportData, RiskData, TrafficData
from sectool.report.numbers import Report
from sectool.report.previous import load_previous
from sectool.report.writer import FORMATS, Format, write_report
from sectool.yamlio import read_text

__all__ = ["ForumInputs", "ForumResult", "generate_forum_report", "redact_url", "traffic_source"]


@dataclass(frozen=True)
class ForumInputs:
    """Everything ``sectool report forum`` needs. Sections without any input are "no data"."""

    period: Period
    out: Path
    now: datetime
    langs: Sequence[Lang] = ("da", "en")
    formats: Sequence[Format] = FORMATS
    indicators: Path | None = None
    previous: Path | None = None
    organisation: str = ""
    name_clinics: bool | None = None
    # risk: a register file (scored here) or the JSON of `sectool risk score --format json`
    register: Path | None = None
    matrix: Path | None = None
    risk_json: Path | None = None
    risk: RiskData | None = None
    # practice: the database, the admin export, or answer files
    audit_db: str | None = None
    clinics_export: Path | None = None
    answers: Sequence[Path] = ()
    practice: PracticeData | None = None
    # traffic: JSONL findings files
    findings: Sequence[Path] = ()
    traffic: TrafficData | None = None
    sources: Sequence[DataSource] = field(default_factory=tuple)
    #: Fail when no PDF engine exists (the user asked for PDF explicitly); else skip it with a warning.
    pdf_required: bool = False
    #: The option or key named in write errors.
    out_field: str = "--out"


@dataclass(frozen=True)
class ForumResult:
    report: Report
    paths: list[Path]
    #: Warnings for the user (a skipped PDF).
    warnings: list[str] = field(default_factory=list)

    @property
    def html(self) -> list[Path]:
        return [p for p in self.paths if p.suffix == ".html"]

    @property
    def missing(self) -> list[str]:
        """The report's sections that had no data (``risk``, ``practice``, ``traffic``)."""
        report = self.report
        sections = (("risk", report.risk), ("practice", report.practice), ("traffic", report.traffic))
        return [name for name, section in sections if section is None]


def redact_url(url: str) -> str:
    """A database URL without its password (for the appendix and logs)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # any unparsable URL: show nothing secret
        return "<database>"


def _as_of(inputs: ForumInputs) -> date:
    """Date-dependent results (reviews, acceptances) are judged at the end of the period,
    or today when the period is still running."""
    return min(inputs.period.end, inputs.now.date())


def _risk(inputs: ForumInputs, sources: list[DataSource]) -> RiskData | None:
    if inputs.risk is not None:
        return inputs.risk
    if inputs.risk_json is not None:
        try:
            data = json.loads(read_text(inputs.risk_json))
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg}", file=inputs.risk_json, line=exc.lineno) from None
        if not isinstance(data, dict):
            raise InputError("expected a JSON object", file=inputs.risk_json)
        risk = risk_from_scored_dict(data, file=str(inputs.risk_json))
        location = str(inputs.risk_json)
    elif inputs.register is not None:
        risk, _ = risk_from_register(inputs.register, as_of=_as_of(inputs), matrix=inputs.matrix)
        location = str(inputs.register)
    else:
        return None
    sources.append(
        DataSource(
            section="risk",
            key="register",
            description=risk.register_name,
            location=location,
            time_until=risk.as_of,
            records=len(risk.risks),
        )
    )
    return risk


def _practice(inputs: ForumInputs, sources: list[DataSource]) -> PracticeData | None:
    if inputs.practice is not None:
        return inputs.practice
    if inputs.audit_db is not None:
        practice = practice_from_store(inputs.audit_db, period=inputs.period)
        location, what, files = redact_url(inputs.audit_db), "audit_db", None
    elif inputs.clinics_export is not None:
        practice = practice_from_export(inputs.clinics_export)
        location, what, files = str(inputs.clinics_export), "audit_export", None
    elif inputs.answers:
        practice = practice_from_answer_files(inputs.answers, as_of=_as_of(inputs))
        location, what, files = _location(inputs.answers), "answer_files", len(inputs.answers)
    else:
        return None
    sources.append(
        DataSource(
            section="practice",
            key=what,
            location=location,
            files=files,
            time_until=inputs.period.end,
            records=len(practice.clinics),
        )
    )
    return practice


def _traffic(inputs: ForumInputs, sources: list[DataSource]) -> TrafficData | None:
    if inputs.traffic is not None:
        return inputs.traffic
    if not inputs.findings:
        return None
    traffic = traffic_from_jsonl(inputs.findings)
    sources.append(
        traffic_source(
            traffic,
            inputs.period,
            key="findings_jsonl",
            location=_location(inputs.findings),
            files=len(inputs.findings),
        )
    )
    return traffic


def _location(paths: Sequence[Path]) -> str:
    """Where files came from, short: one file's path, or the common directory of many
    (the appendix shows the number of files next to it, never a list that grows every night)."""
    if len(paths) == 1:
        return str(paths[0])
    parents = {str(p.parent) for p in paths}
    return parents.pop() if len(parents) == 1 else "…"


def traffic_source(
    traffic: TrafficData, period: Period, *, key: str, location: str = "", files: int | None = None
) -> DataSource:
    """The appendix row of the traffic section: the findings and time range *within the period*
    (files may hold findings of other periods; the section counts only the period's)."""
    lo, hi = period.start_dt, period.end_dt
    in_period = sum(1 for f in traffic.findings if f.window_end > lo and f.window_start < hi)
    start = max(traffic.data_from, lo) if traffic.data_from is not None else None
    end = min(traffic.data_until, hi) if traffic.data_until is not None else None
    if start is not None and end is not None and start >= end:
        start = end = None  # no traffic of the period was analysed
    return DataSource(
        section="traffic",
        key=key,
        location=location,
        files=files,
        time_from=start,
        time_until=end,
        records=in_period,
    )


def generate_forum_report(inputs: ForumInputs) -> ForumResult:
    """Collect the inputs, build the report and write every format to ``inputs.out``."""
    config = load_config(inputs.indicators)
    if inputs.name_clinics is not None:
        config = config.model_copy(
            update={"options": config.options.model_copy(update={"name_clinics": inputs.name_clinics})}
        )
    previous = load_previous(inputs.previous) if inputs.previous is not None else None
    if previous is not None and previous.period == inputs.period.label:
        raise InputError(
            "the previous report is for the same period",
            file=previous.location,
            field="period.label",
            value=previous.period,
            expected="an earlier period",
        )
    sources = list(inputs.sources)
    data = ReportData(
        period=inputs.period,
        generated_at=inputs.now,
        organisation=inputs.organisation,
        risk=_risk(inputs, sources),
        practice=_practice(inputs, sources),
        traffic=_traffic(inputs, sources),
        sources=sources,
    )
    report = build_report(data, config, previous)
    warnings: list[str] = []
    paths = write_report(
        report,
        inputs.out,
        langs=inputs.langs,
        formats=inputs.formats,
        pdf_required=inputs.pdf_required,
        warn=warnings.append,
        field=inputs.out_field,
    )
    return ForumResult(report=report, paths=paths, warnings=warnings)
