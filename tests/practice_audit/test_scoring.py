from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sectool.practice_audit.errors import AnswersError
from sectool.practice_audit.models import AnswerValue, ClinicSize, QuestionBank, Status
from sectool.practice_audit.scoring import (
    APPROACHING_SHARE,
    MATURITY_CAP_WITH_MISSING,
    MATURITY_THRESHOLDS,
    check_answers,
    maturity_level,
    score,
)

AS_OF = date(2026, 3, 1)
LATER = (AS_OF + timedelta(days=60)).isoformat()
EARLIER = (AS_OF - timedelta(days=1)).isoformat()
ACTION = {"action_owner": "Dr. Hansen", "action_due": LATER}

# Large clinic: weights a.mp1 4, a.mp2 2, a.q3 2, b.mp3 3, b.mp4 1, b.q5 5, b.bin 1, c.opt 2 = 20.
STATUS_TABLE: list[tuple[str, str, dict[str, Any], Status]] = [
    ("all yes", "large", {}, Status.STANDARDS_MET),
    ("all yes, solo", "solo", {}, Status.STANDARDS_MET),
    ("non-must-pass gaps only", "large", {"a.q3": "no", "b.q5": "no", "c.opt": "partly"},
     Status.STANDARDS_MET),
    ("one must-pass no", "large", {"a.mp1": "no"}, Status.NOT_MET),
    ("one must-pass unanswered", "large", {"a.mp1": None}, Status.NOT_MET),
    ("one must-pass partly", "large", {"a.mp1": "partly"}, Status.NOT_MET),
    ("3/4 met, action with owner and due", "large", {"a.mp1": {"value": "no", **ACTION}}, Status.APPROACHING),
    ("3/4 met, partly with action", "large", {"b.mp3": {"value": "partly", **ACTION}}, Status.APPROACHING),
    ("action due on the assessment day", "large",
     {"a.mp1": {"value": "no", "action_owner": "X", "action_due": AS_OF.isoformat()}}, Status.APPROACHING),
    ("action without due date", "large", {"a.mp1": {"value": "no", "action_owner": "X"}}, Status.NOT_MET),
    ("action without owner", "large", {"a.mp1": {"value": "no", "action_due": LATER}}, Status.NOT_MET),
    ("action overdue", "large",
     {"a.mp1": {"value": "no", "action_owner": "X", "action_due": EARLIER}}, Status.NOT_MET),
    ("2/4 met, both with actions", "large",
     {"a.mp1": {"value": "no", **ACTION}, "a.mp2": {"value": "no", **ACTION}}, Status.NOT_MET),
    ("solo 2/3 met (< 75 %) with action", "solo", {"a.mp1": {"value": "no", **ACTION}}, Status.NOT_MET),
    ("must-pass by justified alternative", "large",
     {"a.mp1": {"value": "alternative", "justification": "Equivalent control"}}, Status.STANDARDS_MET),
    ("must-pass excluded by size (solo has no b.mp4)", "solo", {}, Status.STANDARDS_MET),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "size", "overrides", "expected"), STATUS_TABLE, ids=[c[0] for c in STATUS_TABLE]
)
def test_status(
    pa_small_bank: QuestionBank,
    pa_answers: Any,
    case: str,
    size: str,
    overrides: dict[str, Any],
    expected: Status,
) -> None:
    result = score(pa_small_bank, pa_answers(pa_small_bank, size, overrides), ClinicSize(size), as_of=AS_OF)
    assert result.status is expected
    if expected is Status.STANDARDS_MET:
        assert result.must_pass_missing == ()
    else:
        assert result.must_pass_missing


_DOC = Path(__file__).resolve().parents[2] / "docs" / "practice-audit.md"


def _doc_text() -> str:
    return _DOC.read_text(encoding="utf-8")


def test_approaching_share_matches_the_docs() -> None:
    # The number a clinic reads in docs/practice-audit.md, not a copy of the constant.
    match = re.search(
        r"\*\*Approaching standards\*\* \(`approaching`\): at least \*\*(\d+) %\*\*", _doc_text()
    )
    assert match, "the approaching rule is no longer documented in docs/practice-audit.md"
    assert int(match.group(1)) / 100 == APPROACHING_SHARE


# (overrides, expected overall percent for a large clinic). Total weight 20.
PERCENT_TABLE: list[tuple[str, dict[str, Any], float]] = [
    ("all yes", {}, 100.0),
    ("partly counts half", {"b.q5": "partly"}, 100 * (20 - 2.5) / 20),
    ("no counts zero", {"b.q5": "no"}, 100 * 15 / 20),
    ("unanswered counts zero", {"b.q5": None}, 100 * 15 / 20),
    ("alternative counts as yes", {"b.q5": {"value": "alternative", "justification": "j"}}, 100.0),
    ("n/a excluded from both sides", {"a.q3": {"value": "not_applicable", "justification": "j"}}, 100.0),
    ("n/a plus a no", {"a.q3": {"value": "not_applicable", "justification": "j"}, "b.q5": "no"},
     100 * 13 / 18),
    ("all no", dict.fromkeys(("a.mp1", "a.mp2", "a.q3", "b.mp3", "b.mp4", "b.q5", "b.bin", "c.opt"), "no"),
     0.0),
]  # fmt: skip


