from __future__ import annotations

import json
from pathlib import Path

import pytest

from sectool.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "sectool" / "practice_audit" / "data" / "example_answers"


def _findings(path: Path, host: str) -> Path:
    lines = [
        {
            "id": f"id{i}",
            "detector": "dns_tunnelling",
            "severity": "high" if i % 2 else "medium",
            "score": 0.5 + i / 100,
            "title": "DNS tunnelling",
            "entity": {"kind": "domain", "value": host, "fields": {"dns.question.registered_domain": host}},
            "window": {"start": f"2026-11-0{i + 1}T10:00:00Z", "end": f"2026-11-0{i + 1}T11:00:00Z"},
            "evidence": {},
            "query": {},
            "techniques": ["T1071.004"],
        }
        for i in range(4)
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def test_forum_report_from_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sectool.iso27001 import EXAMPLE_REGISTER

    findings = _findings(tmp_path / "f.jsonl", "{{ 7*7 }}.tunnel.example")
    code = main(
        [
            "report",
            "forum",
            "--period",
            "2026-Q4",
            "--out",
            str(tmp_path / "out"),
            "--register",
            str(EXAMPLE_REGISTER),
            "--answers",
            str(EXAMPLES),
            "--findings",
            str(findings),
            "--lang",
            "en",
            "--format",
            "html,md",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "report.en.html",
        "report.en.md",
        "report.json",
    ]
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data["risk"]["total"] >= 20
    assert data["practice"]["invited"] == len({p.stem.split("-")[0] for p in EXAMPLES.glob("*.yml")})
    assert data["traffic"]["total"] == 4
    assert data["traffic"]["by_severity"]["high"] == 2
    assert data["traffic"]["top_services"][0]["service"] == "{{ 7*7 }}.tunnel.example"
    assert [s["section"] for s in data["sources"]] == ["risk", "practice", "traffic"]
    assert "report.en.html" in captured.out
    assert "no data for" not in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-Q5"], "not a reporting period"),
        (["--period", "2026-Q4", "--lang", "fr"], "unknown language"),
        (["--period", "2026-Q4", "--format", "docx"], "unknown output format"),
        (["--period", "2026-Q4", "--register", "nope.yml"], "nope.yml: file not found"),
        (["--period", "2026-Q4", "--findings", "nope.jsonl"], "nope.jsonl: file not found"),
        (["--period", "2026-Q4", "--previous", "nowhere"], "file not found"),
        (["--period", "2026-Q4", "--clinics", "a.json", "--answers", "b.yml"], "give one practice source"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = main(["report", "forum", "--out", str(tmp_path / "o"), *args])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_previous_of_same_period_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["report", "forum", "--period", "2026-Q4", "--out", str(tmp_path / "a"), "--format", "md"]) == 0
    )
    code = main(
        [
            "report",
            "forum",
            "--period",
            "2026-Q4",
            "--out",
            str(tmp_path / "b"),
            "--previous",
            str(tmp_path / "a"),
        ]
    )
    assert code == 2
    assert "the previous report is for the same period" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("bad", "message"), [("not json", "not valid JSON"), ("[1, 2]", "a line must hold a JSON object")]
)
def test_bad_finding_line_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str, message: str
) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text(
        '{"detector": "x", "severity": "high", "window": {"start": "2026-11-01T00:00:00Z", '
        f'"end": "2026-11-01T01:00:00Z"}}}}\n\n{bad}\n',
        encoding="utf-8",
    )
    code = main(
        ["report", "forum", "--period", "2026-Q4", "--out", str(tmp_path / "o"), "--findings", str(path)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f"{path}:3" in err
    assert message in err
    assert "Traceback" not in err


def test_appendix_counts_only_the_period(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Findings files may hold other quarters: the appendix counts the period's findings only."""
    q4 = _findings(tmp_path / "q4.jsonl", "a.example")  # 4 findings in November
    august = tmp_path / "aug.jsonl"
    lines = (
        q4.read_text(encoding="utf-8").replace("2026-11-0", "2026-08-0").replace('"id": "id', '"id": "old')
    )
    august.write_text(lines, encoding="utf-8")
    out = tmp_path / "out"
    args = ["report", "forum", "--period", "2026-Q4", "--out", str(out), "--format", "md"]
    assert main([*args, "--findings", str(q4), "--findings", str(august)]) == 0
    assert "note: no data for: risk, practice\n" in capsys.readouterr().err
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (source,) = data["sources"]
    assert source["records"] == data["traffic"]["total"] == 4
    assert source["time_from"] >= "2026-10-01"
    assert (source["location"], source["files"]) == (str(tmp_path), 2)
    assert data["traffic"]["data_from"] >= "2026-10-01"
