"""Scoring of a self-assessment: pure functions over the bank and the answers.

Rules (documented for clinics in docs/practice-audit.md):

* Points per answer: ``yes`` = 1, ``partly`` = 0.5, ``no`` = 0, ``alternative`` = 1
  (a justified alternative measure counts as met), unanswered = 0.
  ``not_applicable`` takes the question out of the score (numerator and denominator).
* A question is *met* when answered ``yes`` or ``alternative``. ``partly`` earns half
  the points but is not met: it stays in the improvement plan and does not satisfy a
  must-pass question.
* Domain and overall percentages are weighted: sum(points x weight) / sum(weight) over
  the applicable questions. The overall score is over all questions, not the mean of
  the domains, so that a domain with many questions counts for more.
* Maturity 1-5 from the overall percentage (:data:`MATURITY_THRESHOLDS`); while any
  must-pass question is not met the level is capped at :data:`MATURITY_CAP_WITH_MISSING`.
* Status: ``standards_met`` when every must-pass question is met; ``approaching`` when
  at least :data:`APPROACHING_SHARE` of them are met and every missing one has an
  improvement action with an owner and a due date on or after the assessment date;
  otherwise ``not_met``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .errors import AnswersError
from .models import (
    Answer,
    AnswerProblem,
    Answers,
    AnswerValue,
    ClinicSize,
    DomainScore,
    LocalText,
    PlanItem,
    Question,
    QuestionBank,
    Result,
    Status,
)

__all__ = [
    "APPROACHING_SHARE",
    "MATURITY_CAP_WITH_MISSING",
    "MATURITY_THRESHOLDS",
    "POINTS",
    "check_answers",
    "is_met",
    "maturity_level",
    "score",
]

#: Points per answer value; ``not_applicable`` is excluded rather than scored.
POINTS: dict[AnswerValue, float] = {
    AnswerValue.YES: 1.0,
    AnswerValue.PARTLY: 0.5,
    AnswerValue.NO: 0.0,
    AnswerValue.ALTERNATIVE: 1.0,
}

#: Lowest overall percentage for maturity levels 2..5 (level 1 below the first).
MATURITY_THRESHOLDS: tuple[float, float, float, float] = (35.0, 55.0, 75.0, 90.0)

#: Highest maturity level while a must-pass question is not met.
MATURITY_CAP_WITH_MISSING = 3

#: Share of must-pass questions that must be met for "approaching standards".
APPROACHING_SHARE = 0.75


def is_met(answer: Answer | None) -> bool:
    """Yes, or a (justified) alternative measure."""
    return answer is not None and answer.value in (AnswerValue.YES, AnswerValue.ALTERNATIVE)


def maturity_level(percent: float, *, must_pass_missing: bool = False) -> int:
    """Maturity level 1-5 for an overall weighted percentage."""
    level = 1 + sum(1 for t in MATURITY_THRESHOLDS if percent >= t)
    if must_pass_missing:
        level = min(level, MATURITY_CAP_WITH_MISSING)
    return level


def _problem(qid: str, field: str, code: str, da: str, en: str) -> AnswerProblem:
    return AnswerProblem(question_id=qid, field=field, code=code, message=LocalText(da=da, en=en))


def check_answers(
    bank: QuestionBank,
    answers: Answers,
    size: ClinicSize,
    *,
    for_submit: bool = False,
) -> list[AnswerProblem]:
    """Every problem with ``answers`` for a clinic of ``size``, in bank order (unknown ids last).

    With ``for_submit`` every must-pass question must also be answered.
    """
    problems: list[AnswerProblem] = []
    for q in bank.questions:
        a = answers.get(q.id)
        if not q.applies_to(size):
            if a is not None:
                problems.append(
                    _problem(
                        q.id,
                        "value",
                        "not_for_size",
                        f"spørgsmålet gælder ikke for klinikstørrelsen '{size.value}'",
                        f"the question does not apply to clinic size '{size.value}'",
                    )
                )
            continue
        if a is None:
            if for_submit and q.must_pass:
                problems.append(
                    _problem(
                        q.id,
                        "value",
                        "unanswered_must_pass",
                        "skal besvares (obligatorisk krav)",
                        "must be answered (must-pass question)",
                    )
                )
            continue
        problems.extend(_check_one(q, a))
    known = {q.id for q in bank.questions}
    for qid in answers.answers:
        if qid not in known:
            problems.append(
                _problem(qid, "value", "unknown_question", "ukendt spørgsmål", "unknown question id")
            )
    return problems


def _check_one(q: Question, a: Answer) -> Iterable[AnswerProblem]:
    if not q.answer_type.allows(a.value):
        allowed = ", ".join(v.value for v in q.answer_type.allowed())
        yield _problem(
            q.id,
            "value",
            "value_not_allowed",
            f"svaret '{a.value.value}' kan ikke bruges her; tilladt: {allowed}",
            f"answer '{a.value.value}' is not allowed here; allowed: {allowed}",
        )
    if a.value is AnswerValue.NOT_APPLICABLE and q.must_pass:
        yield _problem(
            q.id,
            "value",
            "not_applicable_on_must_pass",
            "'ikke_relevant' kan ikke bruges på et obligatorisk krav",
            "'not_applicable' is not allowed on a must-pass question",
        )
    elif a.value in (AnswerValue.NOT_APPLICABLE, AnswerValue.ALTERNATIVE) and not a.justification:
        what_da = "ikke relevant" if a.value is AnswerValue.NOT_APPLICABLE else "alternativt tiltag"
        yield _problem(
            q.id,
            "justification",
            "justification_required",
            f"'{what_da}' kræver en skriftlig begrundelse",
            f"'{a.value.value}' needs a written justification",
        )


def score(bank: QuestionBank, answers: Answers, size: ClinicSize, *, as_of: date) -> Result:
    """Score ``answers`` of a clinic of ``size`` as of ``as_of``.

    Raises:
        AnswersError: the answers have problems (see :func:`check_answers`); unanswered
            questions are not a problem here, they score 0 and appear in the plan.
    """
    problems = check_answers(bank, answers, size)
    if problems:
        raise AnswersError(problems)

    domains: list[DomainScore] = []
    total_earned = total_possible = 0.0
    gaps: list[tuple[Question, Answer | None]] = []
    mp_total = mp_met = answered = n_questions = 0
    missing: list[str] = []
    unanswered: list[str] = []
    for d in bank.domains:
        earned = possible = 0.0
        d_mp = d_mp_met = d_answered = d_na = 0
        qs = bank.questions_for(size, d.id)
        for q in qs:
            a = answers.get(q.id)
            if a is None:
                unanswered.append(q.id)
            else:
                d_answered += 1
            if q.must_pass:
                d_mp += 1
                if is_met(a):
                    d_mp_met += 1
                else:
                    missing.append(q.id)
            if a is not None and a.value is AnswerValue.NOT_APPLICABLE:
                d_na += 1
                continue
            possible += q.weight
            earned += q.weight * (POINTS[a.value] if a is not None else 0.0)
            if not is_met(a):
                gaps.append((q, a))
        domains.append(
            DomainScore(
                domain=d.id,
                title=d.title,
                percent=100.0 * earned / possible if possible else None,
                earned=earned,
                possible=possible,
                questions=len(qs),
                answered=d_answered,
                not_applicable=d_na,
                must_pass=d_mp,
                must_pass_met=d_mp_met,
            )
        )
        total_earned += earned
        total_possible += possible
        mp_total += d_mp
        mp_met += d_mp_met
        answered += d_answered
        n_questions += len(qs)

    overall = 100.0 * total_earned / total_possible if total_possible else 0.0
    plan = _plan(gaps)
    status = _status(bank, answers, missing, mp_total, as_of)
    return Result(
        bank_version=bank.version,
        size=size,
        as_of=as_of,
        overall_percent=overall,
        maturity=maturity_level(overall, must_pass_missing=bool(missing)),
        status=status,
        domains=tuple(domains),
        questions=n_questions,
        answered=answered,
        must_pass_total=mp_total,
        must_pass_met=mp_met,
        must_pass_missing=tuple(missing),
        unanswered=tuple(unanswered),
        plan=plan,
    )


def _action_ok(a: Answer | None, as_of: date) -> bool:
    return a is not None and a.has_action and a.action_due is not None and a.action_due >= as_of


def _status(bank: QuestionBank, answers: Answers, missing: list[str], mp_total: int, as_of: date) -> Status:
    if not missing:
        return Status.STANDARDS_MET
    met_share = (mp_total - len(missing)) / mp_total
    if met_share >= APPROACHING_SHARE and all(_action_ok(answers.get(qid), as_of) for qid in missing):
        return Status.APPROACHING
    return Status.NOT_MET


def _gap_key(item: tuple[int, Question, Answer | None]) -> tuple[int, int, float, int]:
    order, q, a = item
    points = POINTS[a.value] if a is not None else 0.0
    # Must-pass first, then heavier weight, then the bigger shortfall (no before partly), then bank order.
    return (0 if q.must_pass else 1, -q.weight, points, order)


def _plan(gaps: list[tuple[Question, Answer | None]]) -> tuple[PlanItem, ...]:
    ranked = sorted(((i, q, a) for i, (q, a) in enumerate(gaps)), key=_gap_key)
    return tuple(
        PlanItem(
            rank=rank,
            question_id=q.id,
            domain=q.domain,
            must_pass=q.must_pass,
            weight=q.weight,
            answer=a.value if a is not None else None,
            question=q.text,
            action=q.recommendation,
            annex_a=q.annex_a,
            owner=a.action_owner if a is not None else None,
            due=a.action_due if a is not None else None,
        )
        for rank, (_, q, a) in enumerate(ranked, start=1)
    )
