"""Clinics and their invitations: create, re-invite, look up by token, revoke."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sectool.errors import InputError

from ..errors import ClinicChangeError, ExpiredTokenError, InvalidTokenError
from ..models import Clinic, ClinicSize
from ..tokens import generate_token, hash_token, looks_like_token, tokens_match
from .base import StoreBase
from .convert import clinic_model, probe
from .engine import require_aware
from .schema import ClinicRow, InvitationRow

__all__ = ["ClinicsMixin"]


class ClinicsMixin(StoreBase):
    """Clinic and invitation operations of the store."""

    def create_invitation(
        self,
        *,
        clinic_name: str,
        provider_number: str,
        size: ClinicSize | str,
        expires_at: datetime,
        now: datetime,
        update: bool = False,
    ) -> tuple[Clinic, str]:
        """Invite a clinic (created, or re-invited by provider number) and return ``(clinic, token)``.

        The plaintext token is returned only here; the database keeps its hash. Earlier
        invitations of the clinic stay valid until they expire or are revoked
        (:meth:`open_invitations` lists them).

        Raises:
            ClinicChangeError: the provider number belongs to a clinic with another name or
                size and ``update`` is false.
        """
        now = require_aware(now)
        expires_at = require_aware(expires_at)
        if expires_at <= now:
            raise InputError("the invitation must expire in the future", field="expires_at")
        size = ClinicSize(size)
        # Validate name and provider number before touching the database.
        wanted = probe(clinic_name, provider_number, size, now)
        token = generate_token()
        token_hash = hash_token(token, self._secret)

        def write(s: Session) -> Clinic:
            row = self._upsert_clinic(s, wanted, invited_at=now, update=update)
            s.add(
                InvitationRow(clinic_id=row.id, token_hash=token_hash, created_at=now, expires_at=expires_at)
            )
            return clinic_model(row, expires_at)

        clinic = self._write_retrying(write)
        return clinic, token

    def ensure_clinic(
        self,
        *,
        clinic_name: str,
        provider_number: str,
        size: ClinicSize | str,
        now: datetime,
        update: bool = False,
    ) -> Clinic:
        """The clinic with ``provider_number``, created if new, without a token.

        Used by ``sectool audit import`` for answers that arrive on paper or by file.

        Raises:
            ClinicChangeError: the clinic exists with another name or size and ``update`` is false.
        """
        now = require_aware(now)
        size = ClinicSize(size)
        wanted = probe(clinic_name, provider_number, size, now)

        def write(s: Session) -> Clinic:
            row = self._upsert_clinic(s, wanted, invited_at=None, update=update)
            return clinic_model(row, self._latest_expiry(s, row.id))

        return self._write_retrying(write)

    @staticmethod
    def _upsert_clinic(s: Session, wanted: Clinic, *, invited_at: datetime | None, update: bool) -> ClinicRow:
        """Create the clinic, or change name and size only when ``update`` confirms it."""
        row = s.scalar(select(ClinicRow).where(ClinicRow.provider_number == wanted.provider_number))
        if row is None:
            row = ClinicRow(
                name=wanted.name,
                provider_number=wanted.provider_number,
                size=wanted.size.value,
                invited_at=invited_at or wanted.invited_at,
            )
            s.add(row)
        else:
            if (row.name, row.size) != (wanted.name, wanted.size.value):
                if not update:
                    raise ClinicChangeError(
                        row.provider_number, (row.name, row.size), (wanted.name, wanted.size.value)
                    )
                row.name, row.size = wanted.name, wanted.size.value
            if invited_at is not None:
                row.invited_at = invited_at
        s.flush()
        return row

    def open_invitations(self, clinic_id: int, *, now: datetime) -> list[datetime]:
        """Expiry times of the clinic's invitations that are still valid at ``now``, soonest first."""
        now = require_aware(now)
        with self._session() as s:
            self._clinic_row(s, clinic_id)
            return list(
                s.scalars(
                    select(InvitationRow.expires_at)
                    .where(InvitationRow.clinic_id == clinic_id, InvitationRow.expires_at > now)
                    .order_by(InvitationRow.expires_at)
                )
            )

    def clinic_for_token(self, token: str, *, now: datetime) -> Clinic:
        """The clinic an invitation token belongs to.

        Raises:
            InvalidTokenError: unknown, malformed or tampered token.
            ExpiredTokenError: the invitation has expired.
        """
        now = require_aware(now)
        if not isinstance(token, str) or not looks_like_token(token):
            raise InvalidTokenError()
        digest = hash_token(token, self._secret)
        with self._session() as s:
            inv = s.scalar(select(InvitationRow).where(InvitationRow.token_hash == digest))
            if inv is None or not tokens_match(inv.token_hash, token, self._secret):
                raise InvalidTokenError()
            if now >= inv.expires_at:
                raise ExpiredTokenError()
            row = s.get(ClinicRow, inv.clinic_id)
            if row is None:  # pragma: no cover - foreign key makes this impossible
                raise InvalidTokenError()
            return clinic_model(row, inv.expires_at)

    def revoke_invitations(self, clinic_id: int, *, now: datetime) -> int:
        """End every still-valid invitation of the clinic (e.g. a link was sent to the wrong place).

        Returns how many invitations were ended; their tokens then raise :class:`ExpiredTokenError`.
        """
        now = require_aware(now)
        with self._session(write=True) as s:
            self._clinic_row(s, clinic_id)
            rows = s.scalars(
                select(InvitationRow).where(
                    InvitationRow.clinic_id == clinic_id, InvitationRow.expires_at > now
                )
            ).all()
            for inv in rows:
                inv.expires_at = now
            return len(rows)

    def clinic_by_provider_number(self, provider_number: str) -> Clinic | None:
        """A clinic by provider number, or ``None``."""
        with self._session() as s:
            row = s.scalar(select(ClinicRow).where(ClinicRow.provider_number == provider_number.strip()))
            return None if row is None else clinic_model(row, self._latest_expiry(s, row.id))
