from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sectool.cli import main

AS_OF = ["--as-of", "2026-12-01"]


def test_validate_example(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "validate", str(example), *AS_OF]) == 0
    cap = capsys.readouterr()
    assert "25 risks, 16 assets, 93 SoA entries; matrix 5x5" in cap.out
    assert "2 errors" in cap.out
    assert "[acceptance_expired] acceptance of risk R-19" in cap.err


def test_score_json(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "score", str(example), *AS_OF, "--format", "json", "--top", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == 1
    assert data["as_of"] == "2026-12-01"
    assert [r["rank"] for r in data["risks"]] == [1, 2, 3]
    assert data["summary"]["risks"] == 25


def test_score_csv_and_md_to_file(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    assert main(["risk", "score", str(example), *AS_OF, "-f", "csv", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert len(rows) == 25
    assert rows[0]["rank"] == "1"
    md = tmp_path / "scored.md"
    assert main(["risk", "score", str(example), *AS_OF, "-f", "md", "--lang", "da", "-o", str(md)]) == 0
    assert md.read_text("utf-8").startswith("# Risikoregister: ")


def test_score_table_and_3x3_matrix(tmp_path: Path, write, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    path = write(
        """\
        appetite: low
        risks:
          - {id: R1, title: "[red]x[/]", owner: x, likelihood: 3, impact: 3,
             next_review: 2027-01-01}
        """
    )
    assert main(["risk", "score", str(path), "-m", "3x3", *AS_OF]) == 0
    out = capsys.readouterr().out
    assert "[red]x[/]" in out  # shown literally, never interpreted as markup
    assert "High" in out
    assert "▲" in out  # above the low appetite


@pytest.mark.parametrize(("fail_on", "code"), [("never", 0), ("error", 3), ("warning", 3)])
def test_fail_on(example: Path, fail_on: str, code: int) -> None:
    assert main(["risk", "score", str(example), *AS_OF, "-f", "json", "--fail-on", fail_on]) == code


def test_heatmap_terminal_and_svg(example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "h.svg"
    assert main(["risk", "heatmap", str(example), *AS_OF, "--svg", str(svg)]) == 0
    out = capsys.readouterr().out
    for title in ("Inherent (25)", "Current (25)", "Residual (25)"):
        assert title in out
    text = svg.read_text("utf-8")
    assert text.startswith("<svg")
    assert text.count('stroke="#ffffff"') == 3 * 25  # matrix cells; the legend has 4 more rects


@pytest.mark.parametrize("fmt", ["csv", "md", "html"])
def test_soa_stdout(example: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "soa", str(example), "-f", fmt]) == 0
    assert "A.8.34" in capsys.readouterr().out


def test_soa_xlsx_needs_output(example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "soa", str(example), "-f", "xlsx"]) == 2
    assert "field '--output'" in capsys.readouterr().err
    assert main(["risk", "soa", str(example), "-f", "xlsx", "-o", str(tmp_path / "s.xlsx")]) == 0
    assert (tmp_path / "s.xlsx").stat().st_size > 0


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("risks: [\n", [], "register.yml:2: invalid YAML"),
        ("", [], "register.yml: file is empty"),
        (
            "risks:\n  - {id: R1, title: t, likelihood: x, impact: 2}\n",
            [],
            "register.yml:2, field 'risks[0].likelihood': level outside the matrix (got 'x'); expected 1..5",
        ),
        (
            "risks:\n  - {id: R1, title: t, likelihood: 5, impact: 2}\n",
            ["-m", "3x3"],
            "expected 1..3 or one of: low, medium, high",
        ),
        (
            "risks:\n  - {id: R1, title: t, likelihood: 1, impact: 2,\n"
            "     existing_controls: [{control: A.5.99, status: implemented}]}\n",
            [],
            "unknown Annex A control 'A.5.99'",
        ),
        (
            "risks:\n  - {id: R1, title: t, likelihood: 1, impact: 1}\n"
            "  - {id: R1, title: t, likelihood: 1, impact: 1}\n",
            [],
            "duplicate risk id",
        ),
        (
            "risks:\n  - {id: R1, title: t, likelihood: 1, impact: 1}\n",
            ["--as-of", "yesterday"],
            "field '--as-of': invalid date (got 'yesterday'); expected YYYY-MM-DD",
        ),
    ],
)
@pytest.mark.parametrize("command", ["validate", "score", "heatmap"])
def test_bad_input_exits_2_with_one_line(
    write,
    capsys: pytest.CaptureFixture[str],
    command: str,
    text: str,
    args: list[str],
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    path = write(text)
    assert main(["risk", command, str(path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_wrong_xlsx_sheet_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sectool.fileio import write_xlsx

    path = tmp_path / "r.xlsx"
    write_xlsx(path, {"Risici": (["id"], [["R1"]])})
    assert main(["risk", "validate", str(path)]) == 2
    assert "missing sheet 'risks' (got 'Risici')" in capsys.readouterr().err


def test_csv_missing_column_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.csv").write_text("id,title,likelihood\nR1,t,2\n", "utf-8")
    (tmp_path / "r.assets.csv").write_text("id,name\n", "utf-8")
    assert main(["risk", "score", str(tmp_path / "r.csv")]) == 2
    assert "r.csv:1, field 'impact': missing column 'impact'" in capsys.readouterr().err


@pytest.mark.parametrize("target", ["reg.csv", "reg.xlsx"])
def test_convert_round_trip(
    example: Path, tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / target
    assert main(["risk", "convert", str(example), "-o", str(out)]) == 0
    assert main(["risk", "score", str(example), *AS_OF, "-f", "csv"]) == 0
    expected = capsys.readouterr().out
    assert main(["risk", "score", str(out), *AS_OF, "-f", "csv"]) == 0
    assert capsys.readouterr().out == expected


def test_convert_rejects_other_targets(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["risk", "convert", str(example), "-o", str(tmp_path / "reg.json")]) == 2
    assert "unsupported output format (got '.json'); expected .csv or .xlsx" in capsys.readouterr().err
