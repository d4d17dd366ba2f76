"""Rendering results (terminal table, Markdown, JSON) and the security officer's exports (CSV, JSON).

Everything a clinic wrote (owner names, justifications, clinic names) is treated as
hostile: rich output goes through :class:`rich.text.Text` (never markup), Markdown
escapes it, CSV cells are neutralised against formula injection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sectool.fileio import to_csv_text
from sectool.safetext import strip_controls

from .bank import annex_a_label
from .compare import Comparison
from .i18n import answer_label, maturity_label, size_label, status_label, t
from .models import Lang, Result

__all__ = [
    "admin_csv",
    "admin_json",
    "print_result",
    "result_json",
    "result_markdown",
]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")


def _md(text: str) -> str:
    """Escape text for Markdown; HTML becomes entities, newlines become spaces."""
    text = " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _pct(value: float | None, lang: Lang) -> str:
    return t("not_applicable_domain", lang) if value is None else f"{value:.0f} %"


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.0f}"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def result_json(result: Result, comparison: Comparison | None = None) -> str:
    """The result (and the comparison, if any) as indented JSON."""
    payload: dict[str, Any] = {"result": result.model_dump(mode="json")}
    if comparison is not None:
        payload["comparison"] = comparison.model_dump(mode="json")
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def result_markdown(
    result: Result, lang: Lang, *, clinic: str | None = None, comparison: Comparison | None = None
) -> str:
    """A printable Markdown report of one result."""
    lines: list[str] = [f"# {_md(t('title', lang))}" + (f": {_md(clinic)}" if clinic else ""), ""]
    lines += [
        f"- **{t('status', lang)}:** {status_label(result.status, lang)}",
        f"- **{t('maturity', lang)}:** {maturity_label(result.maturity, lang)}",
        f"- **{t('overall', lang)}:** {result.overall_percent:.0f} %",
        f"- **{t('must_pass', lang)}:** {result.must_pass_met}/{result.must_pass_total}",
        f"- **{t('answered', lang)}:** {result.answered}/{result.questions}",
        f"- **{t('size', lang)}:** {size_label(result.size, lang)}",
        f"- **{t('as_of', lang)}:** {result.as_of.isoformat()}",
        "",
        f"| {t('domain', lang)} | {t('score', lang)} | {t('must_pass', lang)} |",
        "|---|---:|---:|",
    ]
    for d in result.domains:
        mp = f"{d.must_pass_met}/{d.must_pass}" if d.must_pass else "–"
        lines.append(f"| {_md(d.title.get(lang))} | {_pct(d.percent, lang)} | {mp} |")
    if comparison is not None:
        lines += ["", f"## {t('comparison', lang)}", ""]
        lines.append(
            f"{t('status', lang)}: {status_label(comparison.previous_status, lang)} → "
            f"{status_label(comparison.current_status, lang)} ({t(comparison.status_change, lang)}); "
            f"{t('overall', lang)}: {comparison.overall_change:+.0f} {t('points', lang)}"
        )
        lines += ["", f"| {t('domain', lang)} | {t('previous', lang)} | {t('current', lang)} | "
                  f"{t('change', lang)} |", "|---|---:|---:|---:|"]  # fmt: skip
        for c in comparison.domains:
            lines.append(
                f"| {_md(c.title.get(lang))} | {_pct(c.previous, lang)} | {_pct(c.current, lang)} "
                f"| {_signed(c.change)} |"
            )
    lines += ["", f"## {t('plan', lang)}", ""]
    if not result.plan:
        lines.append(t("no_gaps", lang))
    for item in result.plan:
        flag = f" **{t('must_pass_flag', lang)}**" if item.must_pass else ""
        lines.append(f"{item.rank}. {_md(item.action.get(lang))}{flag}")
        lines.append(
            f"   - {t('question', lang)}: {_md(item.question.get(lang))} "
            f"({t('answer', lang)}: {answer_label(item.answer, lang)})"
        )
        controls = "; ".join(_md(annex_a_label(c, lang)) for c in item.annex_a)
        lines.append(f"   - {t('annex_a', lang)}: {controls}")
        if item.owner or item.due:
            owner = _md(item.owner) if item.owner else "–"
            due = item.due.isoformat() if item.due else "–"
            lines.append(f"   - {t('owner', lang)}: {owner}; {t('due', lang)}: {due}")
    return "\n".join(lines) + "\n"


def print_result(
    console: Console,
    result: Result,
    lang: Lang,
    *,
    clinic: str | None = None,
    comparison: Comparison | None = None,
) -> None:
    """Print the result as rich tables (no markup is ever built from clinic text)."""
    head = Text(t("title", lang), style="bold")
    if clinic:
        head.append(": ")
        head.append(strip_controls(clinic))
    console.print(head)
    console.print(
        Text(
            f"{t('status', lang)}: {status_label(result.status, lang)}   "
            f"{t('maturity', lang)}: {maturity_label(result.maturity, lang)}   "
            f"{t('overall', lang)}: {result.overall_percent:.0f} %   "
            f"{t('must_pass', lang)}: {result.must_pass_met}/{result.must_pass_total}   "
            f"{t('answered', lang)}: {result.answered}/{result.questions}"
        )
    )
    table = Table(show_edge=False)
    table.add_column(t("domain", lang))
    table.add_column(t("score", lang), justify="right")
    table.add_column(t("must_pass", lang), justify="right")
    if comparison is not None:
        table.add_column(t("change", lang), justify="right")
    changes = {c.domain: c for c in comparison.domains} if comparison else {}
    for d in result.domains:
        row = [
            Text(d.title.get(lang)),
            Text(_pct(d.percent, lang)),
            Text(f"{d.must_pass_met}/{d.must_pass}" if d.must_pass else "–"),
        ]
        if comparison is not None:
            c = changes.get(d.domain)
            row.append(Text(_signed(c.change) if c else ""))
        table.add_row(*row)
    console.print(table)
    if comparison is not None:
        console.print(
            Text(
                f"{t('comparison', lang)}: {status_label(comparison.previous_status, lang)} → "
                f"{status_label(comparison.current_status, lang)} ({t(comparison.status_change, lang)}), "
                f"{comparison.overall_change:+.0f} {t('points', lang)}"
            )
        )
    if not result.plan:
        console.print(Text(t("no_gaps", lang)))
        return
    # A numbered list rather than a table: action texts are long and terminals are narrow.
    console.print(Text(t("plan", lang), style="bold"))
    for item in result.plan:
        line = Text(f"{item.rank:>3}. ")
        if item.must_pass:
            line.append(f"[{t('must_pass_flag', lang)}] ", style="bold red")
        line.append(item.action.get(lang))
        console.print(line)
        details = Text("     ", style="dim")
        details.append(f"{t('answer', lang)}: {answer_label(item.answer, lang)} · ")
        details.append(f"{t('annex_a', lang)}: {', '.join(item.annex_a)} · {item.question_id}")
        if item.owner or item.due:
            details.append(f" · {t('owner', lang)}: ")
            details.append(strip_controls(item.owner or "–"))
            details.append(f" · {t('due', lang)}: {item.due.isoformat() if item.due else '–'}")
        console.print(details)


def admin_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """CSV text of :meth:`Store.export_rows` in ``columns`` order (formula injection neutralised)."""
    return to_csv_text(columns, ([r.get(c) for c in columns] for r in rows))


def admin_json(rows: Sequence[dict[str, Any]], *, generated_at: datetime) -> str:
    """JSON of :meth:`Store.export_rows` with a small envelope the forum report reads."""
    payload = {"generated_at": generated_at.isoformat(), "clinics": list(rows)}
    return json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default) + "\n"
