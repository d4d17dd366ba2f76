"""Typed models of the GP-clinic self-assessment: the question bank, answers and results.

Everything a clinic or the forum reads exists in Danish and English (:class:`LocalText`).
All models are frozen pydantic models; they are parsed once at the edge (YAML, forms,
the database) and passed around read-only.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sectool.safetext import check_safe_text

__all__ = [
    "ANSWER_ALIASES",
    "Answer",
    "AnswerProblem",
    "AnswerType",
    "AnswerValue",
    "Answers",
    "Clinic",
    "ClinicSize",
    "ClinicSummary",
    "Domain",
    "DomainScore",
    "Lang",
    "LocalText",
    "PlanItem",
    "Question",
    "QuestionBank",
    "Result",
    "Status",
    "Submission",
]

Lang = Literal["da", "en"]

#: Longest free text a clinic may write into one field (justification); owner is shorter.
MAX_JUSTIFICATION = 2000
MAX_OWNER = 200
MAX_CLINIC_NAME = 200
PROVIDER_NUMBER_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,19}$")

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class AnswerValue(StrEnum):
    """How a clinic answers one question (the CSET answer set)."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    NOT_APPLICABLE = "not_applicable"
    ALTERNATIVE = "alternative"


#: Spellings accepted in answer files besides the canonical values (case-insensitive).
#: YAML 1.1 reads a bare ``yes``/``no`` as a boolean; those are mapped too.
ANSWER_ALIASES: dict[str, AnswerValue] = {
    "ja": AnswerValue.YES,
    "delvist": AnswerValue.PARTLY,
    "nej": AnswerValue.NO,
    "n/a": AnswerValue.NOT_APPLICABLE,
    "na": AnswerValue.NOT_APPLICABLE,
    "not applicable": AnswerValue.NOT_APPLICABLE,
    "ikke_relevant": AnswerValue.NOT_APPLICABLE,
    "ikke relevant": AnswerValue.NOT_APPLICABLE,
    "alternativ": AnswerValue.ALTERNATIVE,
    "alternative measure": AnswerValue.ALTERNATIVE,
}


class ClinicSize(StrEnum):
    """Clinic sizes a question can apply to."""

    SOLO = "solo"  # solo practice (enkeltmandspraksis)
    PARTNERSHIP = "partnership"  # partnership practice (kompagniskabspraksis)
    LARGE = "large"  # large clinic or health house (stor klinik / sundhedshus)


class AnswerType(StrEnum):
    """Which answers a question accepts.

    ``graded`` accepts every :class:`AnswerValue`; ``binary`` has no ``partly``
    (e.g. "is a MitID Erhverv ever shared?" is either true or not).
    """

    GRADED = "graded"
    BINARY = "binary"

    def allows(self, value: AnswerValue) -> bool:
        return not (self is AnswerType.BINARY and value is AnswerValue.PARTLY)

    def allowed(self) -> tuple[AnswerValue, ...]:
        return tuple(v for v in AnswerValue if self.allows(v))


class Status(StrEnum):
    """Overall status in the spirit of the NHS DSPT."""

    STANDARDS_MET = "standards_met"
    APPROACHING = "approaching"
    NOT_MET = "not_met"


class LocalText(BaseModel):
    """A text in Danish and English; both are required and non-empty."""

    model_config = _FROZEN

    da: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @field_validator("da", "en")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v.strip()

    def get(self, lang: Lang) -> str:
        """The text in ``lang``."""
        return self.da if lang == "da" else self.en


class Domain(BaseModel):
    """A domain (chapter) of the question bank."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    title: LocalText
    description: LocalText


class Question(BaseModel):
    """One question of the bank. ``annex_a`` is validated against the Annex A catalogue on load."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$", max_length=60)
    domain: str
    text: LocalText
    help: LocalText
    answer_type: AnswerType = AnswerType.GRADED
    weight: int = Field(ge=1, le=5)
    must_pass: bool = False
    sizes: tuple[ClinicSize, ...] = Field(min_length=1)
    annex_a: tuple[str, ...] = Field(min_length=1)
    recommendation: LocalText

    @field_validator("sizes")
    @classmethod
    def _unique_sizes(cls, v: tuple[ClinicSize, ...]) -> tuple[ClinicSize, ...]:
        if len(set(v)) != len(v):
            raise ValueError("sizes are listed twice")
        return v

    def applies_to(self, size: ClinicSize) -> bool:
        return size in self.sizes


