"""Downloadable results for one clinic: JSON (data) and Markdown (printable text).

The Markdown comes from :func:`sectool.practice_audit.export.result_markdown`, the
same report ``sectool audit score`` writes, so clinics and security officers read one
format; it escapes everything a clinic wrote.
"""

from __future__ import annotations

import json

from sectool.practice_audit.compare import compare
from sectool.practice_audit.export import result_markdown
from sectool.practice_audit.models import Clinic, Lang, Submission

__all__ = ["disposition", "result_json", "result_md"]

_SUBMISSION_FIELDS = {"version", "submitted_at", "size", "bank_version", "answers"}


def disposition(clinic: Clinic, submission: Submission, ext: str) -> str:
    # The provider number is restricted to letters, digits and hyphens by the model.
    return f'attachment; filename="sikkerhedstjek-{clinic.provider_number}-v{submission.version}.{ext}"'


def result_json(clinic: Clinic, current: Submission, previous: Submission | None) -> str:
    """The submission (answers included), its result and the comparison with the previous one."""
    data = {
        "clinic": {"name": clinic.name, "provider_number": clinic.provider_number, "size": clinic.size.value},
        "submission": current.model_dump(
            mode="json", include={"version", "submitted_at", "size", "bank_version", "answers"}
        ),
        "result": current.result.model_dump(mode="json"),
        "comparison": None
        if previous is None
        else compare(previous.result, current.result).model_dump(mode="json"),
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def result_md(clinic: Clinic, current: Submission, previous: Submission | None, lang: Lang) -> str:
    """The printable Markdown report of ``current`` in ``lang``."""
    comparison = None if previous is None else compare(previous.result, current.result)
    return result_markdown(current.result, lang, clinic=clinic.name, comparison=comparison)
