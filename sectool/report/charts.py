"""Inline SVG charts: heat maps, horizontal bars (plain and stacked) and a stacked time series.

Every chart is a self-contained ``<svg>`` string without scripts or external references;
every label is XML-escaped here, so the strings can be inserted into HTML as markup.
Each chart also has a table with the same numbers in the report (accessibility, and
because tables survive every output format).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

__all__ = ["SEVERITY_COLOURS", "hbars", "heatmap", "stacked_hbars", "timeseries"]

SEVERITY_COLOURS = {"low": "#8fb8de", "medium": "#f2c14e", "high": "#e8743b", "critical": "#b3261e"}
INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#d9dee4"
FONT = "font-family=\"Helvetica, Arial, 'DejaVu Sans', sans-serif\""


def _e(text: object) -> str:
    return escape(str(text), {'"': "&quot;"})


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _wrap(text: str, n: int, max_lines: int = 2) -> list[str]:
    """Word-wrap ``text`` to lines of about ``n`` characters; at most ``max_lines`` lines (the
    last one takes the rest). Words are never split."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= n or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return lines


def _label(
    x: float, y: float, text: str, n: int, *, anchor: str, size: float, fill: str = INK, max_lines: int = 2
) -> tuple[str, int]:
    """A label wrapped onto up to ``max_lines`` lines around the baseline ``y``, with the full
    text as its ``<title>`` (a tooltip; and the text that screen readers and searches see).
    A single word longer than a line is set smaller rather than clipped. Returns (svg, lines)."""
    lines = _wrap(text, n, max_lines)
    if len(lines[-1]) > n:
        if " " in lines[-1]:
            lines[-1] = _clip(lines[-1], n)  # more text than lines: clip (the title has it all)
        else:
            size = round(size * n / len(lines[-1]), 1)  # one long word: smaller, not clipped
    line_h = size * 1.15
    first = y - (len(lines) - 1) * line_h / 2
    spans = "".join(
        f'<tspan x="{x}" y="{first + i * line_h:.1f}">{_e(line)}</tspan>' for i, line in enumerate(lines)
    )
    return (
        f'<text text-anchor="{anchor}" font-size="{size}" fill="{fill}">'
        f"<title>{_e(text)}</title>{spans}</text>",
        len(lines),
    )


def _ink_on(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour`` (#rrggbb)."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return INK if lum > 0.55 else "#ffffff"


def _open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(label)}" {FONT}>'
        f"<title>{_e(label)}</title>"
    )


