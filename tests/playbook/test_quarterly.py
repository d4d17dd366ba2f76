"""The shipped quarterly playbook end to end: register, clinics from the database, the nightly
findings files, and the trend from the previous quarter's report picked up automatically."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sectool.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "sectool" / "practice_audit" / "data" / "example_answers"


def _finding(i: int, day: str) -> dict:
    return {
        "id": f"q{i}",
        "detector": "port_scan",
        "severity": "high",
        "score": 0.8,
        "title": "scan",
        "entity": {"kind": "host", "value": "10.0.0.9", "fields": {"source.ip": "10.0.0.9"}},
        "window": {"start": f"{day}T01:00:00Z", "end": f"{day}T02:00:00Z"},
        "techniques": ["T1046"],
    }


def test_quarterly_report_with_previous_quarter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sectool.iso27001 import EXAMPLE_REGISTER
    from sectool.practice_audit.answers_file import load_answers_file
    from sectool.practice_audit.store import Store

    (tmp_path / "registers").mkdir()
    shutil.copy(EXAMPLE_REGISTER, tmp_path / "registers" / "risk-register.yml")
    db = tmp_path / "audit.sqlite"
    store = Store(f"sqlite:///{db}", secret="test")
    for n, name in enumerate(("torvet", "holm")):
        doc = load_answers_file(EXAMPLES / f"{name}.yml", store.bank)
        clinic, _ = store.create_invitation(
            clinic_name=doc.clinic or name,
            provider_number=f"10{n}",
            size=doc.size,
            expires_at=datetime(2026, 12, 1, tzinfo=UTC),
            now=datetime(2026, 10, 5, tzinfo=UTC),
        )
        store.submit(clinic.id, doc.answers, now=datetime(2026, 10, 20, tzinfo=UTC))
    store.close()
    monkeypatch.setenv("SECTOOL_AUDIT_DB", str(db))
    (tmp_path / "findings").mkdir()
    (tmp_path / "findings" / "nightly-2026-11-02.jsonl").write_text(
        "\n".join(json.dumps(_finding(i, "2026-11-02")) for i in range(3)) + "\n", encoding="utf-8"
    )
    (tmp_path / "findings" / "nightly-2026-09-30.jsonl").write_text(  # the quarter before: left out
        json.dumps(_finding(9, "2026-09-30")) + "\n", encoding="utf-8"
    )
    # Last quarter's report, made by hand with the CLI.
    assert (
        main(
            [
                "report",
                "forum",
                "--period",
                "2026-Q3",
                "--out",
                str(tmp_path / "reports" / "forum-2026-Q3"),
                "--register",
                str(EXAMPLE_REGISTER),
                "--format",
                "md",
            ]
        )
        == 0
    )

    code = main(
        ["run", "quarterly-forum-report", "--workdir", str(tmp_path), "--until", "2027-01-01T06:00:00Z"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads((tmp_path / "reports" / "forum-2026-Q4" / "report.json").read_text(encoding="utf-8"))
    assert data["period"]["label"] == "2026-Q4"
    assert data["previous_period"] == "2026-Q3"
    assert data["risk"]["changes"]["previous_period"] == "2026-Q3"
    assert (data["practice"]["invited"], data["practice"]["submitted"]) == (2, 2)
    assert data["traffic"]["total"] == 3
    assert any(i["previous"] is not None for i in data["indicators"])
    assert (tmp_path / "reports" / "forum-2026-Q4" / "report.da.pdf").exists()
    # The appendix agrees with the traffic section: only the period's findings and time range,
    # and the glob with a file count instead of every nightly file's path.
    (traffic,) = [s for s in data["sources"] if s["section"] == "traffic"]
    assert traffic["records"] == data["traffic"]["total"] == 3
    assert traffic["time_from"] >= "2026-10-01"
    assert traffic["location"] == "findings/*.jsonl"
    assert traffic["files"] == 2
    assert data["traffic"]["data_from"] >= "2026-10-01"
    md = (tmp_path / "reports" / "forum-2026-Q4" / "report.da.md").read_text(encoding="utf-8")
    assert "findings/\\*.jsonl (2 filer)" in md or "findings/*.jsonl (2 filer)" in md
    assert "nightly-2026-09-30" not in md


def test_missing_audit_database_fails_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sectool.iso27001 import EXAMPLE_REGISTER

    (tmp_path / "registers").mkdir()
    shutil.copy(EXAMPLE_REGISTER, tmp_path / "registers" / "risk-register.yml")
    monkeypatch.delenv("SECTOOL_AUDIT_DB", raising=False)
    code = main(["run", "quarterly-forum-report", "--workdir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "failed at step 2 (collect clinic results)" in err
    assert f"{tmp_path / '.sectool' / 'audit.sqlite'}, field 'db': audit database not found" in err
    assert (tmp_path / "risk" / "scored-register.json").exists()
    assert not (tmp_path / "reports").exists()
