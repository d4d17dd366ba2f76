"""Reports for the health cyber forum.

Public API (imported lazily, so that ``sectool --help`` stays fast)::

    from sectool.report import ForumInputs, generate_forum_report, parse_period
    result = generate_forum_report(ForumInputs(period=parse_period("2026-Q4"), out=Path("reports/q4"),
                                               now=datetime.now(UTC), register=Path("register.yml")))

    # or step by step, from your own data:
    report = build_report(ReportData(...), load_config(), load_previous("reports/q3"))
    write_report(report, "reports/q4")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sectool._lazy import lazy_exports

if TYPE_CHECKING:  # real types for mypy and IDEs; at run time the names load lazily
    from sectool.report.build import build_report
    from sectool.report.forum import ForumInputs, ForumResult, generate_forum_report
    from sectool.report.indicators import ReportConfig, load_config
    from sectool.report.model import ReportData, parse_period
    from sectool.report.numbers import Report
    from sectool.report.previous import load_previous
    from sectool.report.writer import write_report

__all__ = [
    "ForumInputs",
    "ForumResult",
    "Report",
    "ReportConfig",
    "ReportData",
    "build_report",
    "generate_forum_report",
    "load_config",
    "load_previous",
    "parse_period",
    "write_report",
]

_WHERE = {
    "ForumInputs": "sectool.report.forum",
    "ForumResult": "sectool.report.forum",
    "generate_forum_report": "sectool.report.forum",
    "Report": "sectool.report.numbers",
    "ReportConfig": "sectool.report.indicators",
    "load_config": "sectool.report.indicators",
    "ReportData": "sectool.report.model",
    "parse_period": "sectool.report.model",
    "build_report": "sectool.report.build",
    "load_previous": "sectool.report.previous",
    "write_report": "sectool.report.writer",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
