"""Exports of the Statement of Applicability: CSV, XLSX, Markdown and self-contained HTML.

CSV and XLSX go through :mod:`sectool.fileio` (formula injection neutralised); HTML is
rendered by Jinja2 with autoescape; Markdown escapes table syntax and HTML.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from sectool.fileio import atomic_write_text, to_csv_text, write_xlsx
from sectool.iso27001.model import Register
from sectool.iso27001.soa import SoaRow, labels, soa_table

__all__ = ["SOA_FORMATS", "md_cell", "soa_csv", "soa_html", "soa_markdown", "write_soa"]

SoaFormat = Literal["csv", "xlsx", "md", "html"]
SOA_FORMATS: tuple[str, ...] = ("csv", "xlsx", "md", "html")


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, newlines or raw HTML."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def soa_csv(rows: list[SoaRow], lang: str = "en") -> str:
    header, body = soa_table(rows, lang)
    return to_csv_text(header, body)


def soa_markdown(rows: list[SoaRow], register: Register, lang: str = "en") -> str:
    lab = labels(lang)
    header, body = soa_table(rows, lang)
    lines = [f"# {md_cell(lab['soa'])}: {md_cell(register.name)}", ""]
    if register.organisation:
        lines += [md_cell(register.organisation), ""]
    lines.append("| " + " | ".join(md_cell(h) for h in header) + " |")
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in body]
    return "\n".join(lines) + "\n"


def soa_html(rows: list[SoaRow], register: Register, lang: str = "en") -> str:
    from jinja2 import Environment

    template_text = resources.files("sectool.iso27001").joinpath("data", "soa.html.j2").read_text("utf-8")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    header, body = soa_table(rows, lang)
    counts = {
        "yes": sum(r.applicable is True for r in rows),
        "no": sum(r.applicable is False for r in rows),
        "undecided": sum(r.applicable is None for r in rows),
    }
    return env.from_string(template_text).render(
        lang="da" if lang == "da" else "en",
        lab=labels(lang),
        register_name=register.name,
        organisation=register.organisation,
        header=header,
        rows=list(zip(rows, body, strict=True)),
        counts=counts,
    )


def write_soa(
    rows: list[SoaRow], register: Register, fmt: SoaFormat, path: str | Path, lang: str = "en"
) -> None:
    """Write the SoA to ``path`` atomically in ``fmt``."""
    if fmt == "csv":
        atomic_write_text(path, soa_csv(rows, lang))
    elif fmt == "xlsx":
        header, body = soa_table(rows, lang)
        write_xlsx(path, {"soa": (header, body)})
    elif fmt == "md":
        atomic_write_text(path, soa_markdown(rows, register, lang))
    else:
        atomic_write_text(path, soa_html(rows, register, lang))