@pytest.mark.parametrize(("case", "overrides", "expected"), PERCENT_TABLE, ids=[c[0] for c in PERCENT_TABLE])
def test_overall_percent(
    pa_small_bank: QuestionBank, pa_answers: Any, case: str, overrides: dict[str, Any], expected: float
) -> None:
    result = score(
        pa_small_bank, pa_answers(pa_small_bank, "large", overrides), ClinicSize.LARGE, as_of=AS_OF
    )
    assert result.overall_percent == pytest.approx(expected)


def test_domain_percent_is_weighted_and_na_domain_has_no_score(
    pa_small_bank: QuestionBank, pa_answers: Any
) -> None:
    overrides = {
        "a.mp1": "partly",
        "a.q3": "no",
        "c.opt": {"value": "not_applicable", "justification": "No web"},
    }
    result = score(
        pa_small_bank, pa_answers(pa_small_bank, "large", overrides), ClinicSize.LARGE, as_of=AS_OF
    )
    d1 = result.domain_score("d1")
    assert d1 is not None
    assert d1.percent == pytest.approx(100 * (4 * 0.5 + 2) / 8)
    assert (d1.earned, d1.possible, d1.must_pass, d1.must_pass_met) == (4.0, 8.0, 2, 1)
    d3 = result.domain_score("d3")
    assert d3 is not None
    assert d3.percent is None
    assert d3.not_applicable == 1


SIZE_TABLE = [("solo", 6, 3), ("partnership", 7, 4), ("large", 8, 4)]


@pytest.mark.parametrize(("size", "questions", "must_pass"), SIZE_TABLE)
def test_size_filtering(
    pa_small_bank: QuestionBank, pa_answers: Any, size: str, questions: int, must_pass: int
) -> None:
    result = score(pa_small_bank, pa_answers(pa_small_bank, size), ClinicSize(size), as_of=AS_OF)
    assert result.questions == questions
    assert result.must_pass_total == must_pass
    assert result.overall_percent == 100.0


def test_answer_to_question_of_another_size_is_a_problem(
    pa_small_bank: QuestionBank, pa_answers: Any
) -> None:
    answers = pa_answers(pa_small_bank, "solo", {"b.q5": "yes"})
    with pytest.raises(AnswersError) as info:
        score(pa_small_bank, answers, ClinicSize.SOLO, as_of=AS_OF)
    assert [(p.question_id, p.code) for p in info.value.problems] == [("b.q5", "not_for_size")]


PROBLEM_TABLE: list[tuple[str, dict[str, Any], str, str, str]] = [
    ("n/a on must-pass", {"a.mp1": {"value": "not_applicable", "justification": "j"}}, "a.mp1",
     "not_applicable_on_must_pass", "value"),
    ("n/a without justification", {"a.q3": "not_applicable"}, "a.q3", "justification_required",
     "justification"),
    ("alternative without justification", {"a.mp1": "alternative"}, "a.mp1", "justification_required",
     "justification"),
    ("partly on a binary question", {"b.bin": "partly"}, "b.bin", "value_not_allowed", "value"),
    ("unknown question", {"zz.nope": "yes"}, "zz.nope", "unknown_question", "value"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "overrides", "qid", "code", "field"), PROBLEM_TABLE, ids=[c[0] for c in PROBLEM_TABLE]
)
def test_problems(
    pa_small_bank: QuestionBank,
    pa_answers: Any,
    case: str,
    overrides: dict[str, Any],
    qid: str,
    code: str,
    field: str,
) -> None:
    answers = pa_answers(pa_small_bank, "large", overrides)
    problems = check_answers(pa_small_bank, answers, ClinicSize.LARGE)
    assert [(p.question_id, p.code, p.field) for p in problems] == [(qid, code, field)]
    message = problems[0].message
    assert message.da != message.en
    with pytest.raises(AnswersError) as info:
        score(pa_small_bank, answers, ClinicSize.LARGE, as_of=AS_OF)
    assert qid in str(info.value)
    assert info.value.exit_code == 2


def test_for_submit_requires_every_must_pass_answered(pa_small_bank: QuestionBank, pa_answers: Any) -> None:
    answers = pa_answers(pa_small_bank, "large", {"a.mp1": None, "b.mp4": None, "a.q3": None})
    assert check_answers(pa_small_bank, answers, ClinicSize.LARGE) == []
    problems = check_answers(pa_small_bank, answers, ClinicSize.LARGE, for_submit=True)
    assert [(p.question_id, p.code) for p in problems] == [
        ("a.mp1", "unanswered_must_pass"),
        ("b.mp4", "unanswered_must_pass"),
    ]


