"""The database engine: URL handling, SQLite tuning (WAL, busy timeout, BEGIN IMMEDIATE)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from sectool.errors import InputError

__all__ = ["DB_ENV", "DEFAULT_DB_PATH", "WRITE", "default_url", "make_engine", "reason", "require_aware"]

DB_ENV = "SECTOOL_AUDIT_DB"
DEFAULT_DB_PATH = Path(".sectool") / "audit.sqlite"
_BUSY_TIMEOUT_MS = 30_000
#: Execution option that marks a write transaction (SQLite then starts with BEGIN IMMEDIATE).
WRITE = "sectool_write"


def default_url() -> str:
    """``$SECTOOL_AUDIT_DB`` (a URL or a file path) or the SQLite file ``./.sectool/audit.sqlite``."""
    value = os.environ.get(DB_ENV, "").strip()
    if not value:
        return f"sqlite:///{DEFAULT_DB_PATH}"
    return value if "://" in value else f"sqlite:///{value}"


def reason(exc: SQLAlchemyError) -> str:
    """The driver's own message, without SQLAlchemy's statement dump and background link."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return " ".join(text.split())[:300]


def require_aware(now: datetime) -> datetime:
    """``now`` in UTC; a naive datetime is a programming error."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; bad URLs and unusable SQLite paths are an :class:`InputError`."""
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
        raise InputError(f"cannot create the database folder: {exc.strerror}", field="db", value=db) from None
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
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
