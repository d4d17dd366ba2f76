"""CLI commands of sectool.report (heavy imports stay inside the commands)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer

from sectool.console import err, out
from sectool.errors import InputError

app = typer.Typer(no_args_is_help=True)

_LANGS = {"da": ("da",), "en": ("en",), "both": ("da", "en")}
_FORMATS = ("html", "md", "pdf")


def parse_formats(text: str) -> tuple[str, ...]:
    """``html,md,pdf`` -> a tuple; JSON is always written."""
    items = tuple(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))
    bad = [x for x in items if x not in _FORMATS]
    if bad or not items:
        raise InputError(
            "unknown output format", field="--format", value=text, expected="a list of html, md, pdf"
        )
    return items


def parse_langs(text: str) -> tuple[str, ...]:
    if text not in _LANGS:
        raise InputError("unknown language", field="--lang", value=text, expected="da, en or both")
    return _LANGS[text]


def _expand(paths: list[Path]) -> list[Path]:
    """Directories stand for the ``*.yml``/``*.yaml`` files in them (sorted)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted([*p.glob("*.yml"), *p.glob("*.yaml")])
            if not found:
                raise InputError("no answer files (*.yml) in directory", file=p)
            files.extend(found)
        else:
            files.append(p)
    return files


@app.command("forum")
def forum(
    period: str = typer.Option(
        ..., "--period", help="Reporting period: 2026-Q4, 2026-11, 2026, current, previous."
    ),
    out_dir: Path = typer.Option(..., "--out", help="Output directory (created if missing)."),
    previous: Path | None = typer.Option(
        None, "--previous", help="An earlier report: its directory or its report.json (for trends)."
    ),
    lang: str = typer.Option("both", "--lang", help="da, en or both."),
    indicators: Path | None = typer.Option(
        None, "--indicators", help="Indicators and options YAML (default: the shipped indicators)."
    ),
    register: Path | None = typer.Option(
        None, "--register", help="Risk register (YAML, CSV or XLSX), scored here."
    ),
    matrix: Path | None = typer.Option(None, "--matrix", help="Risk matrix YAML for --register."),
    risk_json: Path | None = typer.Option(
        None, "--risk-json", help="A scored register from 'sectool risk score --format json'."
    ),
    findings: list[Path] = typer.Option([], "--findings", help="Traffic findings JSONL (repeatable)."),
    audit_db: str | None = typer.Option(
        None, "--audit-db", help="Self-assessment database URL (default none; e.g. sqlite:///audit.db)."
    ),
    clinics: Path | None = typer.Option(
        None, "--clinics", help="Self-assessment JSON export (sectool audit export)."
    ),
    answers: list[Path] = typer.Option(
        [], "--answers", help="Clinic answer files, or a directory of *.yml answer files (repeatable)."
    ),
    formats: str | None = typer.Option(
        None,
        "--format",
        help="Formats besides JSON: html, md, pdf (default all; without a PDF engine the PDF is "
        "skipped with a warning, unless pdf is asked for here).",
    ),
    organisation: str = typer.Option("", "--organisation", help="Name shown on the cover."),
    name_clinics: bool | None = typer.Option(
        None, "--name-clinics/--no-name-clinics", help="Override the configuration: may clinics be named?"
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Reference date for 'current'/'previous' periods (default today, UTC)."
    ),
) -> None:
    """Write the health cyber forum report: HTML, PDF, Markdown and JSON."""
    from sectool.report.forum import ForumInputs, generate_forum_report
    from sectool.report.model import parse_period

    now = datetime.now(UTC)
    today = now.date()
    if as_of is not None:
        try:
            today = date.fromisoformat(as_of)
        except ValueError:
            raise InputError("not a date", field="--as-of", value=as_of, expected="YYYY-MM-DD") from None
    if sum(x is not None for x in (audit_db, clinics)) + bool(answers) > 1:
        raise InputError("give one practice source", field="--audit-db/--clinics/--answers")
    if register is not None and risk_json is not None:
        raise InputError("give one risk source", field="--register/--risk-json")
    inputs = ForumInputs(
        period=parse_period(period, as_of=today, field="--period"),
        out=out_dir,
        now=now,
        langs=parse_langs(lang),  # type: ignore[arg-type]
        formats=parse_formats(formats or ",".join(_FORMATS)),  # type: ignore[arg-type]
        pdf_required=formats is not None and "pdf" in parse_formats(formats),
        indicators=indicators,
        previous=previous,
        organisation=organisation,
        name_clinics=name_clinics,
        register=register,
        matrix=matrix,
        risk_json=risk_json,
        audit_db=audit_db,
        clinics_export=clinics,
        answers=tuple(_expand(answers)),
        findings=tuple(findings),
    )
    result = generate_forum_report(inputs)
    missing = result.missing
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    if missing:
        err.print(f"note: no data for: {', '.join(missing)}", markup=False, highlight=False)
    for path in result.paths:
        out.print(str(path), markup=False, highlight=False)