class QuestionBank(BaseModel):
    """The validated question bank: domains in display order and their questions."""

    model_config = _FROZEN

    version: str = Field(min_length=1, max_length=40)
    domains: tuple[Domain, ...] = Field(min_length=1)
    questions: tuple[Question, ...] = Field(min_length=1)

    def domain(self, domain_id: str) -> Domain:
        for d in self.domains:
            if d.id == domain_id:
                return d
        raise KeyError(domain_id)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def get(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def questions_for(self, size: ClinicSize, domain_id: str | None = None) -> tuple[Question, ...]:
        """Questions that apply to a clinic of ``size`` (optionally in one domain), in bank order."""
        return tuple(
            q for q in self.questions if q.applies_to(size) and (domain_id is None or q.domain == domain_id)
        )


def _clean_text(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        if not v:
            return None
        # Control and bidi-override characters: see sectool.safetext (shared with the register).
        return check_safe_text(v)
    return v


class Answer(BaseModel):
    """A clinic's answer to one question.

    ``justification`` is required for ``alternative`` and ``not_applicable`` (checked by
    :func:`sectool.practice_audit.scoring.check_answers`, which knows the question).
    ``action_owner`` and ``action_due`` record the improvement action for a gap.
    """

    model_config = _FROZEN

    value: AnswerValue
    justification: str | None = Field(default=None, max_length=MAX_JUSTIFICATION)
    action_owner: str | None = Field(default=None, max_length=MAX_OWNER)
    action_due: date | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _value_aliases(cls, v: Any) -> Any:
        if v is True:
            return AnswerValue.YES
        if v is False:
            return AnswerValue.NO
        if isinstance(v, str):
            key = v.strip().lower()
            return ANSWER_ALIASES.get(key, key)
        return v

    @field_validator("justification", "action_owner", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return _clean_text(v)

    @field_validator("action_due", mode="before")
    @classmethod
    def _due(cls, v: Any) -> Any:
        if isinstance(v, datetime):
            raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
        if isinstance(v, str) and not v.strip():
            return None
        return v

    @property
    def has_action(self) -> bool:
        """An owner and a due date are both recorded."""
        return self.action_owner is not None and self.action_due is not None


class Answers(BaseModel):
    """A clinic's answers by question id. Unanswered questions are simply absent."""

    model_config = _FROZEN

    answers: dict[str, Answer] = Field(default_factory=dict)

    def get(self, question_id: str) -> Answer | None:
        return self.answers.get(question_id)

    def __len__(self) -> int:
        return len(self.answers)


class AnswerProblem(BaseModel):
    """A problem with one answer, returned as data so that forms can show it next to the field.

    ``code`` is one of ``unknown_question``, ``not_for_size``, ``value_not_allowed``,
    ``justification_required``, ``not_applicable_on_must_pass``, ``unanswered_must_pass``.
    """

    model_config = _FROZEN

    question_id: str
    field: str
    code: str
    message: LocalText


class DomainScore(BaseModel):
    """The score of one domain over its applicable questions."""

    model_config = _FROZEN

    domain: str
    title: LocalText
    percent: float | None  # None when every question is not applicable
    earned: float
    possible: float
    questions: int  # questions that apply to the clinic size
    answered: int
    not_applicable: int
    must_pass: int
    must_pass_met: int


class PlanItem(BaseModel):
    """One ranked gap of the improvement plan."""

    model_config = _FROZEN

    rank: int
    question_id: str
    domain: str
    must_pass: bool
    weight: int
    answer: AnswerValue | None  # None: unanswered
    question: LocalText
    action: LocalText
    annex_a: tuple[str, ...]
    owner: str | None = None
    due: date | None = None


class Result(BaseModel):
    """The scored self-assessment of one clinic."""

    model_config = _FROZEN

    bank_version: str
    size: ClinicSize
    as_of: date
    overall_percent: float
    maturity: int = Field(ge=1, le=5)
    status: Status
    domains: tuple[DomainScore, ...]
    questions: int
    answered: int
    must_pass_total: int
    must_pass_met: int
    must_pass_missing: tuple[str, ...]
    unanswered: tuple[str, ...]
    plan: tuple[PlanItem, ...]

    def domain_score(self, domain_id: str) -> DomainScore | None:
        return next((d for d in self.domains if d.domain == domain_id), None)


def _check_name(v: str) -> str:
    v = v.strip()
    if not v:
        raise ValueError("must not be empty")
    return check_safe_text(v)


class Clinic(BaseModel):
    """A clinic as stored; ``token_expires_at`` is the expiry of the invitation in use (if any)."""

    model_config = _FROZEN

    id: int
    name: str = Field(max_length=MAX_CLINIC_NAME)
    provider_number: str
    size: ClinicSize
    invited_at: datetime
    token_expires_at: datetime | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_name(v)

    @field_validator("provider_number")
    @classmethod
    def _provider(cls, v: str) -> str:
        v = v.strip()
        if not PROVIDER_NUMBER_RE.match(v):
            raise ValueError("must be 1-20 letters, digits or hyphens (the clinic's provider number)")
        return v


class Submission(BaseModel):
    """An immutable, scored submission (one version of a clinic's history)."""

    model_config = _FROZEN

    id: int
    clinic_id: int
    version: int
    submitted_at: datetime
    size: ClinicSize
    bank_version: str
    answers: Answers
    result: Result


class ClinicSummary(BaseModel):
    """One row of the security officer's clinic list."""

    model_config = _FROZEN

    clinic_id: int
    name: str
    provider_number: str
    size: ClinicSize
    invited_at: datetime
    token_expires_at: datetime | None
    submissions: int
    last_submitted_at: datetime | None
    status: Status | None
    maturity: int | None
    overall_percent: float | None
    has_draft: bool

    @model_validator(mode="after")
    def _consistent(self) -> ClinicSummary:
        if (self.last_submitted_at is None) != (self.submissions == 0):
            raise ValueError("last_submitted_at and submissions disagree")
        return self
