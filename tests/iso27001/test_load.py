from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.fileio import write_csv, write_xlsx
from sectool.iso27001 import load_register, score_register
from sectool.iso27001.tabular_export import to_tables


def _without_source(d: dict[str, Any]) -> dict[str, Any]:
    return {**d, "register": {k: v for k, v in d["register"].items() if k != "source"}}


def _export_csv(example: Path, folder: Path, delimiter_semicolon: bool = False) -> Path:
    tables = to_tables(load_register(example))
    names = {
        "risks": "reg.csv",
        "assets": "reg.assets.csv",
        "soa": "reg.soa.csv",
        "register": "reg.register.csv",
    }
    for section, (header, rows) in tables.items():
        write_csv(folder / names[section], header, rows)
        if delimiter_semicolon:
            import csv
            import io

            text = (folder / names[section]).read_text("utf-8")
            rows_all = list(csv.reader(io.StringIO(text)))
            buf = io.StringIO()
            csv.writer(buf, delimiter=";", lineterminator="\n").writerows(rows_all)
            (folder / names[section]).write_text(buf.getvalue(), "utf-8")
    return folder / "reg.csv"


def _export_xlsx(example: Path, folder: Path) -> Path:
    path = folder / "reg.xlsx"
    write_xlsx(path, to_tables(load_register(example)))  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize("fmt", ["csv", "csv;", "xlsx"])
def test_yaml_csv_and_xlsx_score_identically(example: Path, as_of: dt.date, tmp_path: Path, fmt: str) -> None:
    reference = score_register(load_register(example), as_of=as_of).to_dict()
    if fmt == "xlsx":
        path = _export_xlsx(example, tmp_path)
    else:
        path = _export_csv(example, tmp_path, delimiter_semicolon=fmt == "csv;")
    other = score_register(load_register(path), as_of=as_of).to_dict()
    assert _without_source(other) == _without_source(reference)
    assert len(other["risks"]) == 25


def test_csv_assets_option_and_risks_suffix(example: Path, as_of: dt.date, tmp_path: Path) -> None:
    path = _export_csv(example, tmp_path)
    moved = tmp_path / "elsewhere.csv"
    (tmp_path / "reg.assets.csv").rename(moved)
    with pytest.raises(
        InputError, match=r"reg\.assets\.csv: assets file not found; expected a sibling .* or --assets"
    ):
        load_register(path)
    reg = load_register(path, assets_path=moved)
    assert len(reg.assets) == 16
    risks = tmp_path / "reg.risks.csv"
    path.rename(risks)
    (moved).rename(tmp_path / "reg.assets.csv")
    assert len(load_register(risks).risks) == 25


# -- bad input: message names file, line/row, field, value, allowed ------------------------------------

