"""Drafts (replaceable) and submissions (immutable, versioned per clinic)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import AnswersError
from ..models import Answers, ClinicSize, Result, Submission
from ..scoring import check_answers, score
from .base import StoreBase
from .convert import submission_model
from .engine import require_aware
from .schema import ClinicRow, DraftRow, SubmissionRow

__all__ = ["SubmissionsMixin"]


class SubmissionsMixin(StoreBase):
    """Draft and submission operations of the store."""

    # -- drafts ---------------------------------------------------------------------------------

    def save_draft(self, clinic_id: int, answers: Answers, *, now: datetime) -> None:
        """Store (replace) the clinic's draft. Drafts may be incomplete or not yet consistent."""
        now = require_aware(now)
        payload = answers.model_dump_json()
        with self._session(write=True) as s:
            self._clinic_row(s, clinic_id)
            draft = s.get(DraftRow, clinic_id)
            if draft is None:
                s.add(DraftRow(clinic_id=clinic_id, answers_json=payload, updated_at=now))
            else:
                draft.answers_json, draft.updated_at = payload, now

    def get_draft(self, clinic_id: int) -> Answers | None:
        """The clinic's draft, or ``None``."""
        with self._session() as s:
            self._clinic_row(s, clinic_id)
            draft = s.get(DraftRow, clinic_id)
            return None if draft is None else Answers.model_validate_json(draft.answers_json)

    def delete_draft(self, clinic_id: int) -> None:
        """Discard the clinic's draft (no error when there is none)."""
        with self._session(write=True) as s:
            draft = s.get(DraftRow, clinic_id)
            if draft is not None:
                s.delete(draft)

    # -- submissions ----------------------------------------------------------------------------

    def submit(self, clinic_id: int, answers: Answers, *, now: datetime) -> Submission:
        """Score and store ``answers`` as the clinic's next immutable version; clear the draft.

        The version records the clinic size it was scored for, so a later change of the
        clinic's size does not change what an earlier version means.

        Raises:
            AnswersError: problems with the answers (every must-pass question must be answered);
                nothing is stored, the draft is kept.
        """
        now = require_aware(now)
        clinic = self.get_clinic(clinic_id)
        problems = check_answers(self.bank, answers, clinic.size, for_submit=True)
        if problems:
            raise AnswersError(problems)
        result = score(self.bank, answers, clinic.size, as_of=now.date())
        return self._write_retrying(
            lambda s: self._insert_submission(s, clinic_id, clinic.size, answers, result, now)
        )

    @staticmethod
    def _insert_submission(
        s: Session, clinic_id: int, size: ClinicSize, answers: Answers, result: Result, now: datetime
    ) -> Submission:
        # Serialise writers of one clinic (row lock on PostgreSQL; SQLite already holds
        # the write lock from BEGIN IMMEDIATE and ignores FOR UPDATE).
        s.execute(select(ClinicRow.id).where(ClinicRow.id == clinic_id).with_for_update())
        last = s.scalar(select(func.max(SubmissionRow.version)).where(SubmissionRow.clinic_id == clinic_id))
        row = SubmissionRow(
            clinic_id=clinic_id,
            version=(last or 0) + 1,
            submitted_at=now,
            size=size.value,
            bank_version=result.bank_version,
            status=result.status.value,
            maturity=result.maturity,
            overall_percent=result.overall_percent,
            answers_json=answers.model_dump_json(),
            result_json=result.model_dump_json(),
        )
        s.add(row)
        draft = s.get(DraftRow, clinic_id)
        if draft is not None:
            s.delete(draft)
        s.flush()
        return submission_model(row)

    def submissions(self, clinic_id: int) -> list[Submission]:
        """Every submission of the clinic, oldest first."""
        with self._session() as s:
            self._clinic_row(s, clinic_id)
            rows = s.scalars(
                select(SubmissionRow)
                .where(SubmissionRow.clinic_id == clinic_id)
                .order_by(SubmissionRow.version)
            )
            return [submission_model(r) for r in rows]

    def latest_submission(self, clinic_id: int) -> Submission | None:
        """The newest submission of the clinic, or ``None``."""
        with self._session() as s:
            self._clinic_row(s, clinic_id)
            row = s.scalar(
                select(SubmissionRow)
                .where(SubmissionRow.clinic_id == clinic_id)
                .order_by(SubmissionRow.version.desc())
                .limit(1)
            )
            return None if row is None else submission_model(row)

    def previous_submission(self, clinic_id: int, version: int) -> Submission | None:
        """The submission just before ``version`` (for the year-on-year comparison), or ``None``."""
        with self._session() as s:
            row = s.scalar(
                select(SubmissionRow)
                .where(SubmissionRow.clinic_id == clinic_id, SubmissionRow.version < version)
                .order_by(SubmissionRow.version.desc())
                .limit(1)
            )
            return None if row is None else submission_model(row)
