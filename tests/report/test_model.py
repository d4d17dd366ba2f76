from __future__ import annotations

from datetime import date

import pytest

from sectool.errors import InputError
from sectool.report.model import ClinicResult, RiskMatrixInfo, parse_period


@pytest.mark.parametrize(
    ("text", "as_of", "label", "start", "end"),
    [
        ("2026-Q1", None, "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q4", None, "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2024-02", None, "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026", None, "2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("current", date(2026, 11, 25), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("previous", date(2026, 11, 25), "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("previous", date(2026, 1, 2), "2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
    ],
)
def test_parse_period(text: str, as_of: date | None, label: str, start: date, end: date) -> None:
    p = parse_period(text, as_of=as_of)
    assert (p.label, p.start, p.end) == (label, start, end)
    assert p.days == (end - start).days + 1


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "Q4", "26-Q1", "", "2026-Q4 ", "last"])
def test_parse_period_rejects(text: str) -> None:
    if text == "2026-Q4 ":
        assert parse_period(text).label == "2026-Q4"  # surrounding blanks are forgiven
        return
    with pytest.raises(InputError, match="not a reporting period") as info:
        parse_period(text, field="--period")
    assert "--period" in str(info.value)


def test_current_needs_a_date() -> None:
    with pytest.raises(InputError, match="reference date"):
        parse_period("current")


def test_submitted_clinic_needs_status() -> None:
    with pytest.raises(ValueError, match="no status or maturity"):
        ClinicResult(name="x", submitted=True)


def test_matrix_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="one row per likelihood"):
        RiskMatrixInfo(
            likelihood_levels=["a", "b"],
            impact_levels=["x"],
            cell_levels=[["low"]],
            level_colours={"low": "#00ff00"},
            level_order=["low"],
        )
    with pytest.raises(ValueError, match="#rrggbb"):
        RiskMatrixInfo(
            likelihood_levels=["a"],
            impact_levels=["x"],
            cell_levels=[["low"]],
            level_colours={"low": "green"},
            level_order=["low"],
        )
