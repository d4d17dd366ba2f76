"""GP-clinic security self-assessment: question bank, scoring, storage, web app.

The public surface is re-exported here; modules stay importable on their own.
Heavy or optional pieces (the web app) are not imported by this package.
"""

from __future__ import annotations

from .bank import annex_a_ids, load_bank, parse_bank
from .errors import (
    AnswersError,
    AuditError,
    ClinicNotFoundError,
    ExpiredTokenError,
    InvalidTokenError,
    TokenError,
)
from .models import (
    Answer,
    AnswerProblem,
    Answers,
    AnswerType,
    AnswerValue,
    Clinic,
    ClinicSize,
    ClinicSummary,
    Domain,
    DomainScore,
    Lang,
    LocalText,
    PlanItem,
    Question,
    QuestionBank,
    Result,
    Status,
    Submission,
)
from .scoring import check_answers, is_met, maturity_level, score
from .store import Store, default_url

__all__ = [
    "Answer",
    "AnswerProblem",
    "AnswerType",
    "AnswerValue",
    "Answers",
    "AnswersError",
    "AuditError",
    "Clinic",
    "ClinicNotFoundError",
    "ClinicSize",
    "ClinicSummary",
    "Domain",
    "DomainScore",
    "ExpiredTokenError",
    "InvalidTokenError",
    "Lang",
    "LocalText",
    "PlanItem",
    "Question",
    "QuestionBank",
    "Result",
    "Status",
    "Store",
    "Submission",
    "TokenError",
    "annex_a_ids",
    "check_answers",
    "default_url",
    "is_met",
    "load_bank",
    "maturity_level",
    "parse_bank",
    "score",
]
