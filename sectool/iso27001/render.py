"""Renderings of a scored register: rich table, CSV and Markdown (JSON is ``to_dict()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sectool.fileio import to_csv_text
from sectool.iso27001.scoring import ScoredRegister, ScoredRisk, Tier
from sectool.iso27001.soa_export import md_cell

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["SCORE_COLUMNS", "score_csv", "score_markdown", "score_rows", "score_table"]

SCORE_COLUMNS: tuple[str, ...] = (
    "rank",
    "id",
    "title",
    "owner",
    "treatment",
    "inherent_likelihood",
    "inherent_impact",
    "inherent_level",
    "current_likelihood",
    "current_impact",
    "current_level",
    "residual_likelihood",
    "residual_impact",
    "residual_level",
    "above_appetite",
    "residual_above_appetite",
    "next_review",
    "findings",
)

_MD: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Risk register",
        "as_of": "As of",
        "matrix": "Matrix",
        "appetite": "Risk appetite",
        "risks": "Risks",
        "above": "Above appetite (current)",
        "findings": "Findings",
        "ranked": "Ranked risks",
        "none": "none",
        "cols": (
            "#",
            "Risk",
            "Title",
            "Owner",
            "Treatment",
            "Inherent",
            "Current",
            "Residual",
            "Above appetite",
        ),
        "fcols": ("Severity", "Code", "Risk", "Message"),
        "yes": "yes",
        "no": "",
    },
    "da": {
        "title": "Risikoregister",
        "as_of": "Pr.",
        "matrix": "Matrix",
        "appetite": "Risikoappetit",
        "risks": "Risici",
        "above": "Over risikoappetit (aktuel)",
        "findings": "Fund",
        "ranked": "Risici efter prioritet",
        "none": "ingen",
        "cols": (
            "#",
            "Risiko",
            "Titel",
            "Ejer",
            "Behandling",
            "Iboende",
            "Aktuel",
            "Restrisiko",
            "Over appetit",
        ),
        "fcols": ("Alvor", "Kode", "Risiko", "Besked"),
        "yes": "ja",
        "no": "",
    },
}


def _limit(scored: ScoredRegister, top: int | None) -> list[ScoredRisk]:
    return scored.risks[:top] if top is not None else scored.risks


def score_rows(scored: ScoredRegister, top: int | None = None) -> list[list[Any]]:
    """One row per risk in :data:`SCORE_COLUMNS` order, ranked."""
    levels = scored.matrix.risk_levels
    rows = []
    for rank, s in enumerate(_limit(scored, top), start=1):
        r = s.risk
        row: list[Any] = [rank, r.id, r.title, r.owner or "", r.treatment]
        for t in (s.inherent, s.current, s.residual):
            row += [t.likelihood, t.impact, levels[t.level].name]
        row += [
            s.above_appetite,
            s.residual_above_appetite,
            r.next_review.isoformat() if r.next_review else "",
            "; ".join(f.code for f in s.findings),
        ]
        rows.append(row)
    return rows


def score_csv(scored: ScoredRegister, top: int | None = None) -> str:
    return to_csv_text(SCORE_COLUMNS, score_rows(scored, top))


def _tier_text(scored: ScoredRegister, t: Tier, lang: str) -> str:
    return f"{scored.matrix.risk_levels[t.level].label.get(lang)} ({t.likelihood}×{t.impact})"


def score_markdown(scored: ScoredRegister, top: int | None = None, lang: str = "en") -> str:
    lab = _MD["da" if lang == "da" else "en"]
    reg = scored.register
    appetite = (
        scored.matrix.risk_levels[scored.appetite].label.get(lang) if scored.appetite is not None else "-"
    )
    lines = [
        f"# {md_cell(lab['title'])}: {md_cell(reg.name)}",
        "",
        f"- {lab['as_of']}: {scored.as_of.isoformat()}",
        f"- {lab['matrix']}: {md_cell(scored.matrix.title.get(lang))}",
        f"- {lab['appetite']}: {md_cell(appetite)}",
        f"- {lab['risks']}: {len(scored.risks)}",
        f"- {lab['above']}: {len(scored.above_appetite)}",
        f"- {lab['findings']}: {len(scored.findings)}",
        "",
        f"## {lab['ranked']}",
        "",
        "| " + " | ".join(lab["cols"]) + " |",
        "|" + "---|" * len(lab["cols"]),
    ]
    for rank, s in enumerate(_limit(scored, top), start=1):
        cells = [
            rank,
            s.risk.id,
            s.risk.title,
            s.risk.owner or "",
            s.risk.treatment,
            _tier_text(scored, s.inherent, lang),
            _tier_text(scored, s.current, lang),
            _tier_text(scored, s.residual, lang),
            lab["yes"] if s.above_appetite else lab["no"],
        ]
        lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    lines += ["", f"## {lab['findings']}", ""]
    if not scored.findings:
        lines.append(lab["none"])
    else:
        lines.append("| " + " | ".join(lab["fcols"]) + " |")
        lines.append("|" + "---|" * len(lab["fcols"]))
        for f in scored.findings:
            msg = f.message_da if lang == "da" else f.message
            cells = [f.severity, f.code, f.risk_id or f.control or "", msg]
            lines.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def score_table(
    scored: ScoredRegister, top: int | None = None, lang: str = "en", width: int | None = None
) -> Table:
    """A rich table; user text goes in as ``Text`` so that it is never parsed as markup.

    ``width`` is the console width; below 110 columns the table drops its vertical rules and
    padding so that all nine columns fit in 80 columns without splitting words.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from sectool.iso27001.heatmap import text_colour
    from sectool.safetext import strip_controls

    lab = _MD["da" if lang == "da" else "en"]
    levels = scored.matrix.risk_levels
    appetite = levels[scored.appetite].label.get(lang) if scored.appetite is not None else "-"
    name = strip_controls(scored.register.name)
    table = Table(
        title=Text(f"{name} · {scored.as_of.isoformat()} · {lab['appetite']}: {appetite}"),
        header_style="bold",
    )
    compact = width is not None and width < 110
    if compact:
        table.box, table.padding, table.pad_edge = box.SIMPLE_HEAD, (0, 0, 0, 0), False

    def tier(t: Tier) -> Text:
        colour = levels[t.level].colour
        return Text(
            f" {levels[t.level].label.get(lang)} {t.likelihood}×{t.impact} ",
            style=f"{text_colour(colour)} on {colour}",
        )

    rows = [
        (
            Text(str(rank)),
            Text(strip_controls(s.risk.id)),
            Text(strip_controls(s.risk.title)),
            Text(strip_controls(s.risk.owner or "—")),
            Text(s.risk.treatment),
            tier(s.inherent),
            tier(s.current),
            tier(s.residual),
            Text("▲ " + lab["yes"] if s.above_appetite else "", style="bold red"),
        )
        for rank, s in enumerate(_limit(scored, top), start=1)
    ]
    # Every column is at least as wide as its longest word (header or cell), so a narrow
    # terminal or a pipe (80 columns) wraps between words and never splits "mitigate" into
    # "mitigat|e"; only the free-text title and owner are capped, and fold a word longer than that.
    for i, col in enumerate(lab["cols"]):
        words = [w for text in (col, *(r[i].plain for r in rows)) for w in text.split()]
        longest = max((len(w) for w in words), default=1)
        if i in (2, 3):
            longest = min(longest, 16 if i == 2 else 12)
        table.add_column(
            col,
            overflow="fold",
            no_wrap=i < 2,
            min_width=longest,
            # In a narrow table the short columns get no more than their longest word, so the
            # room goes to the title instead of squeezing the last column.
            max_width=longest if compact and i > 3 else None,
            ratio=3 if i == 2 else None,
        )
    for row in rows:
        table.add_row(*row)
    return table