def test_unanswered_are_listed_and_planned(pa_small_bank: QuestionBank, pa_answers: Any) -> None:
    result = score(
        pa_small_bank, pa_answers(pa_small_bank, "large", {"a.q3": None}), ClinicSize.LARGE, as_of=AS_OF
    )
    assert result.unanswered == ("a.q3",)
    assert result.answered == 7
    assert [(i.question_id, i.answer) for i in result.plan] == [("a.q3", None)]


def test_plan_ranks_must_pass_first_then_weight_then_shortfall(
    pa_small_bank: QuestionBank, pa_answers: Any
) -> None:
    overrides = {
        "b.q5": "no",  # weight 5
        "a.q3": "partly",  # weight 2
        "c.opt": "no",  # weight 2, bigger shortfall than a.q3
        "a.mp2": {"value": "no", "action_owner": "Lone", "action_due": LATER},  # must-pass, weight 2
        "a.mp1": "partly",  # must-pass, weight 4
    }
    result = score(
        pa_small_bank, pa_answers(pa_small_bank, "large", overrides), ClinicSize.LARGE, as_of=AS_OF
    )
    assert [i.question_id for i in result.plan] == ["a.mp1", "a.mp2", "b.q5", "c.opt", "a.q3"]
    assert [i.rank for i in result.plan] == [1, 2, 3, 4, 5]
    second = result.plan[1]
    assert (second.owner, second.due, second.must_pass, second.answer) == (
        "Lone",
        date.fromisoformat(LATER),
        True,
        AnswerValue.NO,
    )
    assert second.action.en == "Do a.mp2"
    assert second.annex_a == ("A.5.1",)


def test_yes_and_alternative_are_not_gaps(pa_small_bank: QuestionBank, pa_answers: Any) -> None:
    overrides = {"a.q3": {"value": "alternative", "justification": "j"}}
    result = score(
        pa_small_bank, pa_answers(pa_small_bank, "large", overrides), ClinicSize.LARGE, as_of=AS_OF
    )
    assert result.plan == ()


MATURITY_TABLE = [
    (0.0, False, 1), (34.99, False, 1), (35.0, False, 2), (54.99, False, 2), (55.0, False, 3),
    (74.99, False, 3), (75.0, False, 4), (89.99, False, 4), (90.0, False, 5), (100.0, False, 5),
    (100.0, True, 3), (80.0, True, 3), (40.0, True, 2), (10.0, True, 1),
]  # fmt: skip


@pytest.mark.parametrize(("percent", "missing", "level"), MATURITY_TABLE)
def test_maturity_thresholds(percent: float, missing: bool, level: int) -> None:
    assert maturity_level(percent, must_pass_missing=missing) == level


def test_maturity_thresholds_and_cap_match_the_docs() -> None:
    text = _doc_text()
    rows = re.findall(
        r"^\| (\d) \| [^|]+ \| [^|]+ \| (?:below (\d+) %|(\d+) % to below (\d+) %|(\d+) % and above) \|$",
        text,
        re.M,
    )
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5], (
        "the maturity table in docs/practice-audit.md changed"
    )
    # The lower bound of levels 2..5 is each threshold.
    lower = [float(r[2] or r[4]) for r in rows[1:]]
    assert lower == list(MATURITY_THRESHOLDS)
    # Each "below N %" upper bound is the next level's lower bound.
    upper = [float(r[1] or r[3]) for r in rows[:-1]]
    assert upper == list(MATURITY_THRESHOLDS)
    cap = re.search(r"the level is capped at \*\*(\d)\*\*", text)
    assert cap
    assert int(cap.group(1)) == MATURITY_CAP_WITH_MISSING


def test_result_maturity_is_capped_while_must_pass_missing(
    pa_small_bank: QuestionBank, pa_answers: Any
) -> None:
    result = score(
        pa_small_bank, pa_answers(pa_small_bank, "large", {"b.mp4": "no"}), ClinicSize.LARGE, as_of=AS_OF
    )
    assert result.overall_percent == pytest.approx(95.0)
    assert result.maturity == 3


@pytest.mark.parametrize("size", list(ClinicSize))
def test_real_bank_all_yes_is_standards_met(pa_bank: QuestionBank, pa_answers: Any, size: ClinicSize) -> None:
    result = score(pa_bank, pa_answers(pa_bank, size.value), size, as_of=AS_OF)
    assert (result.status, result.maturity, result.overall_percent) == (Status.STANDARDS_MET, 5, 100.0)
    assert result.questions == len(pa_bank.questions_for(size))


@pytest.mark.parametrize("size", list(ClinicSize))
def test_real_bank_one_must_pass_missing_is_not_met(
    pa_bank: QuestionBank, pa_answers: Any, size: ClinicSize
) -> None:
    first = next(q for q in pa_bank.questions_for(size) if q.must_pass)
    result = score(pa_bank, pa_answers(pa_bank, size.value, {first.id: "no"}), size, as_of=AS_OF)
    assert result.status is Status.NOT_MET
    assert result.must_pass_missing == (first.id,)
    assert result.plan[0].question_id == first.id
