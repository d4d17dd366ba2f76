"""The security officers' view of the store: the clinic list and the flat export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import ClinicSize, ClinicSummary, Status
from .base import StoreBase
from .convert import EXPORT_COLUMNS, score_columns
from .schema import ClinicRow, DraftRow, InvitationRow, SubmissionRow

__all__ = ["AdminMixin"]


class AdminMixin(StoreBase):
    """Listing and export operations of the store."""

    def list_clinics(self) -> list[ClinicSummary]:
        """Every clinic with its latest submission, ordered by name."""
        with self._session() as s:
            clinics = list(s.scalars(select(ClinicRow).order_by(ClinicRow.name, ClinicRow.id)))
            expiry: dict[int, datetime] = {
                cid: exp
                for cid, exp in s.execute(
                    select(InvitationRow.clinic_id, func.max(InvitationRow.expires_at)).group_by(
                        InvitationRow.clinic_id
                    )
                )
            }
            counts: dict[int, int] = {
                cid: n
                for cid, n in s.execute(
                    select(SubmissionRow.clinic_id, func.count()).group_by(SubmissionRow.clinic_id)
                )
            }
            latest = _latest_rows(s)
            drafts = set(s.scalars(select(DraftRow.clinic_id)))
            out: list[ClinicSummary] = []
            for c in clinics:
                sub = latest.get(c.id)
                out.append(
                    ClinicSummary(
                        clinic_id=c.id,
                        name=c.name,
                        provider_number=c.provider_number,
                        size=ClinicSize(c.size),
                        invited_at=c.invited_at,
                        token_expires_at=expiry.get(c.id),
                        submissions=counts.get(c.id, 0),
                        last_submitted_at=sub.submitted_at if sub else None,
                        status=Status(sub.status) if sub else None,
                        maturity=sub.maturity if sub else None,
                        overall_percent=sub.overall_percent if sub else None,
                        has_draft=c.id in drafts,
                    )
                )
            return out

    def export_columns(self) -> list[str]:
        """The column names of :meth:`export_rows`, in order (also when there are no rows)."""
        return [*EXPORT_COLUMNS, *(f"domain_{d.id}" for d in self.bank.domains)]

    def export_rows(self, *, all_versions: bool = False) -> list[dict[str, Any]]:
        """Flat rows for the CSV/JSON admin export and the forum report.

        One row per clinic with its latest submission (clinics without one have empty
        score columns), or with ``all_versions`` one row per submission. Columns:
        ``clinic_id, clinic, provider_number, size, invited_at, version, submitted_at,
        status, maturity, overall_percent, must_pass_total, must_pass_met, must_pass_missing,
        gaps, answered, questions, bank_version`` and ``domain_<id>`` (percent or empty) per
        domain of the bank. ``size`` is the size the submission was scored for (the clinic's
        current size for a clinic without submissions).
        """
        domain_cols = [f"domain_{d.id}" for d in self.bank.domains]
        with self._session() as s:
            clinics = {c.id: c for c in s.scalars(select(ClinicRow))}
            if all_versions:
                subs = list(
                    s.scalars(select(SubmissionRow).order_by(SubmissionRow.clinic_id, SubmissionRow.version))
                )
            else:
                subs = list(_latest_rows(s).values())
            by_clinic: dict[int, list[SubmissionRow | None]] = {}
            for r in subs:
                by_clinic.setdefault(r.clinic_id, []).append(r)
            rows: list[dict[str, Any]] = []
            for c in sorted(clinics.values(), key=lambda c: (c.name, c.id)):
                base = {
                    "clinic_id": c.id,
                    "clinic": c.name,
                    "provider_number": c.provider_number,
                    "size": c.size,
                    "invited_at": c.invited_at.isoformat(),
                }
                for sub in by_clinic.get(c.id, [None]):
                    rows.append({**base, **score_columns(sub, domain_cols)})
            return rows


def _latest_rows(s: Session) -> dict[int, SubmissionRow]:
    newest = (
        select(SubmissionRow.clinic_id, func.max(SubmissionRow.version).label("v"))
        .group_by(SubmissionRow.clinic_id)
        .subquery()
    )
    rows = s.scalars(
        select(SubmissionRow).join(
            newest,
            (SubmissionRow.clinic_id == newest.c.clinic_id) & (SubmissionRow.version == newest.c.v),
        )
    )
    return {r.clinic_id: r for r in rows}
