"""Heat maps of a scored register: counts per matrix cell for each tier, in a terminal or as SVG.

Rows run from the highest likelihood (top) to the lowest, columns from the lowest impact
(left) to the highest, as risk matrices are usually drawn. Each cell is coloured by its
risk level; the number is how many risks sit in that cell in the tier.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from sectool.iso27001.scoring import TIERS, ScoredRegister, TierName

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["TIER_LABELS", "heatmap_svg", "heatmap_table", "text_colour"]

TIER_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "inherent": "Inherent",
        "current": "Current",
        "residual": "Residual",
        "likelihood": "Likelihood",
        "impact": "Impact",
        "title": "Risk heat map",
    },
    "da": {
        "inherent": "Iboende",
        "current": "Aktuel",
        "residual": "Restrisiko",
        "likelihood": "Sandsynlighed",
        "impact": "Konsekvens",
        "title": "Risikovarmekort",
    },
}


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#rrggbb``)."""
    r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#ffffff"


def heatmap_table(scored: ScoredRegister, tier: TierName, lang: str = "en") -> Table:
    """A rich table for one tier (labels are rich ``Text``, so hostile names cannot inject markup)."""
    from rich.table import Table
    from rich.text import Text

    m = scored.matrix
    lab = TIER_LABELS["da" if lang == "da" else "en"]
    grid = scored.heatmap(tier)
    table = Table(title=Text(f"{lab[tier]} ({sum(map(sum, grid))})"), show_lines=True)
    table.add_column(Text(f"{lab['likelihood']} \\ {lab['impact']}"), justify="right")
    for lv in m.impact:
        table.add_column(Text(f"{lv.value} {lv.label.get(lang)}"), justify="center")
    for lv in reversed(m.likelihood):
        cells: list[Text] = [Text(f"{lv.value} {lv.label.get(lang)}")]
        for imp in m.impact:
            colour = m.level(lv.value, imp.value).colour
            count = grid[lv.value - 1][imp.value - 1]
            cells.append(Text(f" {count or '·'} ", style=f"bold {text_colour(colour)} on {colour}"))
        table.add_row(*cells)
    return table


def heatmap_svg(scored: ScoredRegister, lang: str = "en", tiers: tuple[TierName, ...] = TIERS) -> str:
    """A self-contained SVG with one grid per tier side by side; all text is XML-escaped."""
    m = scored.matrix
    lab = TIER_LABELS["da" if lang == "da" else "en"]
    cell, left, top, gap = 44, 120, 60, 40
    n_l, n_i = len(m.likelihood), len(m.impact)
    panel_w = left + n_i * cell
    width = len(tiers) * panel_w + (len(tiers) - 1) * gap + 20
    height = top + n_l * cell + 120
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12" role="img">',
        f"<title>{escape(lab['title'])}: {escape(scored.register.name)}</title>",
    ]
    for t_index, tier in enumerate(tiers):
        grid = scored.heatmap(tier)
        x0 = 10 + t_index * (panel_w + gap)
        parts.append(
            f'<text x="{x0 + left + n_i * cell / 2}" y="24" text-anchor="middle" font-size="15" '
            f'font-weight="bold">{escape(lab[tier])}</text>'
        )
        for row, lv in enumerate(reversed(m.likelihood)):
            y = top + row * cell
            parts.append(
                f'<text x="{x0 + left - 6}" y="{y + cell / 2 + 4}" text-anchor="end">'
                f"{escape(lv.label.get(lang))}</text>"
            )
            for col, imp in enumerate(m.impact):
                x = x0 + left + col * cell
                level = m.level(lv.value, imp.value)
                count = grid[lv.value - 1][imp.value - 1]
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{level.colour}" '
                    f'stroke="#ffffff" stroke-width="2">'
                    f"<title>{escape(level.label.get(lang))}: {count}</title></rect>"
                )
                if count:
                    parts.append(
                        f'<text x="{x + cell / 2}" y="{y + cell / 2 + 5}" text-anchor="middle" '
                        f'font-size="15" font-weight="bold" fill="{text_colour(level.colour)}">{count}</text>'
                    )
        y_axis = top + n_l * cell
        for col, imp in enumerate(m.impact):
            cx = x0 + left + col * cell + cell / 2
            parts.append(
                f'<text x="{cx}" y="{y_axis + 14}" text-anchor="end" '
                f'transform="rotate(-35 {cx} {y_axis + 14})">'
                f"{escape(imp.label.get(lang))}</text>"
            )
        parts.append(
            f'<text x="{x0 + left + n_i * cell / 2}" y="{height - 38}" text-anchor="middle" '
            f'font-style="italic">'
            f"{escape(lab['impact'])}</text>"
        )
        parts.append(
            f'<text x="{x0 + 12}" y="{top + n_l * cell / 2}" text-anchor="middle" font-style="italic" '
            f'transform="rotate(-90 {x0 + 12} {top + n_l * cell / 2})">{escape(lab["likelihood"])}</text>'
        )
    # Legend: one swatch per risk level, lowest first.
    x = 10
    for risk_level in m.risk_levels:
        label = risk_level.label.get(lang)
        parts.append(f'<rect x="{x}" y="{height - 22}" width="14" height="14" fill="{risk_level.colour}"/>')
        parts.append(f'<text x="{x + 20}" y="{height - 10}">{escape(label)}</text>')
        x += 30 + 8 * len(label)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