BAD_YAML: list[tuple[str, str]] = [
    ("name: x\nrisks: [\n  {id: R1,\n", r"register\.yml:4: invalid YAML"),
    (
        "risks:\n  - id: R1\n    title: t\n    likelihood: [1, 2]\n    impact: 2\n",
        r"register\.yml:4, field 'risks\[0\]\.likelihood': a level must be a number"
        r" \(1\.\.n\) or a level name",
    ),
    (
        "risks:\n  - id: R1\n    title: t\n    likelihood: 2\n    impact: 2\n    next_review: soon\n",
        r"register\.yml:6, field 'risks\[0\]\.next_review'.*\(got 'soon'\)",
    ),
    (
        "risks:\n  - id: R1\n    title: t\n    likelihood: 2\n    impact: 2\n    existing_controls:\n"
        "      - {control: A.9.1, status: implemented}\n",
        r"register\.yml:7, field 'risks\[0\]\.existing_controls\[0\]\.control': unknown"
        r" Annex A control 'A\.9\.1'",
    ),
    (
        "risks:\n  - id: R1\n    title: t\n    likelihood: 2\n    impact: 2\n    existing_controls:\n"
        "      - {control: A.5.1, status: done}\n",
        r"register\.yml:7, field 'risks\[0\]\.existing_controls\[0\]\.status'.*'implemented', 'partially'",
    ),
    (
        "risks:\n  - {id: R1, title: a, likelihood: 1, impact: 1}\n  - {id: R1, title:"
        " b, likelihood: 1, impact: 1}\n",
        r"register\.yml:3, field 'risks\[1\]\.id': duplicate risk id \(first at line 2\) \(got 'R1'\)",
    ),
    (
        "assets:\n  - {id: a, name: A}\n  - {id: a, name: B}\n",
        r"register\.yml:3, field 'assets\[1\]\.id': duplicate asset id",
    ),
    (
        "assets:\n  - {id: a, name: A}\nrisks:\n  - {id: R1, title: a, likelihood: 1,"
        " impact: 1, assets: [b]}\n",
        r"register\.yml:4, field 'risks\[0\]\.assets\[0\]': risk R1 names an unknown"
        r" asset \(got 'b'\); expected .*\(a\)",
    ),
    (
        "soa:\n  - {control: A.8.30, applicable: false}\n",
        r"register\.yml:2, field 'soa\[0\]'.*A\.8\.30 is excluded \(applicable: false\)"
        r" without a justification",
    ),
    (
        "risks:\n  - {id: R1, title: a, likelihood: 1, impact: 1, color: red}\n",
        r"register\.yml:2, field 'risks\[0\]\.color': Extra inputs are not permitted",
    ),
    (
        "risks:\n  - id: R1\n    title: a\n    likelihood: 1\n    impact: 1\n   "
        " treatment: accept\n    acceptance:\n"
        "      {approved_by: CEO, date: 2026-05-01, expiry: 2026-01-01, justification: x}\n",
        r"register\.yml:7, field 'risks\[0\]\.acceptance': acceptance expiry must be after its date",
    ),
    ("", r"register\.yml: file is empty"),
    ("- just\n- a list\n", r"register\.yml:1: a register must be a mapping"),
    # Dates that do not exist: a user error with file, line and field (not an internal error).
    (
        "risks:\n  - {id: R1, title: t, likelihood: 1, impact: 1, next_review: 2030-02-30}\n",
        r"register\.yml:2, field 'risks\[0\]\.next_review': .*day value is outside expected range"
        r" \(got '2030-02-30'\)",
    ),
    (
        "risks:\n  - {id: R1, title: t, likelihood: 1, impact: 1, next_review: 2030-13-01}\n",
        r"register\.yml:2, field 'risks\[0\]\.next_review': .*month value is outside expected range"
        r".*\(got '2030-13-01'\)",
    ),
    (
        "risks:\n  - id: R1\n    title: t\n    likelihood: 1\n    impact: 1\n    treatment: accept\n"
        "    acceptance:\n      approved_by: CEO\n      date: 2026-02-29\n      expiry: 2027-01-01\n"
        "      justification: x\n",
        r"register\.yml:9, field 'risks\[0\]\.acceptance\.date': .*\(got '2026-02-29'\)",
    ),
    # Deep nesting: refused while parsing, not a RecursionError.
    ("risks: " + "[" * 5000 + "]" * 5000 + "\n", r"register\.yml:1: nesting is too deep"),
    ("risks:\n  - " + "{a: " * 100 + "1" + "}" * 100 + "\n", r"register\.yml:2: nesting is too deep"),
]


@pytest.mark.parametrize(("text", "pattern"), BAD_YAML)
def test_bad_yaml(write: Callable[..., Path], text: str, pattern: str) -> None:
    path = write(text)
    with pytest.raises(InputError, match=pattern) as info:
        load_register(path)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(("text", "pattern"), BAD_YAML)
