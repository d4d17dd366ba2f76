"""CLI commands of sectool.iso27001 (heavy imports stay inside the commands).

``sectool risk validate|score|heatmap|soa FILE``. Results go to stdout (or ``-o``),
findings and messages to stderr. Exit codes: 0 ok, 2 bad input, 3 ``--fail-on`` findings.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from sectool.console import err, out
from sectool.errors import InputError

if TYPE_CHECKING:
    from sectool.iso27001.findings import Finding
    from sectool.iso27001.model import Register
    from sectool.iso27001.scoring import ScoredRegister, TierName

app = typer.Typer(no_args_is_help=True)


class ScoreFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


class SoaFormat(enum.StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    md = "md"
    html = "html"


class Lang(enum.StrEnum):
    en = "en"
    da = "da"


class TierChoice(enum.StrEnum):
    all = "all"
    inherent = "inherent"
    current = "current"
    residual = "residual"


class FailOn(enum.StrEnum):
    never = "never"
    info = "info"
    warning = "warning"
    error = "error"


FILE_ARG = typer.Argument(..., help="Register file: .yml/.yaml, .csv (with NAME.assets.csv) or .xlsx.")
MATRIX_OPT = typer.Option(
    None,
    "--matrix",
    "-m",
    help="Matrix: a shipped name (5x5, 3x3) or a YAML file. Default: the register's, else 5x5.",
)
AS_OF_OPT = typer.Option(
    None, "--as-of", help="Date for acceptance expiry and review checks (YYYY-MM-DD). Default: today."
)
ASSETS_OPT = typer.Option(None, "--assets", help="CSV registers: the assets file (default NAME.assets.csv).")
SOA_FILE_OPT = typer.Option(
    None, "--soa-file", help="CSV registers: the SoA file (default NAME.soa.csv, optional)."
)
LANG_OPT = typer.Option(Lang.en, "--lang", help="Language of labels and messages.")


def parse_as_of(value: str | None) -> dt.date:
    """``--as-of`` value -> date (today when omitted)."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError("invalid date", field="--as-of", value=value, expected="YYYY-MM-DD") from None


def _load(file: Path, assets: Path | None, soa_file: Path | None) -> Register:
    from sectool.iso27001.load import load_register

    return load_register(file, assets_path=assets, soa_path=soa_file)


def _score(
    file: Path, matrix: str | None, as_of: str | None, assets: Path | None, soa_file: Path | None
) -> ScoredRegister:
    from sectool.iso27001.scoring import matrix_for, score_register

    register = _load(file, assets, soa_file)
    return score_register(register, matrix_for(register, matrix), as_of=parse_as_of(as_of))


def _print_findings(findings: list[Finding], lang: Lang) -> None:
    from rich.text import Text

    from sectool.safetext import strip_controls

    styles = {"error": "bold red", "warning": "yellow", "info": "dim"}
    for f in findings:
        line = Text(f"{f.severity}: ", style=styles[f.severity])
        line.append(f"[{f.code}] ")
        line.append(strip_controls(f.message_da if lang is Lang.da else f.message))
        err.print(line, soft_wrap=True)


def _exit_for(findings: list[Finding], fail_on: FailOn) -> None:
    from sectool.iso27001.findings import SEVERITY_ORDER

    if fail_on is FailOn.never:
        return
    if any(SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[fail_on.value] for f in findings):
        raise typer.Exit(3)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        out.print(text, markup=False, highlight=False, end="", soft_wrap=True)
    else:
        from sectool.fileio import atomic_write_text

        atomic_write_text(output, text)
        err.print(f"wrote {output}", markup=False, highlight=False)


@app.command()
def validate(
    file: Path = FILE_ARG,
    matrix: str | None = MATRIX_OPT,
    as_of: str | None = AS_OF_OPT,
    assets: Path | None = ASSETS_OPT,
    soa_file: Path | None = SOA_FILE_OPT,
    lang: Lang = LANG_OPT,
) -> None:
    """Check a register against the schema, the Annex A catalogue and the matrix; list findings."""
    scored = _score(file, matrix, as_of, assets, soa_file)
    reg = scored.register
    counts = {s: sum(f.severity == s for f in scored.findings) for s in ("error", "warning", "info")}
    from sectool.iso27001.matrix import SHIPPED_MATRICES
    from sectool.safetext import strip_controls

    _print_findings(scored.findings, lang)
    source = ""
    if matrix is None and reg.matrix is not None and reg.matrix not in SHIPPED_MATRICES:
        from sectool.iso27001.scoring import register_matrix_path

        source = f" from {register_matrix_path(reg)}"  # the file actually read, not the path as written
    out.print(
        f"valid: {file}: {len(reg.risks)} risks, {len(reg.assets)} assets, {len(reg.soa)} SoA entries; "
        f"matrix {strip_controls(scored.matrix.name)}{source}; findings as of {scored.as_of.isoformat()}: "
        f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info",
        markup=False,
        highlight=False,
    )


