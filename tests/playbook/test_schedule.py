from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from sectool.cli import main
from sectool.playbook.schedule import crontab_lines

REPO = Path(__file__).resolve().parents[2]


def test_crontab_for_the_shipped_playbooks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["schedule", "--crontab", "--dir", str(REPO / "playbooks"), "--workdir", str(tmp_path)]) == 0
    lines = [
        x
        for x in capsys.readouterr().out.splitlines()
        if x and not x.startswith("#") and "=" not in x.split()[0]
    ]
    assert len(lines) == 2  # nightly-traffic and quarterly-forum-report; demo has no schedule
    nightly = next(x for x in lines if "nightly-traffic.yml" in x)
    assert nightly.startswith("15 2 * * * ")
    quarterly = next(x for x in lines if "quarterly-forum-report.yml" in x)
    assert quarterly.startswith("0 6 1 1,4,7,10 * ")
    for line in lines:
        command = " ".join(line.split()[5:])
        args = shlex.split(command.replace(r"\%", "%"))
        run = args.index("run")
        assert Path(args[run - 1]).is_absolute()
        assert Path(args[run + 1]).is_absolute()
        assert f"cd {tmp_path}" in command
        assert args[args.index("--log-file") + 1].startswith(str(tmp_path / "logs"))
        assert command.endswith("2>&1")
        assert ">>" in command


def test_percent_and_spaces_are_escaped(tmp_path: Path) -> None:
    d = tmp_path / "play books"
    d.mkdir()
    (d / "x.yml").write_text(
        'name: x\nschedule: "0 1 * * *"\nsteps:\n  - step: risk.score\n    with: {register: example}\n',
        encoding="utf-8",
    )
    wd = tmp_path / "work 100%"
    line = crontab_lines(d, workdir=wd)[-1]
    assert r"100\%" in line
    assert "100%" not in line.replace(r"\%", "")
    assert "'" + str(d.resolve() / "x.yml") + "'" in line


def test_schedule_table(capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    from rich.console import Console

    from sectool.playbook.schedule import schedule_table

    assert main(["schedule", "--dir", str(REPO / "playbooks")]) == 0
    assert "sectool playbooks" in capsys.readouterr().out
    console = Console(width=300, record=True)
    utc = (UTC, "UTC")
    console.print(schedule_table(REPO / "playbooks", now=datetime(2026, 11, 25, 12, tzinfo=UTC), zone=utc))
    text = console.export_text()
    assert "nightly-traffic" in text
    assert "next run (local time, UTC)" in text
    assert "2026-11-26 02:15" in text
    assert "quarterly-forum-report" in text
    assert "2027-01-01 06:00" in text
    assert "demo" in text
    assert "manual" in text


def test_bad_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "--crontab", "--dir", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_schedule_table_uses_the_hosts_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cron runs '15 2 * * *' at 02:15 local time: on a Copenhagen host that is 01:15 UTC in winter."""
    from datetime import UTC, datetime

    from rich.console import Console

    from sectool.playbook.schedule import local_zone, schedule_table

    monkeypatch.setenv("TZ", "Europe/Copenhagen")
    tz, name = local_zone()
    assert name == "Europe/Copenhagen"
    console = Console(width=300, record=True)
    # 01:30 UTC = 02:30 in Copenhagen: today's 02:15 local has passed, the next is tomorrow 02:15 local.
    console.print(schedule_table(REPO / "playbooks", now=datetime(2026, 11, 25, 1, 30, tzinfo=UTC)))
    text = console.export_text()
    assert "next run (local time, Europe/Copenhagen)" in text
    assert "2026-11-26 02:15 CET" in text
    assert datetime(2026, 11, 26, 2, 15, tzinfo=tz).astimezone(UTC).hour == 1