def test_bad_yaml_through_the_cli(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str], text: str, pattern: str
) -> None:
    path = write(text)
    assert main(["risk", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert re.search(pattern, err), err
    assert "Traceback" not in err
    assert err.count("\n") == 1


#: Text that would drive a terminal (or hide what a reviewer reads) if printed raw.
HOSTILE_TEXT = [
    ("\x1b]0;pwned\x07\x1b[31mRED", "U+001B at position 1"),  # OSC window title + colour
    ("bad\x1b[2J", "U+001B at position 4"),  # clear screen
    ("nul\x00byte", "U+0000 at position 4"),
    ("c1\x9bcsi", "U+009B at position 3"),  # 8-bit CSI
    ("del\x7f", "U+007F at position 4"),
    ("carriage\rreturn", "U+000D at position 9"),  # overwrites the line in a terminal
    ("admin\u202e txt.exe", "bidirectional control character U+202E at position 6"),  # Trojan Source
    ("isolate\u2066x\u2069", "bidirectional control character U+2066"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE_TEXT)
@pytest.mark.parametrize(
    "field",
    ["title", "description", "threat", "vulnerability", "owner"],
)
def test_hostile_risk_text_is_rejected(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str], field: str, text: str, message: str
) -> None:
    import json

    risk = {"id": "R1", "title": "t", "likelihood": 1, "impact": 1, field: text}
    path = write("risks:\n  - " + json.dumps(risk) + "\n")
    assert main(["risk", "score", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"register.yml:2, field 'risks[0].{field}': " in err
    assert message in err
    assert "\x1b" not in err
    assert "\u202e" not in err


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('name: "x\\e]0;t\\a"\n', "name"),
        ('organisation: "x\\x9b"\n', "organisation"),
        ('assets:\n  - {id: a, name: "A\\e[1m"}\n', "assets[0].name"),
        (
            'soa:\n  - {control: A.5.1, applicable: false, justification: "no\\u202e"}\n',
            "soa[0].justification",
        ),
    ],
)
def test_hostile_text_elsewhere_in_the_register(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str], text: str, where: str
) -> None:
    assert main(["risk", "validate", str(write(text))]) == 2
    err = capsys.readouterr().err
    assert f"field '{where}': contains a" in err


def test_tabs_and_line_breaks_are_text(write: Callable[..., Path]) -> None:
    path = write(
        'risks:\n  - {id: R1, title: "a\\tb", description: "line 1\\r\\nline 2", likelihood: 1, impact: 1}\n'
    )
    risk = load_register(path).risks[0]
    assert risk.title == "a\tb"
    assert risk.description == "line 1\nline 2"


def _csv_folder(example: Path, tmp_path: Path) -> Path:
    return _export_csv(example, tmp_path)


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), "utf-8")


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda p: _edit(p, "id,title,", "id,name,"), r"reg\.csv:1: unknown column \(got 'name'\)"),
        (lambda p: _edit(p, ",likelihood,impact,", ",likelihood,severity,"), r"reg\.csv:1: unknown column"),
        (
            lambda p: p.write_text(p.read_text("utf-8").replace(",impact", "", 1), "utf-8"),
            r"reg\.csv:1, field 'impact': missing column 'impact'; expected required columns"
            r" id, title, likelihood, impact",
        ),
        (
            lambda p: _edit(p, "A.8.7:implemented", "A.8.77:implemented"),
            r"reg\.csv:2, field 'existing_controls': unknown Annex A control 'A\.8\.77'",
        ),
        (
            lambda p: _edit(p, "A.8.7:implemented", "A.8.7:implemented:sideways:x"),
            r"reg\.csv:2, field 'existing_controls': malformed control reference",
        ),
        (
            lambda p: _edit(p, "2027-03-31", "31/03/2027"),
            r"reg\.csv:2, field 'next_review'.*\(got '31/03/2027'\)",
        ),
        (lambda p: p.write_text("", "utf-8"), r"reg\.csv: file is empty; expected a header row"),
    ],
)
def test_bad_csv(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], edit, pattern: str
) -> None:  # type: ignore[no-untyped-def]
    path = _csv_folder(example, tmp_path)
    edit(path)
    with pytest.raises(InputError, match=pattern):
        load_register(path)
    assert main(["risk", "score", str(path)]) == 2
    err = capsys.readouterr().err
    assert re.search(pattern, err), err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_csv_hostile_text(example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv_folder(example, tmp_path)
    lines = path.read_text("utf-8").splitlines()
    lines[1] = lines[1].replace("R-01,", "R-01,\x1b]0;pwned\x07", 1)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    assert main(["risk", "score", str(path)]) == 2
    err = capsys.readouterr().err
    assert "reg.csv:2, field 'title': contains a control character U+001B at position 1" in err
    assert "\x1b" not in err


@pytest.mark.parametrize(
    ("cell", "column", "letter", "shown"),
    [
        ("=1+2", "likelihood", "C", "=1+2"),
        ('=HYPERLINK("http://x","y")', "title", "B", '=HYPERLINK("http://x","y")'),
    ],
)
def test_xlsx_formula_cell_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: str, column: str, letter: str, shown: str
) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "risks"
    ws.append(["id", "title", "likelihood", "impact"])
    row = {"id": "R1", "title": "t", "likelihood": 2, "impact": 3, column: cell}
    ws.append([row["id"], row["title"], row["likelihood"], row["impact"]])
    wb.create_sheet("assets").append(["id", "name"])
    path = tmp_path / "formula.xlsx"
    wb.save(path)
    assert main(["risk", "score", str(path)]) == 2
    err = capsys.readouterr().err
    assert (
        f"formula.xlsx[risks]:2, field '{column}': cell {letter}2 holds a formula ({shown}); enter the value"
        in err
    )