def heatmap(
    counts: Sequence[Sequence[int]],
    *,
    likelihood_levels: Sequence[str],
    impact_levels: Sequence[str],
    cell_levels: Sequence[Sequence[str]],
    colours: dict[str, str],
    title: str,
    x_label: str,
    y_label: str,
) -> str:
    """A risk matrix with the number of risks per cell; likelihood rows, highest at the top."""
    cell_w, cell_h, left, top = 60, 38, 92, 8
    n_l, n_i = len(likelihood_levels), len(impact_levels)
    width = left + n_i * cell_w + 8
    height = top + n_l * cell_h + 70
    parts = [_open(width, height, title)]
    for li in range(n_l):
        y = top + (n_l - 1 - li) * cell_h
        parts.append(
            _label(left - 8, y + cell_h / 2 + 4, likelihood_levels[li], 15, anchor="end", size=11)[0]
        )
        for ii in range(n_i):
            x = left + ii * cell_w
            colour = colours.get(cell_levels[li][ii], "#eeeeee")
            n = counts[li][ii]
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" rx="3" fill="{colour}"'
                f' fill-opacity="{1 if n else 0.35}"/>'
            )
            if n:
                parts.append(
                    f'<text x="{x + (cell_w - 2) / 2}" y="{y + cell_h / 2 + 5}" text-anchor="middle" '
                    f'font-size="15" font-weight="bold" fill="{_ink_on(colour)}">{n}</text>'
                )
    base = top + n_l * cell_h
    for ii, name in enumerate(impact_levels):
        # two lines below the row: the first line's baseline at base + 14
        svg, lines = _label(
            left + ii * cell_w + (cell_w - 2) / 2, 0, name, 11, anchor="middle", size=10, max_lines=3
        )
        parts.append(
            svg.replace("<text ", f'<text transform="translate(0 {base + 14 + (lines - 1) * 5.75})" ', 1)
        )
    parts.append(
        f'<text x="{left + n_i * cell_w / 2}" y="{base + 46}" text-anchor="middle" font-size="11" '
        f'fill="{MUTED}">{_e(x_label)} →</text>'
    )
    parts.append(f'<text x="8" y="{base + 46}" font-size="11" fill="{MUTED}">↑ {_e(y_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbars(
    rows: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    max_value: float,
    colour: str = "#2f6f9f",
    label_width: int = 250,
) -> str:
    """Horizontal bars: ``(label, value, value text)``; ``None`` values show only the text."""
    bar_h, gap, bar_w = 18, 8, 300
    width = label_width + bar_w + 90
    height = max(len(rows), 1) * (bar_h + gap) + 6
    parts = [_open(width, height, title)]
    for i, (label, value, text) in enumerate(rows):
        y = 4 + i * (bar_h + gap)
        parts.append(_label(label_width - 8, y + 13, label, 40, anchor="end", size=11, max_lines=1)[0])
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{bar_w}" height="{bar_h}" fill="#eef1f4" rx="2"/>'
        )
        w = 0.0 if value is None or max_value <= 0 else max(0.0, min(1.0, value / max_value)) * bar_w
        if w > 0:
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" rx="2"/>'
            )
        parts.append(
            f'<text x="{label_width + bar_w + 8}" y="{y + 13}" font-size="11" fill="{INK}">{_e(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_hbars(
    rows: Sequence[tuple[str, Sequence[tuple[int, str]]]],
    *,
    title: str,
    label_width: int = 200,
    bar_width: int = 340,
) -> str:
    """Horizontal stacked bars: ``(label, [(value, colour), ...])``, total at the end."""
    bar_h, gap, bar_w = 18, 8, bar_width
    width = label_width + bar_w + 70
    top_total = max((sum(v for v, _ in segs) for _, segs in rows), default=0)
    # Long labels wrap onto a second line; such a row is taller.
    labels = [_label(label_width - 8, 0, label, 32, anchor="end", size=11) for label, _ in rows]
    pitches = [bar_h + gap + (12 if lines > 1 else 0) for _, lines in labels]
    height = max(sum(pitches), bar_h + gap) + 6
    parts = [_open(width, height, title)]
    y = 4
    for i, (_, segs) in enumerate(rows):
        y_bar = y + (6 if labels[i][1] > 1 else 0)  # the bar sits in the middle of a taller row
        y += pitches[i]
        parts.append(labels[i][0].replace("<text ", f'<text transform="translate(0 {y_bar + 13})" ', 1))
        x = float(label_width)
        total = sum(v for v, _ in segs)
        for value, colour in segs:
            if value <= 0 or top_total == 0:
                continue
            w = value / top_total * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{y_bar}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y_bar + 13}" font-size="11" fill="{INK}">{total:,}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _nice_max(value: int) -> int:
    if value <= 4:
        return 4
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return ((value // 10000) + 1) * 10000


def timeseries(
    starts: Sequence[date],
    series: Sequence[tuple[Sequence[int], str]],
    *,
    title: str,
) -> str:
    """Stacked columns per bucket (``series``: ``(counts, colour)`` bottom first), month ticks."""
    left, right, top, bottom, plot_h = 44, 10, 10, 30, 170
    n = max(len(starts), 1)
    plot_w = 640
    width, height = left + plot_w + right, top + plot_h + bottom
    totals = [sum(s[0][i] for s in series) for i in range(len(starts))]
    y_max = _nice_max(max(totals, default=0))
    parts = [_open(width, height, title)]
    for k in range(5):
        value = y_max * k // 4
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="{MUTED}">'
            f"{value:,}</text>"
        )
    col = plot_w / n
    for i in range(len(starts)):
        base = float(top + plot_h)
        for counts, colour in series:
            v = counts[i]
            if v <= 0:
                continue
            h = v / y_max * plot_h
            base -= h
            parts.append(
                f'<rect x="{left + i * col + col * 0.1:.1f}" y="{base:.1f}" '
                f'width="{max(col * 0.8, 0.8):.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
            )
    last_month = None
    for i, d in enumerate(starts):
        if (d.year, d.month) != last_month:
            last_month = (d.year, d.month)
            x = left + i * col
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 5}" '
                f'stroke="{MUTED}"/>'
            )
            parts.append(
                f'<text x="{x + 2:.1f}" y="{top + plot_h + 18}" font-size="10" fill="{MUTED}">'
                f"{d.isoformat()}</text>"
            )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{MUTED}"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
