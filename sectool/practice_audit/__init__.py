"""GP-clinic security self-assessment: question bank, scoring, storage, web app.

The public surface is re-exported here lazily (PEP 562), so that ``sectool --help``
does not pay for SQLAlchemy; ``from sectool.practice_audit import Store`` works as usual.
The web app (``sectool.practice_audit.web``) is never imported from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sectool._lazy import lazy_exports

if TYPE_CHECKING:
    from .bank import annex_a_ids, annex_a_label, load_bank, parse_bank
    from .compare import Comparison, DomainChange, compare
    from .errors import (
        AnswersError,
        AuditError,
        ClinicNotFoundError,
        ExpiredTokenError,
        InvalidTokenError,
        TokenError,
    )
    from .examples import ExampleAnswers, load_examples, seed_examples
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

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["annex_a_ids", "annex_a_label", "load_bank", "parse_bank"], "bank"),
    **dict.fromkeys(["Comparison", "DomainChange", "compare"], "compare"),
    **dict.fromkeys(
        [
            "AnswersError",
            "AuditError",
            "ClinicNotFoundError",
            "ExpiredTokenError",
            "InvalidTokenError",
            "TokenError",
        ],
        "errors",
    ),
    **dict.fromkeys(["ExampleAnswers", "load_examples", "seed_examples"], "examples"),
    **dict.fromkeys(
        [
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
        ],
        "models",
    ),
    **dict.fromkeys(["check_answers", "is_met", "maturity_level", "score"], "scoring"),
    **dict.fromkeys(["Store", "default_url"], "store"),
}

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
    "Comparison",
    "Domain",
    "DomainChange",
    "DomainScore",
    "ExampleAnswers",
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
    "annex_a_label",
    "check_answers",
    "compare",
    "default_url",
    "is_met",
    "load_bank",
    "load_examples",
    "maturity_level",
    "parse_bank",
    "score",
    "seed_examples",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
