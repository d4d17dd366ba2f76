"""The clinic's pages: the form (draft, submit) and the result (print, download).

The invitation token in the path is the clinic's only credential: every route resolves
it through the store first, and everything shown belongs to that clinic alone. A
clinic's token never identifies another clinic's data; there is no clinic id in any URL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sectool.practice_audit.errors import AnswersError
from sectool.practice_audit.models import MAX_CLINIC_NAME, MAX_JUSTIFICATION, MAX_OWNER, Clinic, Submission
from sectool.practice_audit.scoring import check_answers
from sectool.practice_audit.web import downloads
from sectool.practice_audit.web.app import (
    body_limit,
    context,
    form_field_limit,
    render,
    request_lang,
    with_lang,
)
from sectool.practice_audit.web.csrf import FIELD_NAME
from sectool.practice_audit.web.forms import FieldError, RawAnswer, parse_form, raw_from_answers
from sectool.practice_audit.web.i18n import Translator
from sectool.practice_audit.web.views import answered_count, form_domains, format_time, result_view

router = APIRouter(include_in_schema=False)


def _clinic(request: Request, token: str) -> Clinic:
    ctx = context(request)
    return ctx.store.clinic_for_token(token, now=ctx.now())


def _scope(clinic: Clinic) -> str:
    return f"clinic:{clinic.id}"


def _facts(clinic: Clinic) -> dict[str, str]:
    return {"name": clinic.name, "provider_number": clinic.provider_number, "size": clinic.size.value}


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    t = Translator(request_lang(request))
    return render(
        request,
        "error.html",
        {
            "heading": t("app.title"),
            "text": t("home.text"),
            "back_url": "/admin",
            "back_text": t("home.admin"),
        },
    )


def _form_page(
    request: Request,
    token: str,
    clinic: Clinic,
    raw: dict[str, RawAnswer],
    *,
    errors: list[FieldError] | None = None,
    notice: str | None = None,
    not_saved: bool = False,
    status: int = 200,
) -> HTMLResponse:
    ctx = context(request)
    lang = request_lang(request)
    domains, summary = form_domains(ctx.bank, clinic.size.value, raw, errors or [], lang)
    latest = ctx.store.latest_submission(clinic.id)
    ids = {q.id for q in ctx.bank.questions_for(clinic.size)}
    values: dict[str, Any] = {
        "clinic": _facts(clinic),
        "domains": domains,
        "errors": summary,
        "not_saved": not_saved,
        "notice": notice,
        "answered": answered_count({k: v for k, v in raw.items() if k in ids}),
        "total": len(ids),
        "action_url": with_lang(f"/c/{token}", lang),
        "latest_result_url": with_lang(f"/c/{token}/result", lang) if latest else None,
        "limits": _limits(),
    }
    return render(request, "form.html", values, status=status, csrf_scope=_scope(clinic))


def _limits() -> dict[str, int]:
    return {"justification": MAX_JUSTIFICATION, "owner": MAX_OWNER, "clinic_name": MAX_CLINIC_NAME}


@router.get("/c/{token}", response_class=HTMLResponse)
def clinic_form(request: Request, token: str, saved: int = 0) -> HTMLResponse:
    ctx = context(request)
    clinic = _clinic(request, token)
    t = Translator(request_lang(request))
    draft = ctx.store.get_draft(clinic.id)
    notice: str | None = None
    if draft is not None:
        raw = raw_from_answers(draft)
        if saved:
            notice = t("form.saved", when=format_time(ctx.now(), ctx.tz))
    else:
        latest = ctx.store.latest_submission(clinic.id)
        raw = raw_from_answers(latest.answers) if latest else {}
        if latest:
            notice = t("form.prefilled", when=format_time(latest.submitted_at, ctx.tz))
    return _form_page(request, token, clinic, raw, notice=notice)


@router.post("/c/{token}", response_class=HTMLResponse)
async def clinic_post(request: Request, token: str) -> Response:
    ctx = context(request)
    clinic = await run_in_threadpool(_clinic, request, token)
    # One field may use the whole body budget: a too-long text then gets the form's own message
    # ("at most 2,000 characters") instead of the parser's generic 400, and the body limit (413)
    # stays the only size cut-off.
    form = await request.form(max_fields=form_field_limit(ctx.bank), max_part_size=body_limit(ctx.bank))
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not ctx.csrf.verify(request, fields.get(FIELD_NAME), _scope(clinic)):
        raise HTTPException(status_code=403, detail="CSRF check failed")
    lang = request_lang(request)
    parsed = parse_form(fields, ctx.bank, clinic.size)
    action = fields.get("action", "save")

    if action != "submit":
        if parsed.errors:
            return await run_in_threadpool(
                _form_page,
                request,
                token,
                clinic,
                parsed.raw,
                errors=parsed.errors,
                not_saved=True,
                status=422,
            )
        await run_in_threadpool(ctx.store.save_draft, clinic.id, parsed.answers, now=ctx.now())
        return RedirectResponse(with_lang(f"/c/{token}?saved=1", lang), status_code=303)

    # Every problem at once: format problems, then the assessment's rules for the other questions.
    errors = list(parsed.errors)
    flagged = {e.question_id for e in errors}
    errors += [
        FieldError.from_problem(p)
        for p in check_answers(ctx.bank, parsed.answers, clinic.size, for_submit=True)
        if p.question_id not in flagged
    ]
    if not errors:
        try:
            await run_in_threadpool(ctx.store.submit, clinic.id, parsed.answers, now=ctx.now())
        except AnswersError as exc:
            errors = [FieldError.from_problem(p) for p in exc.problems]
        else:
            return RedirectResponse(with_lang(f"/c/{token}/result", lang), status_code=303)
    if not parsed.errors:
        # Keep what was entered even if the clinic closes the tab now.
        await run_in_threadpool(ctx.store.save_draft, clinic.id, parsed.answers, now=ctx.now())
    return await run_in_threadpool(
        _form_page,
        request,
        token,
        clinic,
        parsed.raw,
        errors=errors,
        not_saved=bool(parsed.errors),
        status=422,
    )


def _pick_submission(
    request: Request, clinic: Clinic, version: int | None
) -> tuple[Submission, Submission | None]:
    ctx = context(request)
    history = ctx.store.submissions(clinic.id)
    if not history:
        raise HTTPException(status_code=404, detail="no submission yet")
    if version is None:
        current = history[-1]
    else:
        match = [s for s in history if s.version == version]
        if not match:
            raise HTTPException(status_code=404, detail="no such version")
        current = match[0]
    earlier = [s for s in history if s.version < current.version]
    return current, (earlier[-1] if earlier else None)


@router.get("/c/{token}/result", response_class=HTMLResponse)
def clinic_result(request: Request, token: str, v: int | None = None) -> HTMLResponse:
    ctx = context(request)
    clinic = _clinic(request, token)
    lang = request_lang(request)
    history = ctx.store.submissions(clinic.id)
    if not history and v is None:
        return render(request, "no_result.html", {"form_url": with_lang(f"/c/{token}", lang)}, status=404)
    current, previous = _pick_submission(request, clinic, v)
    t = Translator(lang)
    items = [
        {
            "label": t("result.submitted", when=format_time(s.submitted_at, ctx.tz), version=s.version),
            "url": with_lang(f"/c/{token}/result?v={s.version}", lang),
            "current": s.version == current.version,
        }
        for s in reversed(history)
    ]
    values = {
        "clinic": _facts(clinic),
        "r": result_view(current, previous, lang, ctx.tz),
        "json_url": f"/c/{token}/result.json?v={current.version}",
        "md_url": with_lang(f"/c/{token}/result.md?v={current.version}", lang),
        "form_url": with_lang(f"/c/{token}", lang),
        "history": items,
    }
    return render(request, "result.html", values)


@router.get("/c/{token}/result.json")
def clinic_result_json(request: Request, token: str, v: int | None = None) -> Response:
    clinic = _clinic(request, token)
    current, previous = _pick_submission(request, clinic, v)
    body = downloads.result_json(clinic, current, previous)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": downloads.disposition(clinic, current, "json")},
    )


@router.get("/c/{token}/result.md")
def clinic_result_md(request: Request, token: str, v: int | None = None) -> Response:
    clinic = _clinic(request, token)
    current, previous = _pick_submission(request, clinic, v)
    text = downloads.result_md(clinic, current, previous, request_lang(request))
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": downloads.disposition(clinic, current, "md")},
    )


__all__ = ["router"]
