"""Invitation tokens: 256 random bits, shown once, stored only as a hash.

With ``SECTOOL_AUDIT_SECRET`` set, the stored hash is HMAC-SHA256 keyed with that
server-side pepper, so a stolen database alone cannot be used to test guesses.
Without it, SHA-256 of the token is stored (256 random bits cannot be guessed, so
no slow hash is needed). Changing or removing the pepper invalidates every issued link.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets

__all__ = ["SECRET_ENV", "generate_token", "hash_token", "looks_like_token", "tokens_match"]

SECRET_ENV = "SECTOOL_AUDIT_SECRET"  # noqa: S105 - the name of a variable, not a secret
_TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def generate_token() -> str:
    """A new URL-safe token with 256 bits of randomness."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def looks_like_token(token: str) -> bool:
    """Cheap shape check before any database lookup (rejects garbage and oversized input)."""
    return bool(_TOKEN_RE.match(token))


def hash_token(token: str, secret: str | None = None) -> str:
    """Hex digest stored for ``token``; ``secret`` defaults to ``$SECTOOL_AUDIT_SECRET``."""
    pepper = secret if secret is not None else os.environ.get(SECRET_ENV)
    data = token.encode("ascii", errors="strict")
    if pepper:
        return hmac.new(pepper.encode("utf-8"), data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def tokens_match(stored_hash: str, token: str, secret: str | None = None) -> bool:
    """Constant-time comparison of a stored hash with the hash of a presented token."""
    return hmac.compare_digest(stored_hash, hash_token(token, secret))
