from __future__ import annotations

import hashlib
import hmac

import pytest

from sectool.practice_audit.tokens import generate_token, hash_token, looks_like_token, tokens_match


def test_tokens_are_random_and_url_safe() -> None:
    tokens = {generate_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(looks_like_token(t) for t in tokens)


def test_hash_with_and_without_pepper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECTOOL_AUDIT_SECRET", raising=False)
    token = generate_token()
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert hash_token(token, "s") == hmac.new(b"s", token.encode(), hashlib.sha256).hexdigest()
    monkeypatch.setenv("SECTOOL_AUDIT_SECRET", "s")
    assert hash_token(token) == hash_token(token, "s")
    assert tokens_match(hash_token(token), token)
    assert not tokens_match(hash_token(token), generate_token())


@pytest.mark.parametrize("bad", ["", "short", "a" * 42, "a" * 44, "a" * 42 + "=", "a" * 42 + "/", "å" * 43])
def test_shape_check_rejects(bad: str) -> None:
    assert not looks_like_token(bad)
