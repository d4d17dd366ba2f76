from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sectool.practice_audit.compare import compare
from sectool.practice_audit.models import ClinicSize, QuestionBank, Result
from sectool.practice_audit.scoring import score

ACTION = {"action_owner": "Dr. Hansen", "action_due": "2027-06-01"}


def _score(bank: QuestionBank, pa_answers: Any, overrides: dict[str, Any], day: date) -> Result:
    return score(bank, pa_answers(bank, "large", overrides), ClinicSize.LARGE, as_of=day)


CASES = [
    ("not met -> met", {"a.mp1": "no"}, {}, "not_met", "standards_met", "improved"),
    ("met -> not met", {}, {"a.mp1": "no"}, "standards_met", "not_met", "worsened"),
    ("not met -> approaching", {"a.mp1": "no"}, {"a.mp1": {"value": "no", **ACTION}}, "not_met",
     "approaching", "improved"),
    ("unchanged status, better score", {"b.q5": "no"}, {"b.q5": "partly"}, "standards_met", "standards_met",
     "unchanged"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "before", "after", "s1", "s2", "direction"), CASES, ids=[c[0] for c in CASES]
)
def test_status_change(
    pa_small_bank: QuestionBank,
    pa_answers: Any,
    case: str,
    before: dict[str, Any],
    after: dict[str, Any],
    s1: str,
    s2: str,
    direction: str,
) -> None:
    prev = _score(pa_small_bank, pa_answers, before, date(2025, 3, 1))
    cur = _score(pa_small_bank, pa_answers, after, date(2026, 3, 1))
    c = compare(prev, cur)
    assert (c.previous_status.value, c.current_status.value, c.status_change) == (s1, s2, direction)
    assert c.overall_change == pytest.approx(cur.overall_percent - prev.overall_percent)
    assert (c.previous_as_of, c.current_as_of) == (date(2025, 3, 1), date(2026, 3, 1))


def test_domain_changes_and_gaps(pa_small_bank: QuestionBank, pa_answers: Any) -> None:
    prev = _score(pa_small_bank, pa_answers, {"b.q5": "no", "a.q3": "partly"}, date(2025, 3, 1))
    cur = _score(
        pa_small_bank,
        pa_answers,
        {"b.q5": "yes", "c.opt": {"value": "not_applicable", "justification": "none"}, "b.bin": "no"},
        date(2026, 3, 1),
    )
    c = compare(prev, cur)
    by_domain = {d.domain: d for d in c.domains}
    assert [d.domain for d in c.domains] == ["d1", "d2", "d3"]
    assert by_domain["d1"].change == pytest.approx(100 - 100 * 7 / 8)
    assert by_domain["d2"].previous == pytest.approx(100 * 5 / 10)
    assert by_domain["d2"].change == pytest.approx(100 * 9 / 10 - 50)
    assert by_domain["d3"].current is None
    assert by_domain["d3"].change is None
    assert c.closed_gaps == ("b.q5", "a.q3")
    assert c.new_gaps == ("b.bin",)


def test_domain_missing_on_one_side(pa_small_bank: QuestionBank, pa_answers: Any) -> None:
    prev = _score(pa_small_bank, pa_answers, {}, date(2025, 3, 1))
    cur = _score(pa_small_bank, pa_answers, {}, date(2026, 3, 1))
    trimmed = cur.model_copy(update={"domains": cur.domains[:2]})
    c = compare(prev, trimmed)
    assert [(d.domain, d.current, d.change) for d in c.domains][-1] == ("d3", None, None)
