"""Step ``report.forum``: the health cyber forum report from what earlier steps collected."""

from __future__ import annotations

import glob
import json
from pathlib import Path
from typing import Literal

from pydantic import Field

from sectool.errors import InputError
from sectool.playbook.steps import Params, RunContext, StepOutcome, register_step
from sectool.playbook.steps_traffic import window_of
from sectool.report.model import DataSource, Period

__all__ = ["ReportForumParams", "find_previous"]


class ReportForumParams(Params):
    """Write the forum report (HTML, PDF, Markdown, JSON)."""

    #: ``current``/``previous`` (quarter of the run's --until), or 2026-Q4, 2026-11, 2026.
    period: str = "current"
    #: Output directory; ``{period}`` is replaced by the period label.
    out: str = "reports/forum-{period}"
    #: An earlier report (directory or report.json), ``auto`` (the latest earlier report next to
    #: ``out``), or none.
    previous: str | None = "auto"
    lang: Literal["da", "en", "both"] = "both"
    formats: tuple[Literal["html", "md", "pdf"], ...] = ("html", "md", "pdf")
    indicators: str | None = None
    organisation: str = ""
    name_clinics: bool | None = None
    #: Findings JSONL files (globs) to include besides the findings of earlier steps.
    findings: list[str] = Field(default_factory=list)


def find_previous(out_dir: Path, period: Period) -> Path | None:
    """The newest ``report.json`` next to ``out_dir`` whose period ended before ``period`` starts."""
    best: tuple[str, Path] | None = None
    parent = out_dir.parent
    if not parent.is_dir():
        return None
    for candidate in parent.glob("*/report.json"):
        if candidate.parent.resolve() == out_dir.resolve():
            continue
        try:
            data = json.loads(candidate.read_text(encoding="utf-8"))
            end = str(data["period"]["end"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a forum report: ignore it
        if end < period.start.isoformat() and (best is None or end > best[0]):
            best = (end, candidate)
    return best[1] if best else None


@register_step("report.forum", ReportForumParams, "write the health cyber forum report")
def report_forum_step(params: ReportForumParams, ctx: RunContext) -> StepOutcome:
    from sectool.report.collect import traffic_from_dicts, traffic_from_jsonl
    from sectool.report.forum import ForumInputs, generate_forum_report, traffic_source
    from sectool.report.i18n import Lang
    from sectool.report.model import TrafficData, parse_period

    period = parse_period(params.period, as_of=ctx.until.date())
    out = ctx.path(params.out.replace("{period}", period.label))
    if params.previous == "auto":
        previous = find_previous(out, period)
    elif params.previous:
        previous = ctx.path(params.previous)
    else:
        previous = None
    sources: list[DataSource] = list(ctx.state.get("sources", []))
    traffic: TrafficData | None = None
    files: list[Path] = []
    for pattern in params.findings:
        matches = sorted(Path(p) for p in glob.glob(str(ctx.path(pattern))))
        files.extend(m for m in matches if m not in files)
    if files:
        traffic = traffic_from_jsonl(files)
        from_step = ctx.state.get("findings", [])
        if from_step:
            merged = traffic_from_dicts(from_step)
            traffic = TrafficData(
                data_from=traffic.data_from,
                data_until=traffic.data_until,
                findings=list({f.id: f for f in [*traffic.findings, *merged.findings]}.values()),
            )
        # The glob(s) and the number of files, not every path: the list grows every night.
        location = ", ".join(params.findings)
        sources.append(
            traffic_source(traffic, period, key="findings_jsonl", location=location, files=len(files))
        )
    elif "findings" in ctx.state:
        start, end = window_of(ctx)
        traffic = traffic_from_dicts(ctx.state["findings"], data_from=start, data_until=end)
        run_files = [str(p) for p in ctx.state.get("findings_files", [])]
        sources.append(
            traffic_source(
                traffic,
                period,
                key="findings_run",
                location=run_files[0] if len(run_files) == 1 else "",
                files=len(run_files) if len(run_files) > 1 else None,
            )
        )
    langs: tuple[Lang, ...] = ("da", "en") if params.lang == "both" else (params.lang,)
    if params.indicators is not None and not ctx.path(params.indicators).is_file():
        raise InputError("indicators file not found", file=ctx.path(params.indicators), field="indicators")
    result = generate_forum_report(
        ForumInputs(
            period=period,
            out=out,
            now=ctx.now,
            langs=langs,
            formats=tuple(params.formats),
            indicators=ctx.path(params.indicators) if params.indicators else None,
            previous=previous,
            organisation=params.organisation,
            name_clinics=params.name_clinics,
            risk=ctx.state.get("risk"),
            practice=ctx.state.get("practice"),
            traffic=traffic,
            sources=tuple(sources),
            out_field="out",
        )
    )
    ctx.state["report"] = result
    missing = result.missing
    return StepOutcome(
        counts={"files": len(result.paths), "indicators": len(result.report.indicators)},
        outputs=[str(p) for p in result.paths],
        notes=[*result.warnings, *([f"no data for: {', '.join(missing)}"] if missing else [])],
    )
