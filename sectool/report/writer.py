"""Write a built report to a directory: JSON, and HTML, Markdown and PDF per language."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from sectool.fileio import atomic_write_bytes, atomic_write_text
from sectool.report.i18n import Lang
from sectool.report.numbers import Report
from sectool.report.previous import REPORT_JSON
from sectool.report.render_html import render_html
from sectool.report.render_md import render_markdown

__all__ = ["FORMATS", "Format", "report_json", "write_report"]

Format = Literal["html", "md", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "md", "pdf")


def report_json(report: Report) -> str:
    """The JSON text of a report (stable key order, UTF-8, trailing newline)."""
    return json.dumps(report.to_json_dict(), ensure_ascii=False, indent=2) + "\n"


def write_report(
    report: Report,
    out_dir: str | Path,
    *,
    langs: Sequence[Lang] = ("da", "en"),
    formats: Sequence[Format] = FORMATS,
) -> list[Path]:
    """Write ``report.json`` and ``report.<lang>.<html|md|pdf>``; return the paths written.

    Each file is written atomically, the JSON last, so that a directory with a
    ``report.json`` always holds a complete report for the next period to compare with.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for lang in langs:
        if "html" in formats:
            path = out / f"report.{lang}.html"
            atomic_write_text(path, render_html(report, lang))
            written.append(path)
        if "md" in formats:
            path = out / f"report.{lang}.md"
            atomic_write_text(path, render_markdown(report, lang))
            written.append(path)
        if "pdf" in formats:
            from sectool.report.render_pdf import render_pdf

            path = out / f"report.{lang}.pdf"
            atomic_write_bytes(path, render_pdf(report, lang))
            written.append(path)
    path = out / REPORT_JSON
    atomic_write_text(path, report_json(report))
    written.append(path)
    return written
