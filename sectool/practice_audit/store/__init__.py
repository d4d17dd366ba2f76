"""Storage of clinics, invitations, drafts and immutable submissions (SQLAlchemy 2.0).

The default database is a SQLite file (``$SECTOOL_AUDIT_DB`` or ``./.sectool/audit.sqlite``);
any SQLAlchemy URL works the same (``postgresql+psycopg://...``). Every public method
opens its own short session, so one :class:`Store` may be shared by threads (the web
server's worker pool). SQLite runs in WAL mode with a busy timeout, and writes start
with ``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing.

Clinics are keyed by their provider number: inviting the same clinic again issues a new
token for the same clinic, so its history continues year on year. A re-invitation or an
import that would change the clinic's name or size is refused unless ``update=True``
(:class:`~sectool.practice_audit.errors.ClinicChangeError`), so a mistyped provider number
cannot rename another clinic. Submissions are never updated or deleted; each gets the next
version number of its clinic and records the size it was scored for.

Modules: :mod:`.schema` (tables), :mod:`.engine` (URLs, SQLite tuning), :mod:`.base`
(sessions), :mod:`.clinics`, :mod:`.submissions`, :mod:`.admin` (list and export),
:mod:`.convert` (rows to models).
"""

from __future__ import annotations

from .admin import AdminMixin
from .clinics import ClinicsMixin
from .engine import DB_ENV, DEFAULT_DB_PATH, default_url
from .submissions import SubmissionsMixin

__all__ = ["DB_ENV", "DEFAULT_DB_PATH", "Store", "default_url"]


class Store(ClinicsMixin, SubmissionsMixin, AdminMixin):
    """The self-assessment database. Thread-safe; every method runs in its own transaction.

    Args:
        url: SQLAlchemy URL; ``None`` uses :func:`default_url`.
        bank: the question bank used to score submissions (default: the packaged bank).
        secret: pepper for token hashes (default: ``$SECTOOL_AUDIT_SECRET``, read per call).
    """
