"""The app factory: ``create_app(store, admin_secret=...)`` returns the FastAPI application.

Everything the routes need (store, question bank, clock, keys, templates) lives in one
:class:`WebContext` on ``app.state.ctx``; nothing is read from globals or the
environment here, so tests build as many independent apps as they like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from sectool import __version__
from sectool.practice_audit.errors import ExpiredTokenError, TokenError
from sectool.practice_audit.models import MAX_JUSTIFICATION, MAX_OWNER, Lang, QuestionBank
from sectool.practice_audit.store import Store
from sectool.practice_audit.web.auth import AdminAuth, LoginThrottle, derive_key
from sectool.practice_audit.web.csrf import CsrfProtector
from sectool.practice_audit.web.i18n import LANGS, Translator, pick_lang
from sectool.practice_audit.web.security import BodyLimitMiddleware, SecurityHeadersMiddleware

__all__ = ["LANG_COOKIE", "WebContext", "body_limit", "create_app", "form_field_limit", "render"]

LANG_COOKIE = "sectool_lang"
_HERE = Path(__file__).parent
_FIELDS_PER_QUESTION = 4  # answer, justification, owner, due date


def body_limit(bank: QuestionBank) -> int:
    """Largest request body a complete, valid form can need, plus headroom.

    Every question at its longest text, every character a 3-byte UTF-8 character
    percent-encoded to 9 bytes (``%E2%80%93``), plus field names; at least 256 KiB.
    """
    per_question = (MAX_JUSTIFICATION + MAX_OWNER + 10) * 9 + 4 * 80
    return max(256 * 1024, len(bank.questions) * per_question + 16 * 1024)


def form_field_limit(bank: QuestionBank) -> int:
    """Most form fields a clinic form has (the rest is refused by the form parser)."""
    return len(bank.questions) * _FIELDS_PER_QUESTION + 20


@dataclass
class WebContext:
    """What every route needs; one per app."""

    store: Store
    bank: QuestionBank
    auth: AdminAuth
    throttle: LoginThrottle
    csrf: CsrfProtector
    templates: jinja2.Environment
    now: Callable[[], datetime]
    tz: ZoneInfo
    secure_cookies: bool
    base_url: str | None
    invite_days: int


def create_app(
    store: Store,
    *,
    admin_secret: str,
    now: Callable[[], datetime] | None = None,
    timezone: str | None = None,
    secure_cookies: bool = False,
    base_url: str | None = None,
    invite_days: int = 30,
) -> FastAPI:
    """Build the clinic web app.

    Args:
        store: the self-assessment store (its question bank is the one served).
        admin_secret: the security officers' secret (``SECTOOL_AUDIT_ADMIN_TOKEN``), at
            least 16 characters; CSRF and session keys are derived from it.
        now: clock returning an aware datetime (default: UTC now).
        timezone: IANA zone for times shown to people (default Europe/Copenhagen, or UTC
            where the system has no time zone data).
        secure_cookies: mark cookies ``Secure`` and send HSTS (serve over HTTPS).
        base_url: base URL for invitation links created in the admin view
            (default: the URL the request came in on).
        invite_days: default validity of invitations created in the admin view.
    """
    clock = now or (lambda: datetime.now(UTC))
    if timezone is not None:
        tz = ZoneInfo(timezone)  # a wrong explicit zone is the caller's error
    else:
        try:
            tz = ZoneInfo("Europe/Copenhagen")
        except ZoneInfoNotFoundError:
            tz = ZoneInfo("UTC")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    ctx = WebContext(
        store=store,
        bank=store.bank,
        auth=AdminAuth(admin_secret, now=clock),
        throttle=LoginThrottle(now=clock),
        csrf=CsrfProtector(derive_key(admin_secret, "csrf"), secure_cookie=secure_cookies),
        templates=env,
        now=clock,
        tz=tz,
        secure_cookies=secure_cookies,
        base_url=base_url.rstrip("/") if base_url else None,
        invite_days=invite_days,
    )
    app = FastAPI(
        title="sectool practice audit",
        version=__version__,
        summary="GP-clinic security self-assessment: clinic and security-officer API.",
        docs_url=None,  # Swagger UI needs inline scripts and a CDN; /openapi.json is served
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ctx = ctx
    app.add_middleware(BodyLimitMiddleware, max_bytes=body_limit(store.bank))
    app.add_middleware(SecurityHeadersMiddleware, hsts=secure_cookies)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")

    from sectool.practice_audit.web import admin_pages, api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(admin_pages.router)
    _install_error_handlers(app)
    return app


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def request_lang(request: Request) -> Lang:
    """Query ``?lang=`` first, then the language cookie, else Danish."""
    lang = pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))
    return "en" if lang == "en" else "da"


def with_lang(url: str, lang: str) -> str:
    """``url`` with ``lang`` added to its query (keeps the language without cookies)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}{urlencode({'lang': lang})}"


def _lang_links(request: Request) -> list[tuple[str, str]]:
    params = {k: v for k, v in request.query_params.items() if k not in {"lang", "saved"}}
    links = []
    for code in LANGS:
        query = urlencode({**params, "lang": code})
        links.append((code, f"{request.url.path}?{query}"))
    return links


def render(
    request: Request,
    template: str,
    values: dict[str, Any],
    *,
    status: int = 200,
    csrf_scope: str | None = None,
) -> HTMLResponse:
    """Render ``template`` in the request's language, with a CSRF token for ``csrf_scope``."""
    ctx = context(request)
    lang = request_lang(request)
    nonce, new_nonce = ctx.csrf.nonce_for(request)
    page = {
        **values,
        "t": Translator(lang),
        "lang": lang,
        "lang_links": _lang_links(request),
        "static_url": "/static",
        "csrf_token": ctx.csrf.token(nonce, csrf_scope) if csrf_scope else "",
    }
    response = HTMLResponse(ctx.templates.get_template(template).render(page), status_code=status)
    if csrf_scope and new_nonce:
        ctx.csrf.set_cookie(response, nonce)
    query_lang = request.query_params.get("lang")
    if query_lang in LANGS and request.cookies.get(LANG_COOKIE) != query_lang:
        response.set_cookie(
            LANG_COOKIE, query_lang, max_age=365 * 24 * 3600, samesite="lax", secure=ctx.secure_cookies
        )
    return response


def error_page(request: Request, status: int, heading_key: str, text_key: str) -> HTMLResponse:
    t = Translator(request_lang(request))
    return render(
        request,
        "error.html",
        {"heading": t(heading_key), "text": t(text_key), "back_url": None},
        status=status,
    )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TokenError)
    async def _token_error(request: Request, exc: Exception) -> Response:
        # One clear page, no data: never say which clinic a token was meant for.
        expired = isinstance(exc, ExpiredTokenError)
        status = 410 if expired else 403
        if _is_api(request):
            return JSONResponse(
                {"detail": str(exc), "code": "token_expired" if expired else "token_invalid"},
                status_code=status,
            )
        if expired:
            return error_page(request, status, "error.expired_link", "error.expired_link_text")
        return error_page(request, status, "error.invalid_link", "error.invalid_link_text")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if _is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        if exc.status_code == 404:
            return error_page(request, 404, "error.not_found", "error.not_found_text")
        if exc.status_code == 403:
            return error_page(request, 403, "error.csrf", "error.csrf_text")
        return error_page(request, exc.status_code, "error.title", "error.generic_text")

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if _is_api(request):
            errors = [
                {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                for e in exc.errors()
            ]
            return JSONResponse({"detail": errors}, status_code=422)
        return error_page(request, 400, "error.title", "error.generic_text")
