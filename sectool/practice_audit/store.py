"""Storage of clinics, invitations, drafts and immutable submissions (SQLAlchemy 2.0).

The default database is a SQLite file (``$SECTOOL_AUDIT_DB`` or ``./.sectool/audit.sqlite``);
any SQLAlchemy URL works the same (``postgresql+psycopg://...``). Every public method
opens its own short session, so one :class:`Store` may be shared by threads (the web
server's worker pool). SQLite runs in WAL mode with a busy timeout, and writes start
with ``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing.

Clinics are keyed by their provider number: inviting the same clinic again issues a new
token for the same clinic, so its history continues year on year. Submissions are never
updated or deleted; each gets the next version number of its clinic.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import (
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from sectool.errors import InputError, ServiceError
from sectool.yamlio import validation_error

from .bank import load_bank
from .errors import AnswersError, ClinicNotFoundError, ExpiredTokenError, InvalidTokenError
from .models import (
    Answers,
    Clinic,
    ClinicSize,
    ClinicSummary,
    QuestionBank,
    Result,
    Status,
    Submission,
)
from .scoring import check_answers, score
from .tokens import generate_token, hash_token, looks_like_token, tokens_match

__all__ = ["DB_ENV", "DEFAULT_DB_PATH", "Store", "default_url"]

DB_ENV = "SECTOOL_AUDIT_DB"
DEFAULT_DB_PATH = Path(".sectool") / "audit.sqlite"
_BUSY_TIMEOUT_MS = 30_000
_WRITE = "sectool_write"
T = TypeVar("T")


def default_url() -> str:
    """``$SECTOOL_AUDIT_DB`` (a URL or a file path) or the SQLite file ``./.sectool/audit.sqlite``."""
    value = os.environ.get(DB_ENV, "").strip()
    if not value:
        return f"sqlite:///{DEFAULT_DB_PATH}"
    return value if "://" in value else f"sqlite:///{value}"


class _UTCDateTime(TypeDecorator[datetime]):
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


class _Base(DeclarativeBase):
    pass


class _ClinicRow(_Base):
    __tablename__ = "audit_clinics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    provider_number: Mapped[str] = mapped_column(String(20), unique=True)
    size: Mapped[str] = mapped_column(String(20))
    invited_at: Mapped[datetime] = mapped_column(_UTCDateTime())


class _InvitationRow(_Base):
    __tablename__ = "audit_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("audit_clinics.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(_UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(_UTCDateTime())


class _DraftRow(_Base):
    __tablename__ = "audit_drafts"

    clinic_id: Mapped[int] = mapped_column(ForeignKey("audit_clinics.id"), primary_key=True)
    answers_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(_UTCDateTime())


class _SubmissionRow(_Base):
    __tablename__ = "audit_submissions"
    __table_args__ = (UniqueConstraint("clinic_id", "version", name="uq_audit_submission_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("audit_clinics.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(_UTCDateTime())
    size: Mapped[str] = mapped_column(String(20))
    bank_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    maturity: Mapped[int] = mapped_column(Integer)
    overall_percent: Mapped[float]
    answers_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)


@event.listens_for(_SubmissionRow, "before_update")
def _immutable(mapper: Any, connection: Any, target: _SubmissionRow) -> None:
    raise RuntimeError("submissions are immutable")


@event.listens_for(_SubmissionRow, "before_delete")
def _undeletable(mapper: Any, connection: Any, target: _SubmissionRow) -> None:
    raise RuntimeError("submissions are immutable")


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's own message, without SQLAlchemy's statement dump and background link."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return " ".join(text.split())[:300]


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


class Store:
    """The self-assessment database. Thread-safe; every method runs in its own transaction.

    Args:
        url: SQLAlchemy URL; ``None`` uses :func:`default_url`.
        bank: the question bank used to score submissions (default: the packaged bank).
        secret: pepper for token hashes (default: ``$SECTOOL_AUDIT_SECRET``, read per call).
    """

    def __init__(
        self, url: str | None = None, *, bank: QuestionBank | None = None, secret: str | None = None
    ) -> None:
        self.url = url or default_url()
        self.bank = bank or load_bank()
        self._secret = secret
        self._engine = self._make_engine(self.url)
        self._read = sessionmaker(self._engine, expire_on_commit=False)
        self._write = sessionmaker(self._engine.execution_options(**{_WRITE: True}), expire_on_commit=False)
        try:
            _Base.metadata.create_all(self._engine)
        except SQLAlchemyError as exc:
            raise ServiceError(f"cannot open the audit database {self._safe_url()}: {_reason(exc)}") from None

    # -- engine ---------------------------------------------------------------------------------

    def _safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @staticmethod
    def _make_engine(url: str) -> Engine:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise InputError("not a database URL", field="db", value=url) from None
        if parsed.get_backend_name() != "sqlite":
            try:
                return create_engine(url, pool_pre_ping=True)
            except (ImportError, ArgumentError) as exc:
                raise InputError(
                    f"cannot use this database URL: {exc}",
                    field="db",
                    value=parsed.render_as_string(hide_password=True),
                    expected="sqlite:///FILE or postgresql+psycopg://... (with psycopg installed)",
                ) from None
        db = parsed.database
        if not db or db == ":memory:":
            raise InputError(
                "an in-memory SQLite database cannot be shared; use a file",
                field="db",
                value=url,
                expected="sqlite:///path/to/file.sqlite",
            )
        try:
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create the database folder: {exc.strerror}", field="db", value=db
            ) from None
        engine = create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            # Take over transaction control from the sqlite3 module so BEGIN IMMEDIATE works.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            write = conn.get_execution_options().get(_WRITE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    @contextmanager
    def _session(self, *, write: bool = False) -> Iterator[Session]:
        maker = self._write if write else self._read
        try:
            with maker() as session, session.begin():
                yield session
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise ServiceError(f"audit database error ({self._safe_url()}): {_reason(exc)}") from None

    def close(self) -> None:
        """Release the connection pool."""
        self._engine.dispose()

    # -- clinics and invitations ----------------------------------------------------------------

    def create_invitation(
        self,
        *,
        clinic_name: str,
        provider_number: str,
        size: ClinicSize | str,
        expires_at: datetime,
        now: datetime,
    ) -> tuple[Clinic, str]:
        """Invite a clinic (created, or updated by provider number) and return ``(clinic, token)``.

        The plaintext token is returned only here; the database keeps its hash.
        """
        now = _require_aware(now)
        expires_at = _require_aware(expires_at)
        if expires_at <= now:
            raise InputError("the invitation must expire in the future", field="expires_at")
        size = ClinicSize(size)
        # Validate name and provider number before touching the database.
        probe = _probe(clinic_name, provider_number, size, now)
        token = generate_token()
        token_hash = hash_token(token, self._secret)

        def write(s: Session) -> Clinic:
            row = self._upsert_clinic(s, probe, invited_at=now)
            s.add(
                _InvitationRow(clinic_id=row.id, token_hash=token_hash, created_at=now, expires_at=expires_at)
            )
            return _clinic(row, expires_at)

        clinic = self._write_retrying(write)
        return clinic, token

    def ensure_clinic(
        self, *, clinic_name: str, provider_number: str, size: ClinicSize | str, now: datetime
    ) -> Clinic:
        """The clinic with ``provider_number``, created if new (name and size updated), without a token.

        Used by ``sectool audit import`` for answers that arrive on paper or by file.
        """
        now = _require_aware(now)
        size = ClinicSize(size)
        probe = _probe(clinic_name, provider_number, size, now)

        def write(s: Session) -> Clinic:
            row = self._upsert_clinic(s, probe, invited_at=None)
            return _clinic(row, self._latest_expiry(s, row.id))

        return self._write_retrying(write)

    @staticmethod
    def _upsert_clinic(s: Session, probe: Clinic, *, invited_at: datetime | None) -> _ClinicRow:
        """Create or update the clinic with the probe's provider number (name and size follow the probe)."""
        row = s.scalar(select(_ClinicRow).where(_ClinicRow.provider_number == probe.provider_number))
        if row is None:
            row = _ClinicRow(
                name=probe.name,
                provider_number=probe.provider_number,
                size=probe.size.value,
                invited_at=invited_at or probe.invited_at,
            )
            s.add(row)
        else:
            row.name, row.size = probe.name, probe.size.value
            if invited_at is not None:
                row.invited_at = invited_at
        s.flush()
        return row

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

    def clinic_for_token(self, token: str, *, now: datetime) -> Clinic:
        """The clinic an invitation token belongs to.

        Raises:
            InvalidTokenError: unknown, malformed or tampered token.
            ExpiredTokenError: the invitation has expired.
        """
        now = _require_aware(now)
        if not isinstance(token, str) or not looks_like_token(token):
            raise InvalidTokenError()
        digest = hash_token(token, self._secret)
        with self._session() as s:
            inv = s.scalar(select(_InvitationRow).where(_InvitationRow.token_hash == digest))
            if inv is None or not tokens_match(inv.token_hash, token, self._secret):
                raise InvalidTokenError()
            if now >= inv.expires_at:
                raise ExpiredTokenError()
            row = s.get(_ClinicRow, inv.clinic_id)
            if row is None:  # pragma: no cover - foreign key makes this impossible
                raise InvalidTokenError()
            return _clinic(row, inv.expires_at)

    def revoke_invitations(self, clinic_id: int, *, now: datetime) -> int:
        """End every still-valid invitation of the clinic (e.g. a link was sent to the wrong place).

        Returns how many invitations were ended; their tokens then raise :class:`ExpiredTokenError`.
        """
        now = _require_aware(now)
        with self._session(write=True) as s:
            self._clinic_row(s, clinic_id)
            rows = s.scalars(
                select(_InvitationRow).where(
                    _InvitationRow.clinic_id == clinic_id, _InvitationRow.expires_at > now
                )
            ).all()
            for inv in rows:
                inv.expires_at = now
            return len(rows)

    def get_clinic(self, clinic_id: int) -> Clinic:
        """A clinic by id (with the expiry of its newest invitation)."""
        with self._session() as s:
            row = self._clinic_row(s, clinic_id)
            return _clinic(row, self._latest_expiry(s, clinic_id))

    def clinic_by_provider_number(self, provider_number: str) -> Clinic | None:
        """A clinic by provider number, or ``None``."""
        with self._session() as s:
            row = s.scalar(select(_ClinicRow).where(_ClinicRow.provider_number == provider_number.strip()))
            return None if row is None else _clinic(row, self._latest_expiry(s, row.id))

    @staticmethod
    def _clinic_row(s: Session, clinic_id: int) -> _ClinicRow:
        row = s.get(_ClinicRow, clinic_id)
        if row is None:
            raise ClinicNotFoundError(clinic_id)
        return row

    @staticmethod
    def _latest_expiry(s: Session, clinic_id: int) -> datetime | None:
        return s.scalar(
            select(func.max(_InvitationRow.expires_at)).where(_InvitationRow.clinic_id == clinic_id)
        )

    # -- drafts ---------------------------------------------------------------------------------

    def save_draft(self, clinic_id: int, answers: Answers, *, now: datetime) -> None:
        """Store (replace) the clinic's draft. Drafts may be incomplete or not yet consistent."""
        now = _require_aware(now)
        payload = answers.model_dump_json()
        with self._session(write=True) as s:
            self._clinic_row(s, clinic_id)
            draft = s.get(_DraftRow, clinic_id)
            if draft is None:
                s.add(_DraftRow(clinic_id=clinic_id, answers_json=payload, updated_at=now))
            else:
                draft.answers_json, draft.updated_at = payload, now

    def get_draft(self, clinic_id: int) -> Answers | None:
        """The clinic's draft, or ``None``."""
        with self._session() as s:
            self._clinic_row(s, clinic_id)
            draft = s.get(_DraftRow, clinic_id)
            return None if draft is None else Answers.model_validate_json(draft.answers_json)

    def delete_draft(self, clinic_id: int) -> None:
        """Discard the clinic's draft (no error when there is none)."""
        with self._session(write=True) as s:
            draft = s.get(_DraftRow, clinic_id)
            if draft is not None:
                s.delete(draft)

    # -- submissions ----------------------------------------------------------------------------

    def submit(self, clinic_id: int, answers: Answers, *, now: datetime) -> Submission:
        """Score and store ``answers`` as the clinic's next immutable version; clear the draft.

        Raises:
            AnswersError: problems with the answers (every must-pass question must be answered);
                nothing is stored, the draft is kept.
        """
        now = _require_aware(now)
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
        s.execute(select(_ClinicRow.id).where(_ClinicRow.id == clinic_id).with_for_update())
        last = s.scalar(select(func.max(_SubmissionRow.version)).where(_SubmissionRow.clinic_id == clinic_id))
        row = _SubmissionRow(
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
        draft = s.get(_DraftRow, clinic_id)
        if draft is not None:
            s.delete(draft)
        s.flush()
        return _submission(row)

    def submissions(self, clinic_id: int) -> list[Submission]:
        """Every submission of the clinic, oldest first."""
        with self._session() as s:
            self._clinic_row(s, clinic_id)
            rows = s.scalars(
                select(_SubmissionRow)
                .where(_SubmissionRow.clinic_id == clinic_id)
                .order_by(_SubmissionRow.version)
            )
            return [_submission(r) for r in rows]

    def latest_submission(self, clinic_id: int) -> Submission | None:
        """The newest submission of the clinic, or ``None``."""
        with self._session() as s:
            self._clinic_row(s, clinic_id)
            row = s.scalar(
                select(_SubmissionRow)
                .where(_SubmissionRow.clinic_id == clinic_id)
                .order_by(_SubmissionRow.version.desc())
                .limit(1)
            )
            return None if row is None else _submission(row)

    def previous_submission(self, clinic_id: int, version: int) -> Submission | None:
        """The submission just before ``version`` (for the year-on-year comparison), or ``None``."""
        with self._session() as s:
            row = s.scalar(
                select(_SubmissionRow)
                .where(_SubmissionRow.clinic_id == clinic_id, _SubmissionRow.version < version)
                .order_by(_SubmissionRow.version.desc())
                .limit(1)
            )
            return None if row is None else _submission(row)

    # -- admin ----------------------------------------------------------------------------------

    def list_clinics(self) -> list[ClinicSummary]:
        """Every clinic with its latest submission, ordered by name."""
        with self._session() as s:
            clinics = list(s.scalars(select(_ClinicRow).order_by(_ClinicRow.name, _ClinicRow.id)))
            expiry: dict[int, datetime] = {
                cid: exp
                for cid, exp in s.execute(
                    select(_InvitationRow.clinic_id, func.max(_InvitationRow.expires_at)).group_by(
                        _InvitationRow.clinic_id
                    )
                )
            }
            counts: dict[int, int] = {
                cid: n
                for cid, n in s.execute(
                    select(_SubmissionRow.clinic_id, func.count()).group_by(_SubmissionRow.clinic_id)
                )
            }
            latest = self._latest_rows(s)
            drafts = set(s.scalars(select(_DraftRow.clinic_id)))
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

    @staticmethod
    def _latest_rows(s: Session) -> dict[int, _SubmissionRow]:
        newest = (
            select(_SubmissionRow.clinic_id, func.max(_SubmissionRow.version).label("v"))
            .group_by(_SubmissionRow.clinic_id)
            .subquery()
        )
        rows = s.scalars(
            select(_SubmissionRow).join(
                newest,
                (_SubmissionRow.clinic_id == newest.c.clinic_id) & (_SubmissionRow.version == newest.c.v),
            )
        )
        return {r.clinic_id: r for r in rows}

    def export_columns(self) -> list[str]:
        """The column names of :meth:`export_rows`, in order (also when there are no rows)."""
        return [*_EXPORT_COLUMNS, *(f"domain_{d.id}" for d in self.bank.domains)]

    def export_rows(self, *, all_versions: bool = False) -> list[dict[str, Any]]:
        """Flat rows for the CSV/JSON admin export and the forum report.

        One row per clinic with its latest submission (clinics without one have empty
        score columns), or with ``all_versions`` one row per submission. Columns:
        ``clinic_id, clinic, provider_number, size, invited_at, version, submitted_at,
        status, maturity, overall_percent, must_pass_total, must_pass_met, must_pass_missing,
        gaps, answered, questions, bank_version`` and ``domain_<id>`` (percent or empty) per
        domain of the bank.
        """
        domain_cols = [f"domain_{d.id}" for d in self.bank.domains]
        with self._session() as s:
            clinics = {c.id: c for c in s.scalars(select(_ClinicRow))}
            if all_versions:
                subs = list(
                    s.scalars(
                        select(_SubmissionRow).order_by(_SubmissionRow.clinic_id, _SubmissionRow.version)
                    )
                )
            else:
                subs = list(self._latest_rows(s).values())
            by_clinic: dict[int, list[_SubmissionRow | None]] = {}
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
                    rows.append({**base, **_score_columns(sub, domain_cols)})
            return rows


_EXPORT_COLUMNS = (
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


def _score_columns(r: _SubmissionRow | None, domain_cols: list[str]) -> dict[str, Any]:
    empty: dict[str, Any] = {
        "version": None,
        "submitted_at": None,
        "status": None,
        "maturity": None,
        "overall_percent": None,
        "must_pass_total": None,
        "must_pass_met": None,
        "must_pass_missing": None,
        "gaps": None,
        "answered": None,
        "questions": None,
        "bank_version": None,
    }
    cols = {**empty, **dict.fromkeys(domain_cols)}
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


def _probe(name: str, provider_number: str, size: ClinicSize, now: datetime) -> Clinic:
    """Validate clinic details before anything is stored; bad details are an :class:`InputError`."""
    try:
        return Clinic(id=0, name=name, provider_number=provider_number, size=size, invited_at=now)
    except ValidationError as exc:
        raise validation_error(exc, file=None) from None


def _clinic(row: _ClinicRow, expires_at: datetime | None) -> Clinic:
    return Clinic(
        id=row.id,
        name=row.name,
        provider_number=row.provider_number,
        size=ClinicSize(row.size),
        invited_at=row.invited_at,
        token_expires_at=expires_at,
    )


def _submission(row: _SubmissionRow) -> Submission:
    return Submission(
        id=row.id,
        clinic_id=row.clinic_id,
        version=row.version,
        submitted_at=row.submitted_at,
        size=ClinicSize(row.size),
        bank_version=row.bank_version,
        answers=Answers.model_validate(json.loads(row.answers_json)),
        result=Result.model_validate_json(row.result_json),
    )
