"""Security-officer authentication: the admin secret, signed session cookies, login throttling.

The admin secret comes from the environment (``SECTOOL_AUDIT_ADMIN_TOKEN``) and is
never put in a URL. The JSON API takes it as ``Authorization: Bearer``; the HTML view
has a login form that sets an HttpOnly, SameSite=Strict cookie holding a signed,
expiring session id (not the secret). Every comparison is constant-time.

The session key mixes the admin secret with a random value drawn when the process starts,
so a restart really ends every session (including ones logged out before the restart, whose
revocation lived only in memory). With several worker processes each has its own key: run
``sectool audit serve`` as one process (it does), or officers would be logged out at random.

Failed admin logins (form and API bearer) are throttled per client address in a bounded,
least-recently-used table, so a flood of addresses cannot grow memory without limit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["MIN_SECRET_LENGTH", "SESSION_COOKIE", "AdminAuth", "LoginThrottle", "derive_key"]

SESSION_COOKIE = "sectool_admin"
MIN_SECRET_LENGTH = 16


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte subkey of ``secret`` for one purpose (so sessions and CSRF never share a key)."""
    return hmac.new(secret.encode(), f"sectool-audit-web|{purpose}".encode(), hashlib.sha256).digest()


class AdminAuth:
    """Check the admin secret and issue/verify session cookies.

    Args:
        secret: the admin secret (at least :data:`MIN_SECRET_LENGTH` characters).
        now: clock returning an aware datetime.
        session_hours: how long a login lasts.
    """

    def __init__(self, secret: str, *, now: Callable[[], datetime], session_hours: float = 8) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the admin secret must be at least {MIN_SECRET_LENGTH} characters")
        self._secret = secret.encode()
        # Per-process randomness: cookies from an earlier run (and their revocations) die with it.
        self._key = hmac.new(
            derive_key(secret, "admin-session"), secrets.token_bytes(32), hashlib.sha256
        ).digest()
        self._now = now
        self.lifetime = timedelta(hours=session_hours)
        self._revoked: set[str] = set()
        self._lock = threading.Lock()

    def check_secret(self, candidate: str | None) -> bool:
        """Constant-time comparison of ``candidate`` with the admin secret."""
        if not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self._secret)

    def check_bearer(self, authorization: str | None) -> bool:
        """True for an ``Authorization: Bearer <admin secret>`` header."""
        if not authorization:
            return False
        scheme, _, value = authorization.partition(" ")
        return scheme.lower() == "bearer" and self.check_secret(value.strip())

    def new_session(self) -> str:
        """A cookie value: ``<issued epoch>.<session id>.<mac>``."""
        issued = int(self._now().timestamp())
        sid = secrets.token_urlsafe(18)
        return f"{issued}.{sid}.{self._mac(issued, sid)}"

    def session_id(self, cookie: str | None) -> str | None:
        """The session id of a valid, unexpired, unrevoked cookie; else None."""
        if not cookie or len(cookie) > 200:
            return None
        parts = cookie.split(".")
        if len(parts) != 3 or not (parts[0].isascii() and parts[0].isdecimal()):
            return None
        issued, sid, mac = int(parts[0]), parts[1], parts[2]
        if not hmac.compare_digest(mac.encode(), self._mac(issued, sid).encode()):
            return None
        age = self._now().timestamp() - issued
        if age < -60 or age > self.lifetime.total_seconds():
            return None
        with self._lock:
            if sid in self._revoked:
                return None
        return sid

    def revoke(self, sid: str) -> None:
        """Log a session out (kept in memory; a restart changes the key and ends every session)."""
        with self._lock:
            self._revoked.add(sid)

    def _mac(self, issued: int, sid: str) -> str:
        return hmac.new(self._key, f"{issued}|{sid}".encode(), hashlib.sha256).hexdigest()


class LoginThrottle:
    """Refuse logins from a client after ``limit`` failures within ``window``.

    The table holds at most ``max_clients`` addresses; the least recently seen is dropped
    first. Behind a reverse proxy every request comes from the proxy's address, so one
    attacker would lock every officer out: start the server with ``--proxy-headers`` so the
    client address is the one the proxy forwards (see docs/practice-audit.md).
    """

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        limit: int = 10,
        window: timedelta = timedelta(minutes=15),
        max_clients: int = 10_000,
    ) -> None:
        self._now = now
        self._limit = limit
        self._window = window
        self._max_clients = max_clients
        self._failures: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def window_seconds(self) -> int:
        """How long failures count (for a ``Retry-After`` header)."""
        return int(self._window.total_seconds())

    def __len__(self) -> int:
        with self._lock:
            return len(self._failures)

    def blocked(self, client: str) -> bool:
        with self._lock:
            # Only failures create an entry: checking must not grow the table.
            return client in self._failures and len(self._recent(client)) >= self._limit

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self._now())

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str) -> deque[datetime]:
        times = self._failures.get(client)
        if times is None:
            times = self._failures[client] = deque()
            while len(self._failures) > self._max_clients:
                self._failures.popitem(last=False)
        else:
            self._failures.move_to_end(client)
        cutoff = self._now() - self._window
        while times and times[0] < cutoff:
            times.popleft()
        return times
