"""Helpers: visible text of HTML rows, Markdown table rows and PDF pages; the rows the JSON implies."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from sectool.report.i18n import Translator

HOSTILE_CLINIC = "<script>alert('x')</script> Lægehuset {{ 7*7 }}"
HOSTILE_DNS = "{{ 7*7 }}.<script>evil()</script>.exfil.example"

_TAG = re.compile(r"<[^>]+>")
_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S)


def norm(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def html_text(doc: str) -> str:
    body = re.sub(r"<style>.*?</style>", " ", doc, flags=re.S)
    body = re.sub(r"<svg\b.*?</svg>", " ", body, flags=re.S)
    return norm(html.unescape(_TAG.sub(" ", body)))


def html_rows(doc: str) -> list[str]:
    return [norm(html.unescape(_TAG.sub(" ", m.group(1)))) for m in _ROW.finditer(doc)]


def md_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def md_rows(doc: str) -> list[str]:
    rows = []
    for line in doc.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
            rows.append(norm(" ".join(md_unescape(c.strip()) for c in cells)))
    return rows


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(
        norm(line) for page in PdfReader(path).pages for line in page.extract_text().splitlines()
    )


def expected_rows(data: dict[str, Any], lang: str) -> dict[str, list[str]]:
    """Table rows (as visible text) that every format must show, computed from report.json."""
    t = Translator(lang)  # type: ignore[arg-type]
    rows: dict[str, list[str]] = {"indicators": [], "risks": [], "status": [], "domains": [], "detectors": []}
    for i in data["indicators"]:
        target = t(f"target_{i['direction']}", target=t.value(i["target"], i["unit"]))
        rows["indicators"].append(norm(f"{i['title'][lang]} {t.value(i['value'], i['unit'])} {target}"))
    risk = data["risk"]
    if risk:

        def label(name: str) -> str:
            lbl = risk["level_labels"].get(name)
            return lbl[lang] if lbl else name

        for r in risk["top"]:
            rows["risks"].append(
                norm(
                    f"{r['rank']} {r['id']} {r['title']} {r['owner'] or '–'} "
                    f"{label(r['inherent_level'])} ({t.number(r['inherent_score'])}) "
                    f"{label(r['current_level'])} ({t.number(r['current_score'])}) "
                    f"{label(r['residual_level'])} ({t.number(r['residual_score'])})"
                )
            )
    p = data["practice"]
    if p and p["submitted"]:
        for s in ("met", "approaching", "not_met"):
            n = p["status_counts"][s]
            rows["status"].append(norm(f"{t.status(s)} {t.count(n)} {t.share(n / p['submitted'])}"))
        for d in p["domains"]:
            rows["domains"].append(
                norm(f"{d['title'][lang]} {t.number(d['mean_score'])} {t.count(d['clinics'])}")
            )
    tr = data["traffic"]
    if tr:
        for d in tr["by_detector"]:
            counts = " ".join(t.count(d[s]) for s in ("low", "medium", "high", "critical"))
            rows["detectors"].append(norm(f"{t.detector(d['detector'])} {counts} {t.count(d['total'])}"))
    return rows


def pdf_has_row(text: str, row: str, window: int = 400) -> bool:
    """True when the row's words appear in order within ``window`` characters of the PDF text
    (whitespace ignored): a table cell that wraps onto a second line interleaves with its
    neighbours in the extracted text, but never leaves the row's neighbourhood."""
    flat = "".join(text.split())
    words = row.split()
    start = flat.find("".join(words[:2]))
    while start != -1:
        pos, ok = start, True
        for word in words:
            found = flat.find(word, pos, start + window)
            if found == -1:
                ok = False
                break
            pos = found + len(word)
        if ok:
            return True
        start = flat.find("".join(words[:2]), start + 1)
    return False
