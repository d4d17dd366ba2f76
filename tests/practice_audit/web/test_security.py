"""Security headers, body limit, CSRF and admin-auth primitives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.requests import Request

from sectool.practice_audit.models import MAX_JUSTIFICATION, MAX_OWNER
from sectool.practice_audit.web.app import body_limit, form_field_limit
from sectool.practice_audit.web.auth import AdminAuth, LoginThrottle, derive_key
from sectool.practice_audit.web.csrf import COOKIE_NAME, CsrfProtector
from sectool.practice_audit.web.security import CSP

EXPECTED_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/c/{token}"),
        ("GET", "/c/{token}/result"),
        ("GET", "/c/not-a-token"),
        ("GET", "/nope"),
        ("GET", "/admin/login"),
        ("GET", "/admin"),
        ("GET", "/static/style.css"),
        ("GET", "/api/v1/questions"),
        ("GET", "/api/v1/clinic"),
        ("GET", "/openapi.json"),
        ("POST", "/c/{token}"),
    ],
)
def test_every_response_carries_the_security_headers(web, http: httpx.Client, method, path) -> None:
    _, token = web.invite()
    r = http.request(method, path.format(token=token))
    for name, value in EXPECTED_HEADERS.items():
        assert r.headers.get(name) == value, (path, name)
    if not path.startswith("/static/"):
        assert r.headers["cache-control"] == "no-store"


def test_csp_allows_no_inline_script_or_style() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in CSP
    assert directives["frame-ancestors"] == "'none'"


def test_pages_have_no_inline_script_or_style(web, http: httpx.Client) -> None:
    _, token = web.invite()
    for path in (f"/c/{token}", "/admin/login", "/"):
        page = http.get(path).text
        assert "<style" not in page
        assert " style=" not in page
        assert "<script>" not in page
        assert " on" + "click=" not in page


def test_oversized_bodies_are_refused(web, http: httpx.Client) -> None:
    _, token = web.invite()
    limit = body_limit(web.store.bank)
    form = {"content-type": "application/x-www-form-urlencoded"}
    r = http.post(f"/c/{token}", content=b"x" * (limit + 1), headers=form)
    assert r.status_code == 413

    def chunks():
        for _ in range(limit // 1024 + 2):
            yield b"y" * 1024

    r = http.post(f"/c/{token}", content=chunks(), headers=form)
    assert r.status_code == 413


def test_the_longest_valid_form_fits_the_body_limit(web, http: httpx.Client) -> None:
    clinic, token = web.invite()
    data = {"csrf_token": web.open_form(http, token), "action": "save"}
    for q in web.questions():
        data |= {f"a:{q.id}": "no", f"j:{q.id}": "–" * MAX_JUSTIFICATION, f"o:{q.id}": "–" * MAX_OWNER}
        data[f"d:{q.id}"] = "2026-12-31"
    r = http.post(f"/c/{token}", data=data)
    assert r.status_code == 303
    draft = web.store.get_draft(clinic.id)
    assert draft is not None
    assert len(draft.answers) == len(web.questions())


def test_too_many_form_fields_are_refused(web, http: httpx.Client) -> None:
    _, token = web.invite()
    data = {"csrf_token": web.open_form(http, token), "action": "save"}
    data |= {f"x{i}": "1" for i in range(form_field_limit(web.store.bank) + 1)}
    assert http.post(f"/c/{token}", data=data).status_code == 400


def _request(cookies: dict[str, str]) -> Request:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return Request(
        {"type": "http", "method": "POST", "headers": [(b"cookie", header.encode())] if header else []}
    )


def test_csrf_token_is_bound_to_nonce_and_scope() -> None:
    csrf = CsrfProtector(b"k" * 32)
    nonce, new = csrf.nonce_for(_request({}))
    assert new
    token = csrf.token(nonce, "clinic:1")
    req = _request({COOKIE_NAME: nonce})
    assert csrf.nonce_for(req) == (nonce, False)
    assert csrf.verify(req, token, "clinic:1")
    assert not csrf.verify(req, token, "clinic:2")
    assert not csrf.verify(req, token[:-1] + ("A" if token[-1] != "A" else "B"), "clinic:1")
    assert not csrf.verify(req, "", "clinic:1")
    assert not csrf.verify(req, None, "clinic:1")
    assert not csrf.verify(_request({}), token, "clinic:1")
    other_key = CsrfProtector(b"q" * 32)
    assert not other_key.verify(req, token, "clinic:1")


@pytest.mark.parametrize("nonce", ["short", "x" * 65, "has space in it!!!", "ok;" * 8])
def test_malformed_csrf_cookies_are_replaced(nonce) -> None:
    csrf = CsrfProtector(b"k" * 32)
    fresh, new = csrf.nonce_for(_request({COOKIE_NAME: nonce}))
    assert new
    assert fresh != nonce


def test_csrf_key_must_be_long() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        CsrfProtector(b"short")


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_admin_auth_secret_and_bearer() -> None:
    auth = AdminAuth("s" * 20, now=_Clock())
    assert auth.check_secret("s" * 20)
    assert not auth.check_secret("s" * 19)
    assert not auth.check_secret(None)
    assert auth.check_bearer("Bearer " + "s" * 20)
    assert auth.check_bearer("bearer " + "s" * 20)
    assert not auth.check_bearer("Basic " + "s" * 20)
    assert not auth.check_bearer(None)
    with pytest.raises(ValueError, match="at least 16"):
        AdminAuth("short", now=_Clock())


def test_admin_sessions_expire_and_can_be_revoked() -> None:
    clock = _Clock()
    auth = AdminAuth("s" * 20, now=clock, session_hours=1)
    cookie = auth.new_session()
    sid = auth.session_id(cookie)
    assert sid
    assert AdminAuth("t" * 20, now=clock).session_id(cookie) is None  # other secret, other key
    clock.now += timedelta(minutes=59)
    assert auth.session_id(cookie) == sid
    clock.now += timedelta(minutes=2)
    assert auth.session_id(cookie) is None
    clock.now -= timedelta(minutes=30)
    auth.revoke(sid)
    assert auth.session_id(cookie) is None


def test_login_throttle_window() -> None:
    clock = _Clock()
    throttle = LoginThrottle(now=clock, limit=3, window=timedelta(minutes=10))
    for _ in range(3):
        assert not throttle.blocked("1.2.3.4")
        throttle.failed("1.2.3.4")
    assert throttle.blocked("1.2.3.4")
    assert not throttle.blocked("5.6.7.8")
    clock.now += timedelta(minutes=11)
    assert not throttle.blocked("1.2.3.4")
    throttle.failed("1.2.3.4")
    throttle.succeeded("1.2.3.4")
    assert not throttle.blocked("1.2.3.4")


def test_derived_keys_differ_per_purpose() -> None:
    assert derive_key("s" * 20, "csrf") != derive_key("s" * 20, "admin-session")
    assert len(derive_key("s" * 20, "csrf")) == 32


def test_a_restart_ends_every_session() -> None:
    # Same secret, new process (a new AdminAuth): an old cookie, logged out or not, is refused.
    clock = _Clock()
    before = AdminAuth("s" * 20, now=clock)
    cookie = before.new_session()
    assert before.session_id(cookie) is not None
    before.revoke(before.session_id(cookie) or "")
    after_restart = AdminAuth("s" * 20, now=clock)
    assert after_restart.session_id(cookie) is None
    assert after_restart.session_id(after_restart.new_session()) is not None


def test_login_throttle_table_is_bounded_and_checks_do_not_grow_it() -> None:
    clock = _Clock()
    throttle = LoginThrottle(now=clock, limit=2, max_clients=100)
    for i in range(1000):
        assert not throttle.blocked(f"10.0.{i // 256}.{i % 256}")
    assert len(throttle) == 0
    throttle.failed("victim")
    throttle.failed("victim")
    assert throttle.blocked("victim")
    for i in range(1000):
        throttle.failed(f"10.1.{i // 256}.{i % 256}")
    assert len(throttle) == 100
    # The least recently seen address was dropped first.
    assert not throttle.blocked("victim")
    throttle.failed("10.1.3.231")  # the newest address is still counted
    assert throttle.blocked("10.1.3.231")


@pytest.mark.parametrize("header", ["\u00b2", "1\u00b2", "\u00b9\u00b3"])
def test_non_ascii_content_length_is_refused_not_a_crash(header: str) -> None:
    # h11 rejects such a header itself; another ASGI server might pass it on, so the
    # middleware must not call int() on "²" (str.isdigit() is true for it).
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from sectool.practice_audit.web.security import BodyLimitMiddleware

    sent: list[dict[str, object]] = []

    async def app(scope: object, receive: object, send: object) -> None:  # pragma: no cover - must not run
        raise AssertionError("the app must not see the request")

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", header.encode("latin-1"))]}
    middleware = BodyLimitMiddleware(app, max_bytes=100)  # type: ignore[arg-type]
    # In a thread of its own: the browser tests leave an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, middleware(scope, receive, send)).result()  # type: ignore[arg-type]
    assert sent[0]["status"] == 413
