"""``sectool audit serve``: configuration errors and what it hands to uvicorn."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI

from sectool.cli import main
from sectool.practice_audit.web.cli import ADMIN_TOKEN_ENV, TokenRedactingFilter, redact_path


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, f"{ADMIN_TOKEN_ENV} is not set"), ("short", f"{ADMIN_TOKEN_ENV} is too short (5 characters)")],
)
def test_serve_refuses_without_a_good_admin_secret(monkeypatch, capsys, value, message) -> None:
    if value is None:
        monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)
    else:
        monkeypatch.setenv(ADMIN_TOKEN_ENV, value)
    code = main(["audit", "serve", "--db", "sqlite://"])
    assert code == 2
    text = capsys.readouterr().err
    assert message in text
    assert "Traceback" not in text


def test_serve_rejects_a_bad_base_url(monkeypatch, capsys) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "a" * 32)
    assert main(["audit", "serve", "--db", "sqlite://", "--base-url", "javascript:alert(1)"]) == 2
    assert "not an http(s) base URL" in capsys.readouterr().err


def test_serve_builds_the_app_and_runs_uvicorn(monkeypatch, tmp_path, capsys) -> None:
    import uvicorn

    calls: list[dict] = []

    def fake_run(app, **kwargs):
        calls.append({"app": app, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "a" * 32)
    db = tmp_path / "audit.sqlite"
    code = main(["audit", "serve", "--db", f"sqlite:///{db}", "--host", "127.0.0.1", "--port", "8123"])
    assert code == 0
    assert len(calls) == 1
    assert isinstance(calls[0]["app"], FastAPI)
    assert calls[0]["host"] == "127.0.0.1"
    assert calls[0]["port"] == 8123
    assert db.exists()
    assert "http://127.0.0.1:8123" in capsys.readouterr().err


def test_bad_port_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "a" * 32)
    assert main(["audit", "serve", "--port", "70000"]) == 2


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/c/abcDEF_-123/result?v=1", "/c/[token]/result?v=1"),
        ("/c/abc", "/c/[token]"),
        ("/c/abc?lang=en", "/c/[token]?lang=en"),
        ("/admin", "/admin"),
        ("/static/c/x", "/static/c/x"),
    ],
)
def test_tokens_are_redacted_from_access_logs(path, expected) -> None:
    assert redact_path(path) == expected
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4", "GET", path, "1.1", 200),
        None,
    )
    assert TokenRedactingFilter().filter(record)
    assert record.getMessage() == f'1.2.3.4 - "GET {expected} HTTP/1.1" 200'


def test_base_url_from_the_environment_is_validated(monkeypatch, capsys) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "a" * 32)
    monkeypatch.setenv("SECTOOL_AUDIT_BASE_URL", "ftp://audit.example.dk")
    assert main(["audit", "serve", "--db", "sqlite://"]) == 2
    assert "not an http(s) base URL" in capsys.readouterr().err


def test_unknown_time_zone_is_refused(monkeypatch, capsys) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "a" * 32)
    assert main(["audit", "serve", "--db", "sqlite://", "--timezone", "Mars/Olympus"]) == 2
    err = capsys.readouterr().err
    assert "field '--timezone': unknown time zone" in err
    assert "Mars/Olympus" in err


@pytest.mark.parametrize(
    ("args", "forwarded"),
    [
        ([], None),
        (["--proxy-headers"], "127.0.0.1"),
        (["--proxy-headers", "--trusted-proxy", "10.0.0.0/8,192.0.2.7"], "10.0.0.0/8,192.0.2.7"),
    ],
)
def test_proxy_headers_trust_only_the_named_proxies(monkeypatch, tmp_path, args, forwarded) -> None:
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "a" * 32)
    assert main(["audit", "serve", "--db", f"sqlite:///{tmp_path / 'a.sqlite'}", *args]) == 0
    assert calls[0]["proxy_headers"] is bool(args)
    assert calls[0]["forwarded_allow_ips"] == forwarded


def test_bad_trusted_proxy_is_refused(monkeypatch, capsys) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "a" * 32)
    assert (
        main(["audit", "serve", "--db", "sqlite://", "--proxy-headers", "--trusted-proxy", "10.0.0.0/8,*"])
        == 2
    )
    err = capsys.readouterr().err
    assert "field '--trusted-proxy': not an IP address or network (got '*')" in err
