from __future__ import annotations

import json
from pathlib import Path

import pytest

from sectool.errors import InputError
from sectool.report.build import build_report
from sectool.report.indicators import ReportConfig
from sectool.report.model import parse_period
from sectool.report.previous import load_previous
from sectool.report.sample import sample_data
from sectool.report.writer import write_report


def test_trend_from_previous_report_json(tmp_path: Path, config: ReportConfig) -> None:
    q3, q4 = parse_period("2026-Q3"), parse_period("2026-Q4")
    before = build_report(sample_data(period=q3, seed=1, risks=30), config)
    write_report(before, tmp_path / "q3", formats=())
    previous = load_previous(tmp_path / "q3")  # the directory works, as does the file
    assert load_previous(tmp_path / "q3" / "report.json") == previous
    assert previous.period == "2026-Q3"
    assert previous.indicators == {i.id: i.value for i in before.indicators}

    now = build_report(sample_data(period=q4, seed=2, risks=32), config, previous)
    assert now.previous_period == "2026-Q3"
    for ind in now.indicators:
        assert ind.previous == previous.indicators[ind.id]
        if ind.value is not None and ind.previous is not None:
            assert ind.change == pytest.approx(ind.value - ind.previous, abs=1e-4)
    changes = now.risk.changes  # type: ignore[union-attr]
    assert changes is not None
    assert changes.previous_period == "2026-Q3"
    assert changes.new == ["R-031", "R-032"]
    before_levels = before.risk.residual_levels  # type: ignore[union-attr]
    for c in changes.raised + changes.lowered:
        assert before_levels[c.id] == c.before
    assert now.practice.previous_submitted_share == before.practice.submitted_share  # type: ignore[union-attr]
    assert [d.previous for d in now.practice.domains] == [d.mean_score for d in before.practice.domains]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"schema": "other"}', "not a forum report JSON"),
        ('{"schema": "sectool.forum-report/1", "period": {}}', "missing period label"),
        (
            '{"schema": "sectool.forum-report/1", "period": {"label": "2026-Q3"}, '
            '"indicators": [{"id": "a", "value": "x"}]}',
            "not a number",
        ),
    ],
)
def test_bad_previous(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_previous(path)
    assert str(path) in str(info.value)


def test_missing_previous(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_previous(tmp_path)


def test_json_is_stable(tmp_path: Path, config: ReportConfig) -> None:
    report = build_report(sample_data(period=parse_period("2026-Q4")), config)
    write_report(report, tmp_path, formats=())
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert list(data)[:3] == ["schema", "period", "generated_at"]
    assert data["schema"] == "sectool.forum-report/1"
    assert set(data) >= {"summary", "indicators", "risk", "practice", "traffic", "sources"}
