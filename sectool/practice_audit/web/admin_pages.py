"""The security officers' HTML view: login, clinic list, exports, invitations.

Login takes the admin secret in a POST form (never in a URL) and sets an HttpOnly,
SameSite=Strict session cookie scoped to ``/admin``; clinic pages never see it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from sectool.errors import InputError
from sectool.practice_audit.cli_offline import invitation_link
from sectool.practice_audit.errors import ClinicChangeError, ClinicNotFoundError
from sectool.practice_audit.export import admin_csv, admin_json
from sectool.practice_audit.i18n import size_label
from sectool.practice_audit.models import MAX_CLINIC_NAME, Clinic, ClinicSize, Lang
from sectool.practice_audit.store import Store
from sectool.practice_audit.web.app import WebContext, context, render, request_lang
from sectool.practice_audit.web.auth import SESSION_COOKIE
from sectool.practice_audit.web.csrf import FIELD_NAME
from sectool.practice_audit.web.i18n import Translator
from sectool.practice_audit.web.views import admin_rows, format_time

__all__ = ["MAX_INVITE_DAYS", "export_csv", "export_json", "router"]

router = APIRouter(include_in_schema=False)

MAX_INVITE_DAYS = 400
_LOGIN_SCOPE = "admin-login"


def _session(request: Request) -> str | None:
    return context(request).auth.session_id(request.cookies.get(SESSION_COOKIE))


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _to_login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_fields=20)
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _signed_in_form(request: Request) -> tuple[str, dict[str, str]] | None:
    """The session id and form fields of an admin POST; ``None`` when not signed in.

    Raises:
        HTTPException: 403 when the form's CSRF token is not this session's.
    """
    sid = _session(request)
    if sid is None:
        return None
    fields = await _form(request)
    if not context(request).csrf.verify(request, fields.get(FIELD_NAME), f"admin:{sid}"):
        raise HTTPException(status_code=403, detail="CSRF check failed")
    return sid, fields


@router.get("/admin/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    if _session(request):
        return RedirectResponse("/admin", status_code=303)
    return render(
        request, "admin_login.html", {"error": None, "action_url": "/admin/login"}, csrf_scope=_LOGIN_SCOPE
    )


@router.post("/admin/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    ctx = context(request)
    t = Translator(request_lang(request))
    fields = await _form(request)
    if not ctx.csrf.verify(request, fields.get(FIELD_NAME), _LOGIN_SCOPE):
        raise HTTPException(status_code=403, detail="CSRF check failed")
    client = _client(request)
    if ctx.throttle.blocked(client):
        return render(
            request,
            "admin_login.html",
            {"error": t("admin.throttled"), "action_url": "/admin/login"},
            status=429,
            csrf_scope=_LOGIN_SCOPE,
        )
    if not ctx.auth.check_secret(fields.get("secret")):
        ctx.throttle.failed(client)
        return render(
            request,
            "admin_login.html",
            {"error": t("admin.bad_secret"), "action_url": "/admin/login"},
            status=401,
            csrf_scope=_LOGIN_SCOPE,
        )
    ctx.throttle.succeeded(client)
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        ctx.auth.new_session(),
        max_age=int(ctx.auth.lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=ctx.secure_cookies,
        path="/admin",
    )
    return response


@router.post("/admin/logout")
async def logout(request: Request) -> Response:
    ctx = context(request)
    posted = await _signed_in_form(request)
    if posted is None:
        return _to_login()
    sid, _ = posted
    ctx.auth.revoke(sid)
    response = _to_login()
    response.delete_cookie(SESSION_COOKIE, path="/admin", httponly=True, samesite="strict")
    return response


def _overview(
    request: Request,
    sid: str,
    *,
    invite: dict[str, Any] | None = None,
    invite_errors: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    ctx = context(request)
    values = {
        "rows": admin_rows(ctx.store.list_clinics(), ctx.tz, ctx.now()),
        "logout_url": "/admin/logout",
        "invite_url": "/admin/invite",
        "csv_url": "/admin/export.csv",
        "json_url": "/admin/export.json",
        "sizes": [s.value for s in ClinicSize],
        "invite": invite
        or {"name": "", "provider_number": "", "size": "partnership", "days": ctx.invite_days},
        "invite_errors": invite_errors or [],
        "limits": {"clinic_name": MAX_CLINIC_NAME, "max_days": MAX_INVITE_DAYS},
    }
    return render(request, "admin.html", values, status=status, csrf_scope=f"admin:{sid}")


@router.get("/admin", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    sid = _session(request)
    if sid is None:
        return _to_login()
    return _overview(request, sid)


def validate_invite(name: str, provider: str, size: str, days: str, lang: str) -> list[str]:
    """Problems with an invitation form, in ``lang`` (empty when it is fine)."""
    t = Translator(lang)
    da = lang == "da"
    problems = []
    if not name.strip():
        problems.append("Kliniknavn mangler." if da else "The clinic name is missing.")
    elif len(name) > MAX_CLINIC_NAME:
        problems.append(
            t("err.too_long", field=t("admin.invite_name"), length=len(name), max=MAX_CLINIC_NAME)
        )
    try:
        Clinic.model_validate(
            {
                "id": 0,
                "name": name or "x",
                "provider_number": provider,
                "size": "solo",
                "invited_at": "2000-01-01T00:00:00Z",
            }
        )
    except ValidationError as exc:
        if any(e["loc"] == ("provider_number",) for e in exc.errors()):
            problems.append(
                "Ydernummeret skal være 1-20 bogstaver, cifre eller bindestreger."
                if da
                else "The provider number must be 1-20 letters, digits or hyphens."
            )
        elif name.strip() and len(name) <= MAX_CLINIC_NAME:
            problems.append(
                "Kliniknavnet indeholder ugyldige tegn." if da else "The clinic name has invalid characters."
            )
    if size not in {s.value for s in ClinicSize}:
        problems.append("Vælg en klinikstørrelse." if da else "Choose a clinic size.")
    if not (days.isascii() and days.isdecimal()) or not 1 <= int(days) <= MAX_INVITE_DAYS:
        problems.append(
            f"Gyldighed skal være 1-{MAX_INVITE_DAYS} dage."
            if da
            else f"Validity must be 1-{MAX_INVITE_DAYS} days."
        )
    return problems


def link_for(ctx: WebContext, request: Request, token: str) -> str:
    """The invitation link: the configured base URL, else the address the request came in on."""
    return invitation_link(ctx.base_url or str(request.base_url), token)


@router.post("/admin/invite", response_class=HTMLResponse)
async def invite(request: Request) -> Response:
    ctx = context(request)
    posted = await _signed_in_form(request)
    if posted is None:
        return _to_login()
    sid, fields = posted
    name = fields.get("name", "")
    provider = fields.get("provider_number", "").strip()
    size = fields.get("size", "")
    days = fields.get("days", "").strip()
    update = fields.get("update") == "1"
    entered = {"name": name, "provider_number": provider, "size": size, "days": days, "update": update}
    problems = validate_invite(name, provider, size, days, request_lang(request))
    if problems:
        return await run_in_threadpool(
            _overview, request, sid, invite=entered, invite_errors=problems, status=422
        )
    now = ctx.now()
    try:
        clinic, token = await run_in_threadpool(
            lambda: ctx.store.create_invitation(
                clinic_name=name,
                provider_number=provider,
                size=size,
                expires_at=now + timedelta(days=int(days)),
                now=now,
                update=update,
            )
        )
    except ClinicChangeError as exc:
        lang: Lang = "da" if request_lang(request) == "da" else "en"
        t = Translator(lang)
        message = t(
            "admin.invite_change",
            number=exc.provider_number,
            old_name=exc.old[0],
            old_size=size_label(ClinicSize(exc.old[1]), lang),
            new_name=exc.new[0],
            new_size=size_label(ClinicSize(exc.new[1]), lang),
        )
        return await run_in_threadpool(
            _overview, request, sid, invite=entered, invite_errors=[message], status=409
        )
    except (InputError, ValidationError) as exc:
        return await run_in_threadpool(
            _overview, request, sid, invite=entered, invite_errors=[str(exc)], status=422
        )
    older = len(await run_in_threadpool(lambda: ctx.store.open_invitations(clinic.id, now=now))) - 1
    values = {
        "older": older,
        "clinic": {"name": clinic.name, "provider_number": clinic.provider_number},
        "expires": format_time(clinic.token_expires_at, ctx.tz),
        "link": link_for(ctx, request, token),
        "back_url": "/admin",
    }
    return render(request, "admin_invited.html", values, status=201)


@router.post("/admin/clinics/{clinic_id}/revoke")
async def revoke(request: Request, clinic_id: int) -> Response:
    """End the clinic's open invitation links (e.g. one was sent to the wrong address)."""
    ctx = context(request)
    if await _signed_in_form(request) is None:
        return _to_login()
    try:
        await run_in_threadpool(lambda: ctx.store.revoke_invitations(clinic_id, now=ctx.now()))
    except ClinicNotFoundError:
        raise HTTPException(status_code=404, detail="no such clinic") from None
    return RedirectResponse("/admin", status_code=303)


def export_csv(store: Store, *, all_versions: bool) -> str:
    """The export rows as CSV (columns of :meth:`Store.export_columns`, formulas neutralised)."""
    return admin_csv(store.export_rows(all_versions=all_versions), store.export_columns())


def export_json(store: Store, *, all_versions: bool, now: datetime) -> str:
    """The export rows as JSON in the envelope the forum report reads."""
    return admin_json(store.export_rows(all_versions=all_versions), generated_at=now)


@router.get("/admin/export.csv")
def export_csv_download(request: Request, all_versions: bool = False) -> Response:
    if _session(request) is None:
        return _to_login()
    return Response(
        export_csv(context(request).store, all_versions=all_versions),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="practice-audit.csv"'},
    )


@router.get("/admin/export.json")
def export_json_download(request: Request, all_versions: bool = False) -> Response:
    if _session(request) is None:
        return _to_login()
    ctx = context(request)
    return Response(
        export_json(ctx.store, all_versions=all_versions, now=ctx.now()),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="practice-audit.json"'},
    )
