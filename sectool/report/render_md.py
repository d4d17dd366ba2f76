"""Markdown of the forum report (CommonMark + GitHub tables).

Every text from the data is escaped with :func:`md_escape`: Markdown punctuation and
``<``/``>`` get a backslash, so a clinic or DNS name such as ``<script>`` renders as
literal text in any Markdown viewer and never as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sectool.report.i18n import Lang, Translator
from sectool.report.model import SEVERITIES
from sectool.report.numbers import PracticeSection, Report, RiskSection, TrafficSection

__all__ = ["md_escape", "render_markdown"]

# Inline markup characters; list/heading markers only matter at the start of a line.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&!])")
_LEADING = re.compile(r"^(\d+)([.)])|^([-+=])")


def md_escape(text: object) -> str:
    """Escape a data string for Markdown (also for use inside a table cell)."""
    flat = " ".join(str(text).split())
    escaped = _SPECIAL.sub(r"\\\1", flat)
    return _LEADING.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}", escaped)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    """A GitHub table; cells are already escaped/formatted."""
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _no_data(t: Translator) -> list[str]:
    return [f"_{t('no_data_section')}_", ""]


def _indicators(r: Report, t: Translator) -> list[str]:
    out = [f"## 2. {t('s_indicators')}", ""]
    if not r.indicators:
        return [*out, t("indicators_none"), ""]
    rows = []
    for i in r.indicators:
        met = t("met_none") if i.met is None else (t("met_yes") if i.met else t("met_no"))
        change = t.change(i.change, i.unit) + (f" ({t('trend_' + i.trend)})" if i.trend else "")
        rows.append(
            [
                md_escape(i.title.get(t.lang)),
                t.value(i.value, i.unit),
                t("target_" + i.direction, target=t.value(i.target, i.unit)),
                met,
                t.value(i.previous, i.unit) if i.previous is not None else "–",
                change,
            ]
        )
    header = [
        t(k) for k in ("col_indicator", "col_value", "col_target", "col_met", "col_previous", "col_change")
    ]
    out += _table(header, rows, right=(1, 4, 5))
    note = (
        t("indicators_previous", period=r.previous_period)
        if r.previous_period
        else t("indicators_no_previous")
    )
    return [*out, f"_{md_escape(note)}_", ""]


def _heat(k: RiskSection, counts: list[list[int]], title: str, t: Translator) -> list[str]:
    header = [f"{md_escape(t('axis_likelihood'))} / {md_escape(t('axis_impact'))}"]
    header += [md_escape(x) for x in k.axis_labels("impact", t.lang)]
    likelihood = k.axis_labels("likelihood", t.lang)
    rows = [
        [md_escape(likelihood[li]), *[t.count(n) for n in counts[li]]]
        for li in reversed(range(len(k.likelihood_levels)))
    ]
    return [f"**{md_escape(title)}**", "", *_table(header, rows, right=range(1, len(header)))]


def _risk(k: RiskSection | None, t: Translator) -> list[str]:
    out = [f"## 3. {t('s_risk')}", ""]
    if k is None:
        return out + _no_data(t)
    out += [
        md_escape(
            t(
                "risk_intro",
                total=t.count(k.total),
                name=k.register_name or "–",
                as_of=t.date(k.as_of),
                appetite=k.level_label(k.appetite, t.lang),
            )
        ),
        "",
    ]
    out += _heat(k, k.heatmap_inherent, t("heat_inherent"), t)
    out += _heat(k, k.heatmap_residual, t("heat_residual"), t)
    out += [f"### {t('top_risks', n=len(k.top))}", ""]
    yes, no = t("word_yes"), t("word_no")
    header = [
        t(c)
        for c in (
            "col_rank",
            "col_id",
            "col_risk",
            "col_owner",
            "col_inherent",
            "col_current",
            "col_residual",
            "col_above",
        )
    ]
    rows = [
        [
            str(x.rank),
            md_escape(x.id),
            md_escape(x.title),
            md_escape(x.owner or "–"),
            f"{md_escape(k.level_label(x.inherent_level, t.lang))} ({t.number(x.inherent_score)})",
            f"{md_escape(k.level_label(x.current_level, t.lang))} ({t.number(x.current_score)})",
            f"{md_escape(k.level_label(x.residual_level, t.lang))} ({t.number(x.residual_score)})",
            yes if x.above_appetite else no,
        ]
        for x in k.top
    ]
    out += _table(header, rows, right=(0,)) if rows else _no_data(t)
    out += [f"### {t('above_h')} ({t.count(len(k.above_appetite))})", ""]
    if k.above_appetite:
        out += [
            f"- {md_escape(x.id)} {md_escape(x.title)}: "
            f"{md_escape(k.level_label(x.current_level, t.lang))} ({t.number(x.current_score)})"
            for x in k.above_appetite
        ] + [""]
    else:
        out += [t("above_none"), ""]
    for key, none_key, items in (
        ("overdue_h", "overdue_none", k.review_overdue),
        ("expired_h", "expired_none", k.acceptance_expired),
    ):
        out += [f"### {t(key)} ({t.count(len(items))})", ""]
        out += [f"- {md_escape(f.risk_id or '–')} {md_escape(f.message.get(t.lang))}" for f in items] or [
            t(none_key)
        ]
        out.append("")
    if k.other_findings:
        out += [t("other_findings", n=t.count(k.other_findings)), ""]
    if k.changes is None:
        out += [f"### {t('changes_h_plain')}", "", t("changes_no_previous"), ""]
    else:
        c = k.changes
        out += [f"### {t('changes_h', period=c.previous_period)}", ""]
        lines = []
        for key, changed in (("raised", c.raised), ("lowered", c.lowered)):
            if changed:
                joined = "; ".join(
                    f"{md_escape(x.id)} {md_escape(k.level_label(x.before, t.lang))} → "
                    f"{md_escape(k.level_label(x.after, t.lang))}"
                    for x in changed
                )
                lines.append(f"- **{t(key)}:** {joined}")
        if c.new:
            lines.append(f"- **{t('new_risks')}:** {', '.join(md_escape(x) for x in c.new)}")
        if c.removed:
            lines.append(f"- **{t('removed_risks')}:** {', '.join(md_escape(x) for x in c.removed)}")
        out += (lines or [t("changes_none")]) + [""]
    return out


def _practice(p: PracticeSection | None, t: Translator) -> list[str]:
    out = [f"## 4. {t('s_practice')}", ""]
    if p is None or not p.invited:
        return out + _no_data(t)
    intro = t(
        "practice_intro",
        submitted=t.count(p.submitted),
        invited=t.count(p.invited),
        share=t.share(p.submitted_share),
    )
    out += [md_escape(intro), ""]
    if p.submitted:
        out += [f"### {t('status_h')}", ""]
        out += _table(
            [t("col_status"), t("col_clinics"), t("col_share")],
            [
                [
                    t.status(s),
                    t.count(p.status_counts.get(s, 0)),
                    t.share(p.status_counts.get(s, 0) / p.submitted),
                ]
                for s in ("met", "approaching", "not_met")
            ],
            right=(1, 2),
        )
        out += [f"### {t('maturity_h')}", ""]
        out += _table(
            [t("maturity_h"), t("col_clinics")],
            [[t("maturity_level", level=lvl), t.count(p.maturity_counts.get(lvl, 0))] for lvl in "12345"],
            right=(1,),
        )
        out += [md_escape(t("mean_maturity", value=t.number(p.mean_maturity, 2))), ""]
        out += [f"### {t('domains_h')}", ""]
        out += _table(
            [t("col_domain"), t("col_score"), t("col_clinics"), t("col_previous"), t("col_change")],
            [
                [
                    md_escape(d.title.get(t.lang)),
                    t.number(d.mean_score),
                    t.count(d.clinics),
                    t.number(d.previous) if d.previous is not None else "–",
                    t.change(d.change, "number") if d.change is not None else "–",
                ]
                for d in p.domains
            ],
            right=(1, 2, 3, 4),
        )
        out += [f"### {t('gaps_h')}", ""]
        out += (
            _table(
                [t("col_requirement"), t("col_clinics"), t("col_share")],
                [
                    [
                        f"{md_escape(g.question_id)} {md_escape(g.text.get(t.lang))}",
                        t.count(g.clinics),
                        t.share(g.share),
                    ]
                    for g in p.top_gaps
                ],
                right=(1, 2),
            )
            if p.top_gaps
            else [t("none"), ""]
        )
    if p.previous_period:
        out += [f"### {t('trend_h', period=p.previous_period)}", ""]
        for what, now, before in (
            ("trend_submitted", t.share(p.submitted_share), t.share(p.previous_submitted_share)),
            ("trend_met", t.share(p.standards_met_share), t.share(p.previous_standards_met_share)),
            ("trend_maturity", t.number(p.mean_maturity, 2), t.number(p.previous_mean_maturity, 2)),
        ):
            out.append("- " + md_escape(t("trend_line", what=t(what), now=now, before=before)))
        out.append("")
    if p.named:
        out += [f"### {t('clinics_not_met_h')}", ""]
        out += [f"- {md_escape(n)}" for n in p.clinics_not_met] or [t("none")]
        out.append("")
    else:
        out += [f"_{md_escape(t('names_hidden'))}_", ""]
    return out


def _traffic(x: TrafficSection | None, t: Translator) -> list[str]:
    out = [f"## 5. {t('s_traffic')}", ""]
    if x is None:
        return out + _no_data(t)
    intro = t("traffic_intro", total=t.count(x.total), open_high=t.count(x.open_high))
    if x.data_from and x.data_until:
        intro += " " + t("traffic_range", start=t.date(x.data_from), end=t.date(x.data_until))
    out += [md_escape(intro), ""]
    out += _table(
        [t.severity(s) for s in reversed(SEVERITIES)],
        [[t.count(x.by_severity.get(s, 0)) for s in reversed(SEVERITIES)]],
        right=range(len(SEVERITIES)),
    )
    if x.total:
        out += [f"### {t('by_detector_h')}", ""]
        out += _table(
            [t("col_detector"), *[t.severity(s) for s in SEVERITIES], t("col_total")],
            [
                [
                    md_escape(t.detector(d.detector)),
                    *[t.count(getattr(d, s)) for s in SEVERITIES],
                    t.count(d.total),
                ]
                for d in x.by_detector
            ],
            right=range(1, len(SEVERITIES) + 2),
        )
        out += [f"### {t('series_h', bucket=t('bucket_' + x.series.bucket))}", ""]
        rows = [
            [d.isoformat(), *[t.count(x.series.counts[s][i]) for s in SEVERITIES]]
            for i, d in enumerate(x.series.starts)
            if any(x.series.counts[s][i] for s in SEVERITIES)
        ]
        out += _table(
            [t("col_time"), *[t.severity(s) for s in SEVERITIES]], rows, right=range(1, len(SEVERITIES) + 1)
        )
        out += [f"### {t('services_h')}", ""]
        out += _table(
            [t("col_service"), t("col_findings"), t("col_max_severity")],
            [[md_escape(s.service), t.count(s.findings), t.severity(s.max_severity)] for s in x.top_services],
            right=(1,),
        )
    out += [f"### {t('notable_h')}", ""]
    if x.notable:
        out += _table(
            [
                t(c)
                for c in (
                    "col_severity",
                    "col_detector",
                    "col_entity",
                    "col_time",
                    "col_techniques",
                    "col_score_short",
                )
            ],
            [
                [
                    t.severity(n.severity),
                    md_escape(t.detector(n.detector)),
                    md_escape(n.entity)
                    + (f" ({md_escape(n.summary.get(t.lang))})" if n.summary.get(t.lang) else ""),
                    t.date(n.window_start),
                    md_escape(", ".join(n.techniques)) or "–",
                    t.number(n.score, 2),
                ]
                for n in x.notable
            ],
            right=(5,),
        )
    else:
        out += [t("notable_none"), ""]
    if x.techniques:
        out += [f"### {t('techniques_h')}", ""]
        for tech in x.techniques:
            label = t.technique(tech.id, tech.name)
            name = f" {md_escape(label)}" if label else ""
            out.append(f"- {md_escape(tech.id)}{name} (×{t.count(tech.findings)})")
        out.append("")
    out += [md_escape(t("silent_line", hours=t.number(x.silent_hours, 0), n=t.count(x.silent_sensors))), ""]
    return out


def _appendix(r: Report, t: Translator) -> list[str]:
    out = [f"## 6. {t('s_appendix')}", "", f"### {t('method_h')}", ""]
    for key in ("method_indicators", "method_risk", "method_practice", "method_traffic"):
        out += [md_escape(t(key)), ""]
    out += [f"### {t('sources_h')}", ""]
    rows = [
        [
            t("section_" + s.section),
            md_escape(t.source(s)),
            md_escape(t.source_location(s)),
            t.source_range(s),
            t.count(s.records) if s.records is not None else "–",
        ]
        for s in r.sources
    ]
    header = [t(c) for c in ("col_section", "col_source", "col_location", "col_range", "col_records")]
    out += _table(header, rows, right=(4,)) if rows else [t("none"), ""]
    return out


def render_markdown(report: Report, lang: Lang) -> str:
    """The whole report as Markdown in ``lang``."""
    t = Translator(lang)
    r = report
    period = t("period_line", period=r.period.label, start=t.date(r.period.start), end=t.date(r.period.end))
    lines = [
        f"# {t('title')}",
        "",
        f"**{md_escape(period)}**",
        "",
    ]
    if r.organisation:
        lines += [md_escape(r.organisation), ""]
    lines += [f"_{md_escape(t('generated', when=t.date(r.generated_at)))}_", ""]
    lines += [f"## 1. {t('s_summary')}", ""]
    lines += [md_escape(" ".join(r.summary[lang])), ""]
    lines += _indicators(r, t)
    lines += _risk(r.risk, t)
    lines += _practice(r.practice, t)
    lines += _traffic(r.traffic, t)
    lines += _appendix(r, t)
    return "\n".join(lines).rstrip() + "\n"
