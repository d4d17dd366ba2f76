"""Self-contained HTML of the forum report (inline CSS and SVG, print stylesheet).

Jinja2 renders with autoescape on for every template; only the package's own CSS and
the SVG strings built (and escaped) by :mod:`sectool.report.charts` are marked safe.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sectool.report import charts
from sectool.report.i18n import Lang, Translator
from sectool.report.model import SEVERITIES
from sectool.report.numbers import Report

__all__ = ["chart_svgs", "render_html"]

_STATUS_COLOURS = {"met": "#2e7d4f", "approaching": "#e0a526", "not_met": "#b3261e"}


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("sectool.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _css() -> str:
    return resources.files("sectool.report").joinpath("templates", "report.css").read_text(encoding="utf-8")


def chart_svgs(report: Report, t: Translator) -> dict[str, Markup]:
    """All charts of the report in ``t``'s language, as SVG markup.

    Marking them safe is sound: charts.py escapes every label it puts into the SVG.
    """
    out: dict[str, Markup] = {}
    lang = t.lang
    if report.risk is not None:
        r = report.risk
        for key, counts, title in (
            ("heat_inherent", r.heatmap_inherent, t("heat_inherent")),
            ("heat_residual", r.heatmap_residual, t("heat_residual")),
        ):
            out[key] = Markup(  # noqa: S704  # nosec B704
                charts.heatmap(
                    counts,
                    likelihood_levels=r.axis_labels("likelihood", lang),
                    impact_levels=r.axis_labels("impact", lang),
                    cell_levels=r.cell_levels,
                    colours=r.level_colours,
                    title=title,
                    x_label=t("axis_impact"),
                    y_label=t("axis_likelihood"),
                )
            )
    if report.practice is not None and report.practice.submitted:
        p = report.practice
        out["status"] = Markup(  # noqa: S704  # nosec B704
            charts.stacked_hbars(
                [
                    (t.status(s), [(p.status_counts.get(s, 0), _STATUS_COLOURS[s])])
                    for s in ("met", "approaching", "not_met")
                ],
                title=t("status_h"),
                label_width=170,
                bar_width=170,
            )
        )
        out["domains"] = Markup(  # noqa: S704  # nosec B704
            charts.hbars(
                [(d.title.get(lang), d.mean_score, t.number(d.mean_score)) for d in p.domains],
                title=t("domains_h"),
                max_value=100.0,
            )
        )
    if report.traffic is not None and report.traffic.total:
        tr = report.traffic
        out["detectors"] = Markup(  # noqa: S704  # nosec B704
            charts.stacked_hbars(
                [
                    (
                        t.detector(row.detector),
                        [(getattr(row, s), charts.SEVERITY_COLOURS[s]) for s in SEVERITIES],
                    )
                    for row in tr.by_detector
                ],
                title=t("by_detector_h"),
            )
        )
        out["series"] = Markup(  # noqa: S704  # nosec B704
            charts.timeseries(
                tr.series.starts,
                [(tr.series.counts[s], charts.SEVERITY_COLOURS[s]) for s in SEVERITIES],
                title=t("series_h", bucket=t(f"bucket_{tr.series.bucket}")),
            )
        )
    return out


def render_html(report: Report, lang: Lang, *, for_print: bool = False) -> str:
    """The report as one HTML document in ``lang`` (``for_print``: the PDF variant)."""
    t = Translator(lang)
    template = _env().get_template("report.html.j2")
    # The stylesheet is the package's own file, never user data.
    return template.render(
        r=report,
        t=t,
        lang=lang,
        charts=chart_svgs(report, t),
        css=Markup(_css()),  # noqa: S704  # nosec B704
        severities=SEVERITIES,
        severity_colours=charts.SEVERITY_COLOURS,
        status_colours=_STATUS_COLOURS,
        for_print=for_print,
    )
