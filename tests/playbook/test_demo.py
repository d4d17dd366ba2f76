"""`sectool demo`: the README's main command, end to end on the embedded default."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sectool.cli import main
from sectool.report.collect import traffic_from_jsonl
from sectool.report.finding_text import finding_summary

REPO = Path(__file__).resolve().parents[2]


#: Code-made English that must never appear in the Danish report (data such as a register's
#: own title or an ATT&CK technique name is the user's text and is not checked).
ENGLISH_MARKERS = (
    "findings of this run",
    "Findings of this run",
    "findings (JSONL)",
    "self-assessment",
    "Self-assessment",
    "example register",
    "example clinic answers",
    "answer files",
    "Risk register",  # the example register's own title says "risk register" (data)
    "no data",
    "as of",
    "connections every",
    "failed logons",
    "Brute force",
    "password spraying",
    "beacon score",
    "MB sent",
    "for the first time",
    "silent for",
    "admin session",
    "probed on",
    "distinct subdomains",
    "Residual",
    "mitigate",
    "%-point",
    "Password guessing",
    "New external destination",
    # The English titles of the newer detectors and variants.
    "ping sweep",
    "ARP sweep",
    "DHCP requests for",
    "probe burst",
    "C2 channel",
    "carrying encoded payloads",
    "generated-looking",
    "succeeded after",
)
#: And Danish that must not appear in the English report.
DANISH_MARKERS = (
    "ingen data",
    "Risikoregister",
    "Selvevaluering",
    "eksempel",
    "fejlede logins",
    "forbindelser",
    "pr. 20",
    "procentpoint",
    "Restrisiko",
    "reduktion",
    "Sammenfatning",
    "Gætning",
    "Fund fra",
)


def _visible(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return text


def test_demo_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--workdir", str(tmp_path), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # --json: stdout carries only JSON lines; the human lines go to stderr, Danish report first.
    lines = captured.out.splitlines()
    assert lines
    assert all(isinstance(json.loads(line), dict) for line in lines)
    assert "The forum report is ready:" in captured.err
    opened = captured.err[captured.err.index("Open ") :]
    assert opened.index("report.da.html") < opened.index("report.en.html")
    reports = list((tmp_path / "reports").glob("forum-*/report.json"))
    assert len(reports) == 1
    data = json.loads(reports[0].read_text(encoding="utf-8"))
    assert data["risk"] is not None
    assert data["risk"]["total"] > 0
    assert data["practice"] is not None
    assert data["practice"]["submitted"] > 0
    # Simulated traffic with injected attacks -> local detection -> findings in the report.
    assert data["traffic"] is not None
    assert data["traffic"]["total"] > 0
    assert data["traffic"]["notable"][0]["techniques"]
    assert [s["section"] for s in data["sources"]] == ["risk", "practice", "traffic"]
    for lang in ("da", "en"):
        for ext in ("html", "md", "pdf"):
            assert (reports[0].parent / f"report.{lang}.{ext}").stat().st_size > 1000
    log = [json.loads(x) for x in (tmp_path / "logs" / "demo.jsonl").read_text(encoding="utf-8").splitlines()]
    assert log[-1]["event"] == "run_end"
    assert log[-1]["exit_code"] == 0
    # Each language reads in its own language: appendix sources, detector names, finding summaries.
    for lang, markers in (("da", ENGLISH_MARKERS), ("en", DANISH_MARKERS)):
        for ext in ("html", "md"):
            text = _visible(reports[0].parent / f"report.{lang}.{ext}")
            found = [m for m in markers if m in text]
            assert not found, (lang, ext, found)
    # Every notable incident carries its summary in each language, built from its detector's
    # template. Which detectors rank in the top ten depends on the simulated attacks and the
    # scores (port scans and a new destination outrank the password guessing today), so no
    # one detector's phrase is asserted here.
    notable = data["traffic"]["notable"]
    for lang in ("da", "en"):
        text = _visible(reports[0].parent / f"report.{lang}.html")
        for item in notable:
            assert item["summary"][lang], (lang, item["detector"], item["summary"])
            assert item["summary"][lang] in text, (lang, item["summary"][lang])
    # And every finding of the run, notable or not, has a Danish summary: the injected password
    # guessing reads as failed logons in Danish.
    findings = traffic_from_jsonl((tmp_path / "findings").glob("*.jsonl")).findings
    summaries = {f.id: finding_summary(f.detector, f.evidence, f.summary) for f in findings}
    assert {f.detector for f in findings} >= {"brute_force", "port_scan", "c2", "dga", "dns_txt_c2"}
    assert [f.detector for f in findings if not summaries[f.id].da] == []
    assert any("fejlede logins" in summaries[f.id].da for f in findings if f.detector == "brute_force")
    da = _visible(reports[0].parent / "report.da.md")
    assert "pr. 20" in da  # point-in-time sources read "pr. <date>"


@pytest.mark.slow
def test_readme_command_in_a_fresh_venv(tmp_path: Path) -> None:
    """A fresh virtual environment (system site packages for the heavy wheels) with sectool
    installed from this checkout runs `sectool demo` and produces the report."""
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    # --no-deps: the dependencies come from the project venv's site packages
    # (via PYTHONPATH below), so the test needs no network and stays fast.
    site = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(REPO)],
        check=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONPATH": site},
    )
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECTOOL_")}
    env["PYTHONPATH"] = site  # third-party packages only; sectool itself comes from the fresh install
    proc = subprocess.run(
        [str(venv / "bin" / "sectool"), "demo"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "The forum report is ready:" in proc.stdout
    # The forum reads Danish: the Danish report is the one to open, the English one is named too.
    opened = proc.stdout[proc.stdout.index("Open ") :]
    assert opened.index("report.da.html") < opened.index("report.en.html")
    html = list((work / "reports").glob("forum-*/report.en.html"))
    assert html
    assert html[0].stat().st_size > 10_000
    # The installed copy was used, not this checkout.
    where = subprocess.run(
        [str(python), "-c", "import sectool; print(sectool.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        check=True,
    ).stdout
    assert str(venv) in where
