"""The report set: PDF skipped without an engine, written as a whole, write errors are input errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.report import render_pdf as pdf_module
from sectool.report import writer
from sectool.report.numbers import Report


def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a machine without Pango and without Chromium."""

    def _no_weasyprint(html: str) -> bytes:
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf_module, "_weasyprint", _no_weasyprint)
    monkeypatch.setattr(pdf_module, "find_chromium", lambda: None)


def test_pdf_skipped_with_warning_without_engine(
    hostile_report: Report, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_engine(monkeypatch)
    warnings: list[str] = []
    paths = writer.write_report(hostile_report, tmp_path / "out", warn=warnings.append)
    assert sorted(p.name for p in paths) == [
        "report.da.html",
        "report.da.md",
        "report.en.html",
        "report.en.md",
        "report.json",
    ]
    assert len(warnings) == 1
    assert "libpango-1.0-0 libpangoft2-1.0-0" in warnings[0]
    assert "chromium" in warnings[0]


def test_pdf_required_is_an_input_error(
    hostile_report: Report, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_engine(monkeypatch)
    with pytest.raises(InputError, match=r"libpango-1\.0-0"):
        writer.write_report(hostile_report, tmp_path / "out", pdf_required=True)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "code", "pdf_message"),
    [([], 0, "warning: PDF skipped"), (["--format", "html,pdf"], 2, "error")],
)
def test_cli_without_pdf_engine(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    code: int,
    pdf_message: str,
) -> None:
    _no_engine(monkeypatch)
    out = tmp_path / "out"
    rc = main(["report", "forum", "--period", "2026-Q4", "--as-of", "2026-12-31", "--out", str(out), *extra])
    captured = capsys.readouterr()
    assert rc == code, captured.err
    assert pdf_message in captured.err
    assert "libpango-1.0-0 libpangoft2-1.0-0" in captured.err
    assert "Traceback" not in captured.err
    if code == 0:
        assert (out / "report.json").is_file()
        assert (out / "report.da.html").is_file()
        assert (out / "report.en.md").is_file()
        assert not list(out.glob("*.pdf"))
    else:
        assert not out.exists()


def test_failed_write_keeps_previous_set(
    hostile_report: Report, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    writer.write_report(hostile_report, out, formats=("html", "md"))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = 0
    real = writer.atomic_write_bytes

    def failing(path: Path, data: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(writer, "atomic_write_bytes", failing)
    with pytest.raises(InputError, match="No space left on device"):
        writer.write_report(hostile_report.model_copy(update={"organisation": "NEW"}), out, formats=("html",))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary directory left


def test_rendering_failure_writes_nothing(
    hostile_report: Report, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    writer.write_report(hostile_report, out, formats=("html", "md"))
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(report: Report, lang: str) -> str:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(writer, "render_markdown", broken)
    with pytest.raises(RuntimeError):
        writer.write_report(hostile_report, out, formats=("html", "md"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_new_set_replaces_old_one_and_keeps_foreign_files(hostile_report: Report, tmp_path: Path) -> None:
    out = tmp_path / "out"
    writer.write_report(hostile_report, out, formats=("html", "md"))
    writer.write_report(hostile_report, out, formats=("html",), langs=("en",))
    assert sorted(p.name for p in out.iterdir()) == ["report.en.html", "report.json"]
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    writer.write_report(hostile_report, out, formats=("md",), langs=("da",))
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "report.da.md", "report.json"]
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["period"]["label"] == "2026-Q4"


@pytest.mark.parametrize("kind", ["file", "readonly"])
def test_cli_unwritable_out_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    if kind == "file":
        target = tmp_path / "afile"
        target.write_text("x", encoding="utf-8")
        out = target / "sub"
    else:
        if os.geteuid() == 0:
            out = Path("/proc/sectool-report")  # root may write anywhere else
        else:
            ro = tmp_path / "ro"
            ro.mkdir(mode=0o500)
            out = ro / "out"
    rc = main(["report", "forum", "--period", "2026-Q4", "--out", str(out), "--format", "html"])
    captured = capsys.readouterr()
    assert rc == 2, captured.err
    assert "cannot write the report" in captured.err or "not a directory" in captured.err
    assert str(out.parent) in captured.err
    assert "internal error" not in captured.err


def test_missing_sqlite_database_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "nonexist.db"
    rc = main(
        [
            "report",
            "forum",
            "--period",
            "2026-Q4",
            "--out",
            str(tmp_path / "o"),
            "--format",
            "md",
            "--audit-db",
            f"sqlite:///{db}",
        ]
    )
    captured = capsys.readouterr()
    assert rc == 2
    assert "database file not found" in captured.err
    assert str(db) in captured.err
    assert not db.exists()


def test_out_is_the_working_directory(
    hostile_report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--out .` works and never renames the working directory away (file-by-file mode)."""
    monkeypatch.chdir(tmp_path)
    writer.write_report(hostile_report, ".", formats=("md",), langs=("en",))
    writer.write_report(hostile_report, ".", formats=("html",), langs=("en",))
    assert Path.cwd() == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.en.html", "report.json"]
