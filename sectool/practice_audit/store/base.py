"""The shared core of :class:`~sectool.practice_audit.store.Store`: engine, sessions, retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sectool.errors import ServiceError

from ..bank import load_bank
from ..errors import ClinicNotFoundError
from ..models import Clinic, QuestionBank
from .convert import clinic_model
from .engine import WRITE, default_url, make_engine, reason
from .schema import Base, ClinicRow, InvitationRow

__all__ = ["StoreBase"]

T = TypeVar("T")


class StoreBase:
    """Engine, sessions and helpers that every part of the store uses.

    Args:
        url: SQLAlchemy URL; ``None`` uses :func:`~sectool.practice_audit.store.engine.default_url`.
        bank: the question bank used to score submissions (default: the packaged bank).
        secret: pepper for token hashes (default: ``$SECTOOL_AUDIT_SECRET``, read per call).
    """

    def __init__(
        self, url: str | None = None, *, bank: QuestionBank | None = None, secret: str | None = None
    ) -> None:
        self.url = url or default_url()
        self.bank = bank or load_bank()
        self._secret = secret
        self._engine = make_engine(self.url)
        self._read = sessionmaker(self._engine, expire_on_commit=False)
        self._write = sessionmaker(self._engine.execution_options(**{WRITE: True}), expire_on_commit=False)
        try:
            Base.metadata.create_all(self._engine)
        except SQLAlchemyError as exc:
            raise ServiceError(f"cannot open the audit database {self._safe_url()}: {reason(exc)}") from None

    def _safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def _session(self, *, write: bool = False) -> Iterator[Session]:
        maker = self._write if write else self._read
        try:
            with maker() as session, session.begin():
                yield session
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise ServiceError(f"audit database error ({self._safe_url()}): {reason(exc)}") from None

    def close(self) -> None:
        """Release the connection pool."""
        self._engine.dispose()

    def _write_retrying(self, write: Callable[[Session], T]) -> T:
        """Run ``write`` in a write transaction; retry when a concurrent writer won a unique key."""
        for attempt in range(5):
            try:
                with self._session(write=True) as s:
                    return write(s)
            except IntegrityError:
                if attempt == 4:
                    raise ServiceError(
                        "could not write to the audit database: too many concurrent writers"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def get_clinic(self, clinic_id: int) -> Clinic:
        """A clinic by id (with the expiry of its newest invitation)."""
        with self._session() as s:
            row = self._clinic_row(s, clinic_id)
            return clinic_model(row, self._latest_expiry(s, clinic_id))

    @staticmethod
    def _clinic_row(s: Session, clinic_id: int) -> ClinicRow:
        row = s.get(ClinicRow, clinic_id)
        if row is None:
            raise ClinicNotFoundError(clinic_id)
        return row

    @staticmethod
    def _latest_expiry(s: Session, clinic_id: int) -> datetime | None:
        return s.scalar(
            select(func.max(InvitationRow.expires_at)).where(InvitationRow.clinic_id == clinic_id)
        )
