from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sectool.iso27001 import build_soa, load_register, score_register
from sectool.iso27001.soa_export import md_cell, soa_csv, soa_html, soa_markdown, write_soa


def test_soa_has_93_rows_in_annex_a_order(example: Path) -> None:
    rows = build_soa(load_register(example))
    assert len(rows) == 93
    assert rows[0].control == "A.5.1"
    assert rows[-1].control == "A.8.34"


def test_excluded_rows_carry_a_justification(example: Path) -> None:
    rows = build_soa(load_register(example))
    excluded = [r for r in rows if r.applicable is False]
    assert {r.control for r in excluded} == {"A.7.12", "A.8.30"}
    assert all(r.justification for r in excluded)
    assert all(r.status is None for r in excluded)


def test_rows_list_referencing_risks_ranked_when_scored(example: Path, as_of: dt.date) -> None:
    register = load_register(example)
    scored = score_register(register, as_of=as_of)
    rows = {r.control: r for r in build_soa(register, scored=scored)}
    assert set(rows["A.8.13"].risks) == {"R-01", "R-17"}
    rank = {s.risk.id: i for i, s in enumerate(scored.risks)}
    assert list(rows["A.8.16"].risks) == sorted(rows["A.8.16"].risks, key=rank.__getitem__)
    assert rows["A.8.30"].risks == ("R-24",)


def test_derived_and_undecided_rows(write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        """\
        risks:
          - id: R1
            title: t
            likelihood: 2
            impact: 2
            existing_controls: [{control: A.8.5, status: partially}]
            planned_controls: [{control: A.8.16}]
        soa:
          - {control: A.5.1, applicable: true, justification: policy}
        """
    )
    rows = {r.control: r for r in build_soa(load_register(path))}
    assert (rows["A.5.1"].decision, rows["A.5.1"].status) == ("soa", None)
    assert (rows["A.8.5"].decision, rows["A.8.5"].applicable, rows["A.8.5"].status) == (
        "derived",
        True,
        "partially",
    )
    assert (rows["A.8.16"].decision, rows["A.8.16"].status) == ("derived", "planned")
    assert (rows["A.8.34"].decision, rows["A.8.34"].applicable) == ("undecided", None)


HOSTILE = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> | pipe'


def _hostile_register(write) -> Path:  # type: ignore[no-untyped-def]
    return write(
        f"""\
        name: '<b>Reg</b>'
        soa:
          - control: A.5.1
            applicable: false
            justification: '{HOSTILE.replace("'", "''")}'
        """
    )


def test_csv_export_neutralises_formulas(write) -> None:  # type: ignore[no-untyped-def]
    register = load_register(_hostile_register(write))
    rows = list(csv.reader(io.StringIO(soa_csv(build_soa(register)))))
    assert len(rows) == 94
    assert rows[1][4].startswith("'=HYPERLINK")


def test_xlsx_export(write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    register = load_register(_hostile_register(write))
    path = tmp_path / "soa.xlsx"
    write_soa(build_soa(register), register, "xlsx", path, lang="da")
    # From bytes: a read-only workbook on a path leaves a file handle to the garbage collector.
    wb = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    try:
        values = list(wb["soa"].iter_rows(values_only=True))
    finally:
        wb.close()
    assert values[0][:3] == ("Kontrol", "Tema", "Titel")
    assert len(values) == 94
    assert str(values[1][4]).startswith("'=")
    assert values[1][3] == "nej"


def test_html_is_escaped_and_self_contained(write) -> None:  # type: ignore[no-untyped-def]
    register = load_register(_hostile_register(write))
    html = soa_html(build_soa(register), register, "en")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;Reg&lt;/b&gt;" in html
    # Nothing is fetched from elsewhere.
    assert "<link" not in html
    assert "src=" not in html
    assert html.count("<tr class=") == 93


def test_markdown_escapes_pipes_and_html(write) -> None:  # type: ignore[no-untyped-def]
    register = load_register(_hostile_register(write))
    md = soa_markdown(build_soa(register), register, "da")
    assert "<script>" not in md
    assert "\\| pipe" in md
    assert md.startswith("# Anvendelseserklæring (SoA): &lt;b&gt;Reg&lt;/b&gt;")
    table = [ln for ln in md.splitlines() if ln.startswith("| A.")]
    assert len(table) == 93


@pytest.mark.parametrize(
    ("raw", "cell"), [("a|b", "a\\|b"), ("x\ny", "x y"), ("<i>", "&lt;i&gt;"), (None, "")]
)
def test_md_cell(raw: object, cell: str) -> None:
    assert md_cell(raw) == cell