@app.command()
def score(
    file: Path = FILE_ARG,
    matrix: str | None = MATRIX_OPT,
    as_of: str | None = AS_OF_OPT,
    fmt: ScoreFormat = typer.Option(ScoreFormat.table, "--format", "-f", help="Output format."),
    top: int | None = typer.Option(None, "--top", min=1, help="Only the N highest-ranked risks."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    assets: Path | None = ASSETS_OPT,
    soa_file: Path | None = SOA_FILE_OPT,
    lang: Lang = LANG_OPT,
    fail_on: FailOn = typer.Option(
        FailOn.never, "--fail-on", help="Exit 3 when a finding has at least this severity (for cron)."
    ),
) -> None:
    """Rank risks with inherent, current and residual level, appetite flag and findings."""
    from sectool.iso27001 import render

    scored = _score(file, matrix, as_of, assets, soa_file)
    if fmt is ScoreFormat.json:
        data = scored.to_dict()
        if top is not None:
            data["risks"] = data["risks"][:top]
        _emit(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output)
    elif fmt is ScoreFormat.csv:
        _emit(render.score_csv(scored, top), output)
    elif fmt is ScoreFormat.md:
        _emit(render.score_markdown(scored, top, lang.value), output)
    else:
        if output is not None:
            raise InputError(
                "--format table prints to the terminal", field="--output", expected="json, csv or md"
            )
        out.print(render.score_table(scored, top, lang.value, width=out.width))
        _print_findings(scored.findings, lang)
    _exit_for(scored.findings, fail_on)


@app.command()
def heatmap(
    file: Path = FILE_ARG,
    matrix: str | None = MATRIX_OPT,
    as_of: str | None = AS_OF_OPT,
    tier: TierChoice = typer.Option(TierChoice.all, "--tier", help="Which tier to show."),
    svg: Path | None = typer.Option(None, "--svg", help="Also write the heat map as SVG to this file."),
    assets: Path | None = ASSETS_OPT,
    soa_file: Path | None = SOA_FILE_OPT,
    lang: Lang = LANG_OPT,
) -> None:
    """Counts of risks per matrix cell for the inherent, current and residual tiers."""
    from sectool.iso27001.heatmap import heatmap_svg, heatmap_table
    from sectool.iso27001.scoring import TIERS

    scored = _score(file, matrix, as_of, assets, soa_file)
    tiers = TIERS if tier is TierChoice.all else (cast("TierName", tier.value),)
    for name in tiers:
        out.print(heatmap_table(scored, name, lang.value))
    if svg is not None:
        from sectool.fileio import atomic_write_text

        atomic_write_text(svg, heatmap_svg(scored, lang.value, tiers))
        err.print(f"wrote {svg}", markup=False, highlight=False)


@app.command()
def soa(
    file: Path = FILE_ARG,
    fmt: SoaFormat = typer.Option(SoaFormat.md, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file (required for xlsx)."
    ),
    assets: Path | None = ASSETS_OPT,
    soa_file: Path | None = SOA_FILE_OPT,
    lang: Lang = LANG_OPT,
) -> None:
    """Statement of Applicability: all 93 Annex A controls, decision, status and risks."""
    from sectool.iso27001.soa import build_soa
    from sectool.iso27001.soa_export import soa_csv, soa_html, soa_markdown, write_soa

    register = _load(file, assets, soa_file)
    rows = build_soa(register)
    if output is not None:
        write_soa(rows, register, fmt.value, output, lang.value)
        err.print(f"wrote {output}", markup=False, highlight=False)
        return
    if fmt is SoaFormat.xlsx:
        raise InputError("XLSX is binary: give a file", field="--output", expected="-o FILE.xlsx")
    text = {
        SoaFormat.csv: lambda: soa_csv(rows, lang.value),
        SoaFormat.md: lambda: soa_markdown(rows, register, lang.value),
        SoaFormat.html: lambda: soa_html(rows, register, lang.value),
    }[fmt]()
    _emit(text, None)


@app.command()
def convert(
    file: Path = FILE_ARG,
    output: Path = typer.Option(
        ..., "--output", "-o", help="Target: NAME.csv (with NAME.assets/.soa/.register.csv) or NAME.xlsx."
    ),
    assets: Path | None = ASSETS_OPT,
    soa_file: Path | None = SOA_FILE_OPT,
) -> None:
    """Write a register as CSV files or one XLSX workbook (e.g. YAML -> spreadsheet and back)."""
    from sectool.iso27001.tabular_export import write_tables

    for path in write_tables(_load(file, assets, soa_file), output):
        err.print(f"wrote {path}", markup=False, highlight=False)
