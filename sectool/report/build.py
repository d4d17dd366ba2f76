"""Build the computed :class:`~sectool.report.numbers.Report` from :class:`ReportData`."""

from __future__ import annotations

from sectool.report.i18n import LANGS, Translator
from sectool.report.indicators import ReportConfig, evaluate
from sectool.report.model import DataSource, ReportData
from sectool.report.numbers import Report
from sectool.report.previous import Previous
from sectool.report.sections import practice_section, risk_section, traffic_section
from sectool.report.summary import summarise

__all__ = ["build_report"]


def build_report(data: ReportData, config: ReportConfig, previous: Previous | None = None) -> Report:
    """Compute every section, the indicators against their targets and the summary (da and en)."""
    opts = config.options
    risk = risk_section(data.risk, opts, previous) if data.risk is not None else None
    practice = practice_section(data.practice, opts, previous) if data.practice is not None else None
    traffic = traffic_section(data.traffic, data.period, opts, previous) if data.traffic is not None else None
    indicators = evaluate(
        config,
        risk=risk,
        practice=practice,
        traffic=traffic,
        previous=previous.indicators if previous is not None else None,
    )
    prev_label = previous.period if previous is not None else None
    summary = {
        lang: summarise(
            Translator(lang),
            period=data.period.label,
            previous_period=prev_label,
            indicators=indicators,
            risk=risk,
            practice=practice,
            traffic=traffic,
        )
        for lang in LANGS
    }
    sources = list(data.sources)
    if previous is not None:
        sources.append(
            DataSource(
                section="previous", key="previous", description=previous.period, location=previous.location
            )
        )
    return Report(
        period=data.period,
        generated_at=data.generated_at,
        organisation=data.organisation,
        previous_period=prev_label,
        summary=summary,
        indicators=indicators,
        risk=risk,
        practice=practice,
        traffic=traffic,
        sources=sources,
    )
