"""Rows to models, and the flat export columns."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from sectool.yamlio import validation_error

from ..models import Answers, Clinic, ClinicSize, Result, Submission
from .schema import ClinicRow, SubmissionRow

__all__ = ["EXPORT_COLUMNS", "clinic_model", "probe", "score_columns", "submission_model"]

EXPORT_COLUMNS = (
    "clinic_id",
    "clinic",
    "provider_number",
    "size",
    "invited_at",
    "version",
    "submitted_at",
    "status",
    "maturity",
    "overall_percent",
    "must_pass_total",
    "must_pass_met",
    "must_pass_missing",
    "gaps",
    "answered",
    "questions",
    "bank_version",
)
#: The columns that come from a submission (empty for a clinic that has not submitted).
_SCORE_COLUMNS = EXPORT_COLUMNS[EXPORT_COLUMNS.index("version") :]


def probe(name: str, provider_number: str, size: ClinicSize, now: datetime) -> Clinic:
    """Validate clinic details before anything is stored; bad details are an :class:`InputError`."""
    try:
        return Clinic(id=0, name=name, provider_number=provider_number, size=size, invited_at=now)
    except ValidationError as exc:
        raise validation_error(exc, file=None) from None


def clinic_model(row: ClinicRow, expires_at: datetime | None) -> Clinic:
    return Clinic(
        id=row.id,
        name=row.name,
        provider_number=row.provider_number,
        size=ClinicSize(row.size),
        invited_at=row.invited_at,
        token_expires_at=expires_at,
    )


def submission_model(row: SubmissionRow) -> Submission:
    return Submission(
        id=row.id,
        clinic_id=row.clinic_id,
        version=row.version,
        submitted_at=row.submitted_at,
        size=ClinicSize(row.size),
        bank_version=row.bank_version,
        answers=Answers.model_validate_json(row.answers_json),
        result=Result.model_validate_json(row.result_json),
    )


def score_columns(r: SubmissionRow | None, domain_cols: list[str]) -> dict[str, Any]:
    """The score columns of one export row; ``size`` is the size the submission was scored for."""
    cols: dict[str, Any] = dict.fromkeys((*_SCORE_COLUMNS, *domain_cols))
    if r is None:
        return cols
    # Plain JSON rather than the pydantic model: the export reads a handful of fields per row.
    result = json.loads(r.result_json)
    cols.update(
        version=r.version,
        submitted_at=r.submitted_at.isoformat(),
        size=r.size,
        status=r.status,
        maturity=r.maturity,
        overall_percent=round(r.overall_percent, 1),
        must_pass_total=result["must_pass_total"],
        must_pass_met=result["must_pass_met"],
        must_pass_missing=" ".join(result["must_pass_missing"]),
        gaps=len(result["plan"]),
        answered=result["answered"],
        questions=result["questions"],
        bank_version=r.bank_version,
    )
    for d in result["domains"]:
        key = f"domain_{d['domain']}"
        if key in cols:
            cols[key] = None if d["percent"] is None else round(d["percent"], 1)
    return cols
