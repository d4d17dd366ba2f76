"""Strict playbook parsing: every problem names the file, line, step and key (exit 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.playbook.execute import BUILTIN, builtin_path
from sectool.playbook.model import load_playbook, parse_duration

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
name: test-pb
description: a test
schedule: "15 2 * * *"
alert_severity: high
steps:
  - step: risk.score
    with:
      register: example
  - step: report.forum
    name: the report
    with:
      period: 2026-Q4
      lang: en
"""


@pytest.mark.parametrize("name", BUILTIN)
def test_shipped_playbooks_are_valid_and_identical_to_the_repository_copies(name: str) -> None:
    pb = load_playbook(builtin_path(name))
    assert pb.name == name
    assert (REPO / "playbooks" / f"{name}.yml").read_text(encoding="utf-8") == builtin_path(name).read_text(
        encoding="utf-8"
    )


def test_good_playbook(tmp_path: Path) -> None:
    path = tmp_path / "pb.yml"
    path.write_text(GOOD, encoding="utf-8")
    pb = load_playbook(path)
    assert [s.step for s in pb.steps] == ["risk.score", "report.forum"]
    assert [s.label for s in pb.steps] == ["risk.score", "the report"]
    assert pb.alert_severity == "high"
    assert pb.schedule == "15 2 * * *"
    assert pb.steps[1].params.lang == "en"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "line", "parts"),
    [
        (
            "description: a test\n",
            "description: a test\ncolour: blue\n",
            3,
            ["unknown key 'colour'", "field 'colour'", "one of: alert_severity, description, log, name"],
        ),
        (
            "  - step: risk.score\n",
            "  - step: risk.scor\n",
            6,
            ["step 1: unknown step 'risk.scor'", "field 'steps[0].step'", "report.forum", "traffic.detect"],
        ),
        (
            "      register: example\n",
            "      register: example\n      registr: x.yml\n",
            9,
            [
                "step 1 (risk.score): unknown key 'registr'",
                "field 'steps[0].with.registr'",
                "one of: as_of, matrix",
            ],
        ),
        (
            # a typo alone: the unknown key is reported (with a suggestion), not the missing one
            "      register: example\n",
            "      registr: example\n",
            8,
            [
                "step 1 (risk.score): unknown key 'registr'; did you mean 'register'?",
                "field 'steps[0].with.registr'",
            ],
        ),
        (
            "      register: example\n",
            "      matrix: m.yml\n",
            7,
            ["step 1 (risk.score): missing key 'register'", "field 'steps[0].with.register'"],
        ),
        (
            "      lang: en\n",
            "      lang: fr\n",
            13,
            ["step 2 (report.forum)", "field 'steps[1].with.lang'", "'fr'"],
        ),
        (
            'schedule: "15 2 * * *"\n',
            'schedule: "61 2 * * *"\n',
            3,
            ["not a cron expression", "field 'schedule'", "(got '61 2 * * *')"],
        ),
        ("alert_severity: high\n", "alert_severity: severe\n", 4, ["field 'alert_severity'", "'severe'"]),
        (
            "    name: the report\n",
            "    name: the report\n    when: always\n",
            11,
            ["unknown key 'when'", "field 'steps[1].when'", "one of: name, step, with"],
        ),
        ("name: test-pb\n", "name: Test PB\n", 1, ["field 'name'"]),
    ],
)
def test_bad_playbook_names_file_line_step_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, line: int, parts: list[str]
) -> None:
    assert old in GOOD
    path = tmp_path / "bad.yml"
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_playbook(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}, "), message
    for part in parts:
        assert part in message, message
    # a bad value is shown once, not repeated in the message
    got = re.search(r"\(got (.+)\)$", message)
    if got:
        assert message.count(got.group(1)) == 1, message
    # Through the CLI: one line, exit 2, nothing run.
    assert main(["run", str(path), "--workdir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert parts[0] in err
    assert "Traceback" not in err
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("text", "hours"), [("24h", 24), ("90m", 1.5), ("7d", 168), ("2w", 336), ("1.5h", 1.5)]
)
def test_durations(text: str, hours: float) -> None:
    assert parse_duration(text).total_seconds() == hours * 3600


@pytest.mark.parametrize("text", ["0h", "0.0d", "24", "h", "1y", "-1d", ""])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_missing_and_empty_playbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "nope.yml")]) == 2
    assert "playbook not found" in capsys.readouterr().err
    (tmp_path / "empty.yml").write_text("", encoding="utf-8")
    assert main(["run", str(tmp_path / "empty.yml")]) == 2
    assert "file is empty" in capsys.readouterr().err
    (tmp_path / "list.yml").write_text("- a\n", encoding="utf-8")
    assert main(["run", str(tmp_path / "list.yml")]) == 2
    assert "a playbook must be a mapping" in capsys.readouterr().err


def test_doc_links_in_shipped_playbooks_exist() -> None:
    """Comments in the shipped playbooks point at documentation files that exist."""
    import re

    repo = Path(__file__).resolve().parents[2]
    playbooks = sorted((repo / "playbooks").glob("*.yml"))
    assert playbooks
    for path in playbooks:
        for link in re.findall(r"docs/[\w./-]+\.md", path.read_text(encoding="utf-8")):
            assert (repo / link).is_file(), f"{path.name}: {link}"