def test_csv_level_outside_matrix_names_row(example: Path, tmp_path: Path, as_of: dt.date) -> None:
    path = _csv_folder(example, tmp_path)
    lines = path.read_text("utf-8").splitlines()
    lines[2] = lines[2].replace(",almost_certain,major,", ",extreme,major,")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(
        InputError,
        match=r"reg\.csv:3, field 'likelihood': level outside the matrix "
        r"\(got 'extreme'\); expected 1\.\.5 or one of: rare",
    ):
        score_register(load_register(path), as_of=as_of)


def test_csv_soa_excluded_without_justification(example: Path, tmp_path: Path) -> None:
    path = _csv_folder(example, tmp_path)
    _edit(
        tmp_path / "reg.soa.csv",
        "A.8.30,no,All software is developed in-house; no development is outsourced",
        "A.8.30,nej,",
    )
    with pytest.raises(
        InputError, match=r"reg\.soa\.csv:\d+: A\.8\.30 is excluded .* without a justification"
    ):
        load_register(path)


def test_xlsx_wrong_sheet(tmp_path: Path) -> None:
    path = tmp_path / "reg.xlsx"
    write_xlsx(path, {"Sheet1": (["id", "title"], [["R1", "x"]])})
    with pytest.raises(
        InputError, match=r"reg\.xlsx: missing sheet 'risks' \(got 'Sheet1'\); expected sheets 'risks'"
    ):
        load_register(path)


def test_xlsx_bad_cell_names_sheet_and_row(example: Path, tmp_path: Path) -> None:
    tables = to_tables(load_register(example))
    header, rows = tables["risks"]
    rows[2][header.index("treatment")] = "ignore"
    path = tmp_path / "reg.xlsx"
    write_xlsx(path, tables)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"reg\.xlsx\[risks\]:4, field 'treatment'.*\(got 'ignore'\)"):
        load_register(path)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [(b"", r"reg\.xlsx: file is empty"), (b"not a zip file", r"reg\.xlsx: not a readable XLSX workbook")],
)
def test_xlsx_empty_or_garbage(tmp_path: Path, content: bytes, pattern: str) -> None:
    path = tmp_path / "reg.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match=pattern):
        load_register(path)


def test_unsupported_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unsupported register format \(got '\.json'\)"):
        load_register(tmp_path / "reg.json")
    with pytest.raises(InputError, match=r"nope\.yml: file not found"):
        load_register(tmp_path / "nope.yml")


def test_xlsx_numeric_cells(tmp_path: Path, as_of: dt.date) -> None:
    path = tmp_path / "reg.xlsx"
    write_xlsx(
        path,
        {
            "risks": (["id", "title", "likelihood", "impact", "assets"], [[17, 2024, 3, 4.0, 5]]),
            "assets": (["id", "name"], [[5, 1234]]),
            "register": (["key", "value"], [["appetite", "medium"], ["control_effect.max_reduction", 1]]),
        },
    )
    register = load_register(path)
    assert (register.risks[0].id, register.risks[0].title, register.assets[0].id) == ("17", "2024", "5")
    assert register.control_effect is not None
    assert register.control_effect.max_reduction == 1
    risk = score_register(register, as_of=as_of).risks[0]
    assert (risk.inherent.likelihood, risk.inherent.impact) == (3, 4)


def test_csv_duplicate_risk_id_names_both_rows(example: Path, tmp_path: Path) -> None:
    path = _csv_folder(example, tmp_path)
    _edit(path, "\nR-02,", "\nR-01,")
    with pytest.raises(
        InputError, match=r"reg\.csv:3, field 'id': duplicate risk id \(first at row 2\) \(got 'R-01'\)"
    ):
        load_register(path)
