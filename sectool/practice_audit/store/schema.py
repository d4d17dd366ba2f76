"""The database tables of the self-assessment store (SQLAlchemy 2.0 declarative models).

Submissions are immutable: ORM updates and deletes of a submission row raise.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = ["Base", "ClinicRow", "DraftRow", "InvitationRow", "SubmissionRow", "UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class ClinicRow(Base):
    __tablename__ = "audit_clinics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    provider_number: Mapped[str] = mapped_column(String(20), unique=True)
    size: Mapped[str] = mapped_column(String(20))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InvitationRow(Base):
    __tablename__ = "audit_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("audit_clinics.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DraftRow(Base):
    __tablename__ = "audit_drafts"

    clinic_id: Mapped[int] = mapped_column(ForeignKey("audit_clinics.id"), primary_key=True)
    answers_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubmissionRow(Base):
    """One immutable version; ``size`` is the clinic size the answers were scored for."""

    __tablename__ = "audit_submissions"
    __table_args__ = (UniqueConstraint("clinic_id", "version", name="uq_audit_submission_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("audit_clinics.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    size: Mapped[str] = mapped_column(String(20))
    bank_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    maturity: Mapped[int] = mapped_column(Integer)
    overall_percent: Mapped[float]
    answers_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)


@event.listens_for(SubmissionRow, "before_update")
def _immutable(mapper: Any, connection: Any, target: SubmissionRow) -> None:
    raise RuntimeError("submissions are immutable")


@event.listens_for(SubmissionRow, "before_delete")
def _undeletable(mapper: Any, connection: Any, target: SubmissionRow) -> None:
    raise RuntimeError("submissions are immutable")
