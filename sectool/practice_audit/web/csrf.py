"""CSRF protection for every HTML form: a signed double-submit token bound to a scope.

The browser holds a random nonce in a cookie; each form carries
``HMAC(key, scope | nonce)``. A forged cross-site POST has neither the cookie value
(the attacker cannot read it) nor the key, so it cannot produce the field. The scope
binds the token to one clinic (or to the admin session), so a token lifted from one
clinic's page is useless on another's. Comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["COOKIE_NAME", "FIELD_NAME", "CsrfProtector"]

COOKIE_NAME = "sectool_csrf"
FIELD_NAME = "csrf_token"
_NONCE_BYTES = 32
_MAX_NONCE_LEN = 64


class CsrfProtector:
    """Issue and verify CSRF tokens.

    Args:
        key: secret signing key (at least 32 bytes).
        secure_cookie: mark the nonce cookie ``Secure`` (serve over HTTPS).
    """

    def __init__(self, key: bytes, *, secure_cookie: bool = False) -> None:
        if len(key) < 32:
            raise ValueError("CSRF key must be at least 32 bytes")
        self._key = key
        self._secure = secure_cookie

    def nonce_for(self, request: Request) -> tuple[str, bool]:
        """The request's nonce and whether it is new (then :meth:`set_cookie` must be called)."""
        current = request.cookies.get(COOKIE_NAME, "")
        if _well_formed(current):
            return current, False
        return secrets.token_urlsafe(_NONCE_BYTES), True

    def token(self, nonce: str, scope: str) -> str:
        """The form field value for ``nonce`` in ``scope``."""
        mac = hmac.new(self._key, f"csrf|{scope}|{nonce}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def set_cookie(self, response: Response, nonce: str) -> None:
        # Lax (not Strict): a clinic arrives from a link in an e-mail, a cross-site navigation;
        # with Strict the cookie would be withheld on that first GET and replaced needlessly.
        response.set_cookie(COOKIE_NAME, nonce, httponly=True, samesite="lax", secure=self._secure, path="/")

    def verify(self, request: Request, submitted: str | None, scope: str) -> bool:
        """True when ``submitted`` is the token of the request's cookie nonce in ``scope``."""
        nonce = request.cookies.get(COOKIE_NAME, "")
        if not submitted or not _well_formed(nonce) or len(submitted) > 128:
            return False
        return hmac.compare_digest(self.token(nonce, scope).encode(), submitted.encode())


def _well_formed(nonce: str) -> bool:
    return 16 <= len(nonce) <= _MAX_NONCE_LEN and all(c.isalnum() or c in "-_" for c in nonce)
