"""Turn the clinic's HTML form into validated :class:`Answers`, keeping every raw value.

The form has four fields per question: ``a:<id>`` (the answer), ``j:<id>``
(justification), ``o:<id>`` (action owner) and ``d:<id>`` (action due date). Whatever
the clinic typed is kept in :class:`RawAnswer` so that a form with problems is shown
again exactly as entered, with the problems next to the fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from sectool.practice_audit.models import (
    MAX_JUSTIFICATION,
    MAX_OWNER,
    Answer,
    AnswerProblem,
    Answers,
    AnswerValue,
    ClinicSize,
    LocalText,
    Question,
    QuestionBank,
)

__all__ = ["FieldError", "ParsedForm", "RawAnswer", "allowed_values", "parse_form", "raw_from_answers"]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class RawAnswer:
    """The four form fields of one question as typed (``""`` when empty)."""

    value: str = ""
    justification: str = ""
    owner: str = ""
    due: str = ""


@dataclass(frozen=True)
class FieldError:
    """A problem with one field of one question, in both languages."""

    question_id: str
    field: str  # value | justification | owner | due
    message: LocalText

    @classmethod
    def from_problem(cls, problem: AnswerProblem) -> FieldError:
        return cls(problem.question_id, problem.field, problem.message)


@dataclass
class ParsedForm:
    """The result of :func:`parse_form`: the answers that could be read, raw values and problems."""

    answers: Answers
    raw: dict[str, RawAnswer]
    errors: list[FieldError] = field(default_factory=list)


def allowed_values(question: Question) -> tuple[AnswerValue, ...]:
    """Answers the form offers for ``question`` (no 'not applicable' on must-pass questions)."""
    return tuple(
        v
        for v in question.answer_type.allowed()
        if not (question.must_pass and v is AnswerValue.NOT_APPLICABLE)
    )


def _text(value: str | None) -> str:
    # Browsers send textarea line breaks as CRLF but count them as one character for maxlength.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def _too_long(qid: str, fld: str, label: LocalText, length: int, limit: int) -> FieldError:
    return FieldError(
        qid,
        fld,
        LocalText(
            da=f"{label.da} er for lang: {length} tegn, højst {limit} tilladt.",
            en=f"{label.en} is too long: {length} characters, at most {limit} allowed.",
        ),
    )


_JUSTIFICATION = LocalText(da="Begrundelsen", en="The justification")
_OWNER = LocalText(da="Ansvarlig", en="The owner")


def parse_form(form: Mapping[str, str], bank: QuestionBank, size: ClinicSize) -> ParsedForm:
    """Read the answers for the questions of a clinic of ``size`` from ``form``.

    Only format problems are reported here (unknown answer, too long, not a date, text
    without an answer); the rules of the assessment are checked by
    :func:`sectool.practice_audit.scoring.check_answers`. Fields of other questions are
    ignored. Answers with a problem are left out of :attr:`ParsedForm.answers`.
    """
    raw: dict[str, RawAnswer] = {}
    answers: dict[str, Answer] = {}
    errors: list[FieldError] = []
    for q in bank.questions_for(size):
        r = RawAnswer(
            value=(form.get(f"a:{q.id}") or "").strip(),
            justification=_text(form.get(f"j:{q.id}")),
            owner=_text(form.get(f"o:{q.id}")),
            due=(form.get(f"d:{q.id}") or "").strip(),
        )
        raw[q.id] = r
        own = list(_format_errors(q, r))
        errors.extend(own)
        if own or not r.value:
            continue
        try:
            answers[q.id] = Answer(
                value=AnswerValue(r.value),
                justification=r.justification or None,
                action_owner=r.owner or None,
                action_due=date.fromisoformat(r.due) if r.due else None,
            )
        except ValidationError as exc:
            # Name the field that holds the control or bidi-override character.
            bad = exc.errors()[0]["loc"][0] if exc.errors() and exc.errors()[0]["loc"] else ""
            errors.append(
                FieldError(
                    q.id,
                    "owner" if bad == "action_owner" else "justification",
                    LocalText(
                        da="Teksten indeholder ugyldige tegn.", en="The text contains characters not allowed."
                    ),
                )
            )
    return ParsedForm(Answers(answers=answers), raw, errors)


def _format_errors(q: Question, r: RawAnswer) -> Iterable[FieldError]:
    if r.value and r.value not in {v.value for v in allowed_values(q)}:
        yield FieldError(q.id, "value", LocalText(da="Ugyldigt svar.", en="Invalid answer."))
    if len(r.justification) > MAX_JUSTIFICATION:
        yield _too_long(q.id, "justification", _JUSTIFICATION, len(r.justification), MAX_JUSTIFICATION)
    if len(r.owner) > MAX_OWNER:
        yield _too_long(q.id, "owner", _OWNER, len(r.owner), MAX_OWNER)
    if r.due and not _valid_date(r.due):
        yield FieldError(
            q.id,
            "due",
            LocalText(
                da="Fristen skal være en dato (ÅÅÅÅ-MM-DD).", en="The due date must be a date (YYYY-MM-DD)."
            ),
        )
    if not r.value and (r.justification.strip() or r.owner.strip() or r.due):
        # Without an answer there is nothing to store the text with; say so rather than drop it.
        yield FieldError(
            q.id,
            "value",
            LocalText(
                da="Vælg et svar, så teksten kan gemmes sammen med det.",
                en="Choose an answer so that the text can be saved with it.",
            ),
        )


def _valid_date(text: str) -> bool:
    if not _DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def raw_from_answers(answers: Answers) -> dict[str, RawAnswer]:
    """Form values for stored answers (a draft or an earlier submission)."""
    return {
        qid: RawAnswer(
            value=a.value.value,
            justification=a.justification or "",
            owner=a.action_owner or "",
            due=a.action_due.isoformat() if a.action_due else "",
        )
        for qid, a in answers.answers.items()
    }
