from __future__ import annotations

from pathlib import Path

import pytest

from sectool.errors import InputError
from sectool.report.build import build_report
from sectool.report.indicators import METRICS, ReportConfig, evaluate, load_config
from sectool.report.model import Period, ReportData
from sectool.report.sample import sample_data


def test_default_config_is_valid() -> None:
    config = load_config()
    assert {i.metric for i in config.indicators} >= {
        "practice.submitted_share",
        "practice.standards_met_share",
        "risk.above_appetite",
        "traffic.high_open",
        "traffic.silent_sensors",
    }
    assert config.options.name_clinics is False


GOOD = """\
indicators:
  - id: ok
    metric: risk.total
    direction: at_most
    target: 3
    title: {da: a, en: b}
"""


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD.replace("risk.total", "risk.nonsense"), 3, "unknown metric 'risk.nonsense'"),
        (GOOD + "    colour: red\n", 7, "Extra inputs are not permitted"),
        (GOOD.replace("    direction: at_most\n", ""), 2, "Field required"),
        # the error points at the `target` line, not at the indicator's first line
        (GOOD.replace("risk.total", "practice.submitted_share"), 5, "between 0 and 1"),
        (GOOD.replace("target: 3", "target: -1"), 5, "must not be negative"),
        (GOOD.replace("at_most", "about"), 4, "at_least"),
        ("options:\n  name_clinic: true\n", 2, "Extra inputs"),
    ],
)
def test_bad_config_names_file_line_field(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "ind.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_config(path)
    assert info.value.location.file == str(path)
    assert info.value.location.line == line


def test_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "ind.yml"
    path.write_text(GOOD + GOOD.split("\n", 1)[1], encoding="utf-8")
    with pytest.raises(InputError, match="duplicate indicator id 'ok'"):
        load_config(path)


@pytest.mark.parametrize(
    ("direction", "target", "value", "previous", "met", "trend"),
    [
        ("at_most", 3, 3, 5, True, "improved"),
        ("at_most", 2, 3, 1, False, "worse"),
        ("at_least", 3, 3, 3, True, "unchanged"),
        ("at_least", 4, 3, None, False, None),
    ],
)
def test_met_and_trend(
    q4: Period, direction: str, target: float, value: int, previous: int | None, met: bool, trend: str | None
) -> None:
    data = sample_data(period=q4, risks=value, clinics=2, findings=1)
    config = ReportConfig.model_validate(
        {
            "indicators": [
                {
                    "id": "n",
                    "metric": "risk.total",
                    "direction": direction,
                    "target": target,
                    "title": {"da": "n", "en": "n"},
                }
            ]
        }
    )
    report = build_report(data, config)
    result = evaluate(
        config,
        risk=report.risk,
        practice=None,
        traffic=None,
        previous={"n": previous} if previous is not None else None,
    )[0]
    assert (result.value, result.met, result.trend) == (value, met, trend)
    assert result.change == (None if previous is None else value - previous)


def test_no_data_gives_none(q4: Period) -> None:
    from datetime import UTC, datetime

    config = ReportConfig.model_validate(
        {
            "indicators": [
                {
                    "id": m.replace(".", "_"),
                    "metric": m,
                    "direction": "at_most",
                    "target": 0,
                    "title": {"da": m, "en": m},
                }
                for m in METRICS
            ]
        }
    )
    report = build_report(ReportData(period=q4, generated_at=datetime(2026, 12, 1, tzinfo=UTC)), config)
    assert [i.value for i in report.indicators] == [None] * len(METRICS)
    assert [i.met for i in report.indicators] == [None] * len(METRICS)
