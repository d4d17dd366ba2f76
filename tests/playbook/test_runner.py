"""Running playbooks: JSON log per step, failing step in the middle, the lock, alert exit code, dry run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sectool.cli import main
from sectool.playbook.steps import STEPS, Params, RunContext, StepOutcome, StepSpec, get_step

FAILING = """\
name: mid-fail
steps:
  - step: audit.collect
    with: {example: true, out: audit/clinics.json}
  - step: risk.score
    with: {register: registers/missing.yml}
  - step: report.forum
    with: {period: 2026-Q4, formats: [md]}
"""


def _log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_failing_step_in_the_middle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pb = tmp_path / "pb.yml"
    pb.write_text(FAILING, encoding="utf-8")
    log = tmp_path / "run.jsonl"
    code = main(["run", str(pb), "--workdir", str(tmp_path), "--log-file", str(log)])
    err = capsys.readouterr().err
    assert code == 1
    assert "playbook mid-fail failed at step 2 (risk.score)" in err
    assert "registers/missing.yml: file not found" in err
    assert "earlier steps kept their output, later steps did not run" in err
    # The step before keeps its output; the step after did not run.
    assert json.loads((tmp_path / "audit" / "clinics.json").read_text(encoding="utf-8"))["clinics"]
    assert not (tmp_path / "reports").exists()
    lines = _log(log)
    assert [x["event"] for x in lines] == ["run_start", "step", "step", "step", "run_end"]
    steps = lines[1:4]
    assert [s["status"] for s in steps] == ["ok", "failed", "skipped"]
    assert steps[0]["counts"]["clinics"] >= 4
    assert steps[0]["outputs"] == [str(tmp_path / "audit" / "clinics.json")]
    assert steps[0]["start"] <= steps[0]["end"]
    assert steps[0]["duration_s"] >= 0
    assert "file not found" in steps[1]["error"]
    assert steps[2]["start"] is None
    assert lines[-1]["exit_code"] == 1
    assert lines[-1]["status"] == "failed"
    assert len({x["run_id"] for x in lines}) == 1


def test_lock_held_by_another_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pb = tmp_path / "pb.yml"
    pb.write_text(FAILING.replace("mid-fail", "locked-pb"), encoding="utf-8")
    lock = tmp_path / ".locks" / "locked-pb.lock"
    lock.parent.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "os.write(fd, str(os.getpid()).encode())\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        code = main(["run", str(pb), "--workdir", str(tmp_path), "--log-file", str(tmp_path / "run.jsonl")])
        err = capsys.readouterr().err
        assert code == 1
        assert (
            f"playbook 'locked-pb' is already running (pid {holder.pid}; lock file {lock}); not started"
            in err
        )
        assert not (tmp_path / "audit").exists()  # nothing ran
        # The JSON log says "locked", not "failed": monitoring can tell the two apart.
        log = _log(tmp_path / "run.jsonl")
        assert [x["event"] for x in log] == ["run_locked"]
        assert str(holder.pid) in log[0]["message"]
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    # Once the other run is gone, the lock is free again (the failing step gives exit 1, not the lock).
    assert main(["run", str(pb), "--workdir", str(tmp_path)]) == 1
    assert "already running" not in capsys.readouterr().err
    assert (tmp_path / "audit" / "clinics.json").exists()


class _FindingsParams(Params):
    severity: str


def _findings_step(params: _FindingsParams, ctx: RunContext) -> StepOutcome:
    return StepOutcome(counts={"findings": 2}, severities={params.severity: 2, "low": 5})


@pytest.mark.parametrize(
    ("found", "alert", "code"), [("high", "high", 3), ("critical", "high", 3), ("medium", "high", 0)]
)
def test_alert_severity_exit_code(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    found: str,
    alert: str,
    code: int,
) -> None:
    get_step("report.forum")  # load the shipped steps first
    monkeypatch.setitem(
        STEPS, "test.findings", StepSpec("test.findings", _FindingsParams, _findings_step, "fake")
    )
    pb = tmp_path / "pb.yml"
    pb.write_text(
        f"name: alerting\nalert_severity: {alert}\nsteps:\n"
        f"  - step: test.findings\n    with: {{severity: {found}}}\n",
        encoding="utf-8",
    )
    assert main(["run", str(pb), "--workdir", str(tmp_path), "--json"]) == code
    captured = capsys.readouterr()
    end = json.loads(captured.out.strip().splitlines()[-1])
    assert end["event"] == "run_end"
    assert end["exit_code"] == code
    assert end["max_severity"] == found
    assert ("alert: findings at severity" in captured.err) == (code == 3)


def test_dry_run_runs_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pb = tmp_path / "pb.yml"
    pb.write_text(FAILING, encoding="utf-8")
    assert main(["run", str(pb), "--dry-run", "--json", "--workdir", str(tmp_path)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x.get("status") for x in lines[1:4]] == ["planned"] * 3
    assert lines[2]["params"]["register"] == "registers/missing.yml"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pb.yml"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-11-25", "--until", "2026-11-24"], "--since must be before --until"),
        (["--since", "yesterday"], "field '--since': not a time"),
    ],
)
def test_bad_time_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    pb = tmp_path / "pb.yml"
    pb.write_text(FAILING, encoding="utf-8")
    assert main(["run", str(pb), "--workdir", str(tmp_path), *args]) == 2
    assert message in capsys.readouterr().err


def test_unwritable_log_file_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pb = tmp_path / "pb.yml"
    pb.write_text(FAILING, encoding="utf-8")
    blocker = tmp_path / "afile"
    blocker.write_text("x", encoding="utf-8")
    log = blocker / "logs" / "run.jsonl"  # a file where a directory should be
    code = main(["run", str(pb), "--workdir", str(tmp_path), "--log-file", str(log)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{log}, field 'log': cannot write the log" in err
    assert "internal error" not in err
    assert not (tmp_path / "audit").exists()  # nothing ran
