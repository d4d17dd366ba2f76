from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from sectool.report.build import build_report
from sectool.report.indicators import ReportConfig
from sectool.report.model import Period, ReportData
from sectool.report.previous import Previous
from sectool.report.render_html import render_html
from sectool.report.render_md import render_markdown
from sectool.report.sample import sample_data


@pytest.mark.parametrize(
    "sections", [(), ("risk",), ("practice", "traffic"), ("risk", "practice", "traffic")]
)
@pytest.mark.parametrize("with_previous", [False, True])
def test_three_to_five_sentences(
    q4: Period, config: ReportConfig, sections: tuple[str, ...], with_previous: bool
) -> None:
    full = sample_data(period=q4, clinics=20, risks=10, findings=50)
    data = ReportData(
        period=q4,
        generated_at=datetime(2026, 12, 31, tzinfo=UTC),
        **{s: getattr(full, s) for s in sections},
    )
    previous = (
        Previous(period="2026-Q3", indicators={i.id: 0.0 for i in config.indicators})
        if with_previous
        else None
    )
    report = build_report(data, config, previous)
    for lang in ("da", "en"):
        sentences = report.summary[lang]
        assert 3 <= len(sentences) <= 5, sentences
        assert all(s.endswith(".") for s in sentences)
    text = " ".join(report.summary["en"])
    assert ("first report" in text) != with_previous
    if "risk" in sections:
        assert "decision" in text or "decide" in text


def test_improved_and_worse_are_named(q4: Period, config: ReportConfig) -> None:
    data = sample_data(period=q4, clinics=20, risks=10, findings=50)
    prev = Previous(period="2026-Q3", indicators={"risks_above_appetite": 100.0, "clinics_submitted": 1.0})
    en = " ".join(build_report(data, config, prev).summary["en"])
    assert "Improved since 2026-Q3: risks above the risk appetite." in en
    assert "Worse since 2026-Q3: share of invited clinics that submitted." in en


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


@pytest.mark.parametrize(
    "previous",
    [
        None,
        Previous(period="2026-Q3", indicators={"risks_above_appetite": 100.0, "clinics_submitted": 1.0}),
        Previous(period="2026-Q3", indicators={"risks_above_appetite": 0.0, "clinics_submitted": 0.0}),
    ],
)
@pytest.mark.parametrize("lang", ["da", "en"])
def test_rendered_summary_has_three_to_five_sentences(
    q4: Period, config: ReportConfig, tu, previous: Previous | None, lang: str
) -> None:
    # Every section present, risks above the appetite and expired acceptances: the longest summary.
    data = sample_data(period=q4, clinics=20, risks=25, findings=80)
    report = build_report(data, config, previous)
    html = render_html(report, lang)  # type: ignore[arg-type]
    section = html[html.index('<section id="summary"') : html.index("</section>", html.index('id="summary"'))]
    html_sentences = _sentences(tu.html_text(section.split("</h2>", 1)[1]))
    md = render_markdown(report, lang)  # type: ignore[arg-type]
    md_par = md.split("## 1. ", 1)[1].split("\n\n", 1)[1].split("\n\n", 1)[0]
    md_sentences = _sentences(tu.md_unescape(md_par))
    assert 3 <= len(html_sentences) <= 5, html_sentences
    assert len(md_sentences) == len(html_sentences), md_sentences
