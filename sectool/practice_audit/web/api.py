"""The JSON API (``/api/v1``), described by ``/openapi.json``.

Clinics authenticate with their invitation token as ``Authorization: Bearer <token>``
(so it stays out of URLs and access logs); every clinic route acts on that clinic only
(``/clinic/...``, no clinic id to tamper with). Security officers use
``Authorization: Bearer <SECTOOL_AUDIT_ADMIN_TOKEN>`` on ``/admin/...``. Bearer
credentials are not sent by browsers on their own, so the API needs no CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sectool.errors import InputError
from sectool.practice_audit.compare import Comparison, compare
from sectool.practice_audit.errors import AnswersError, ClinicChangeError, ClinicNotFoundError
from sectool.practice_audit.models import (
    MAX_CLINIC_NAME,
    Answer,
    AnswerProblem,
    Answers,
    Clinic,
    ClinicSize,
    ClinicSummary,
    Domain,
    Question,
    Result,
    Status,
    Submission,
)
from sectool.practice_audit.scoring import check_answers
from sectool.practice_audit.web.admin_pages import MAX_INVITE_DAYS, export_csv, export_json, link_for
from sectool.practice_audit.web.app import context

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")

_clinic_bearer = HTTPBearer(
    scheme_name="ClinicToken", description="The clinic's invitation token.", auto_error=False
)
_admin_bearer = HTTPBearer(
    scheme_name="AdminToken",
    description="The security officers' secret (SECTOOL_AUDIT_ADMIN_TOKEN).",
    auto_error=False,
)
_FROZEN = ConfigDict(extra="forbid", frozen=True)
# Codes a draft may not carry: they can never become valid by answering more.
_DRAFT_BLOCKING = {"unknown_question", "not_for_size", "value_not_allowed"}


class ProblemOut(BaseModel):
    """Error body with the problems of the answers (422)."""

    model_config = _FROZEN
    detail: str
    problems: list[AnswerProblem]


class QuestionsOut(BaseModel):
    model_config = _FROZEN
    bank_version: str
    size: ClinicSize | None
    domains: list[Domain]
    questions: list[Question]


class ClinicOut(BaseModel):
    model_config = _FROZEN
    name: str
    provider_number: str
    size: ClinicSize
    token_expires_at: datetime | None


class DraftOut(BaseModel):
    """A draft: ``answers`` maps question ids to answers, the same shape the PUT body has."""

    model_config = _FROZEN
    exists: bool
    answers: dict[str, Answer]
    problems: list[AnswerProblem] = Field(
        default_factory=list, description="What still stops a submission (drafts may be incomplete)."
    )


class SubmissionOut(BaseModel):
    model_config = _FROZEN
    version: int
    submitted_at: datetime
    size: ClinicSize
    bank_version: str
    answers: dict[str, Answer] = Field(description="The submitted answers by question id.")
    result: Result
    comparison: Comparison | None = Field(default=None, description="Change since the previous submission.")


class SubmissionInfo(BaseModel):
    model_config = _FROZEN
    version: int
    submitted_at: datetime
    status: Status
    maturity: int
    overall_percent: float


class InvitationIn(BaseModel):
    model_config = _FROZEN
    clinic_name: str = Field(min_length=1, max_length=MAX_CLINIC_NAME)
    provider_number: str = Field(min_length=1, max_length=20)
    size: ClinicSize
    expires_in_days: int = Field(default=30, ge=1, le=MAX_INVITE_DAYS)
    update: bool = Field(
        default=False,
        description="Allow changing the name or size of the clinic that has this provider number "
        "(otherwise such a change is refused with 409).",
    )


class InvitationOut(BaseModel):
    model_config = _FROZEN
    clinic: ClinicOut
    token: str = Field(description="Shown only once; only its hash is stored.")
    link: str
    expires_at: datetime
    older_links_valid: int = Field(
        description="Earlier invitation links of the clinic that stay valid until they expire or are revoked."
    )


def clinic_auth(
    request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_clinic_bearer)]
) -> Clinic:
    if cred is None:
        raise HTTPException(
            401, "missing Authorization: Bearer <invitation token>", headers={"WWW-Authenticate": "Bearer"}
        )
    ctx = context(request)
    return ctx.store.clinic_for_token(cred.credentials, now=ctx.now())


def admin_auth(
    request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)]
) -> None:
    ctx = context(request)
    client = request.client.host if request.client else "unknown"
    if ctx.throttle.blocked(client):
        raise HTTPException(
            429,
            "too many failed admin logins from this address; try again later",
            headers={"Retry-After": str(ctx.throttle.window_seconds)},
        )
    if cred is None or not ctx.auth.check_secret(cred.credentials):
        if cred is not None:  # a request without credentials is not a guess
            ctx.throttle.failed(client)
        raise HTTPException(401, "missing or wrong admin token", headers={"WWW-Authenticate": "Bearer"})
    ctx.throttle.succeeded(client)


ClinicDep = Annotated[Clinic, Depends(clinic_auth)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or wrong credentials"},
    403: {"description": "Invalid or tampered invitation token"},
    410: {"description": "Expired invitation token"},
}


def _clinic_out(c: Clinic) -> ClinicOut:
    return ClinicOut(
        name=c.name, provider_number=c.provider_number, size=c.size, token_expires_at=c.token_expires_at
    )


def _submission_out(current: Submission, previous: Submission | None) -> SubmissionOut:
    return SubmissionOut(
        version=current.version,
        submitted_at=current.submitted_at,
        size=current.size,
        bank_version=current.bank_version,
        answers=current.answers.answers,
        result=current.result,
        comparison=compare(previous.result, current.result) if previous else None,
    )


@router.get("/questions", tags=["questions"])
def get_questions(request: Request, size: ClinicSize | None = None) -> QuestionsOut:
    """The question bank, optionally only the questions for one clinic size."""
    bank = context(request).bank
    questions = bank.questions_for(size) if size else bank.questions
    return QuestionsOut(
        bank_version=bank.version, size=size, domains=list(bank.domains), questions=list(questions)
    )


@router.get("/clinic", tags=["clinic"], responses=_ERRORS)
def get_clinic(clinic: ClinicDep) -> ClinicOut:
    """The clinic the token belongs to."""
    return _clinic_out(clinic)


@router.get("/clinic/draft", tags=["clinic"], responses=_ERRORS)
def get_draft(request: Request, clinic: ClinicDep) -> DraftOut:
    """The saved draft (empty when there is none), with what still stops a submission."""
    ctx = context(request)
    draft = ctx.store.get_draft(clinic.id)
    answers = draft or Answers()
    problems = check_answers(ctx.bank, answers, clinic.size, for_submit=True)
    return DraftOut(exists=draft is not None, answers=answers.answers, problems=problems)


@router.put("/clinic/draft", tags=["clinic"], responses={**_ERRORS, 422: {"model": ProblemOut}})
def put_draft(request: Request, clinic: ClinicDep, answers: Answers) -> Any:
    """Replace the draft. Incomplete answers are fine; unknown questions or answers are not."""
    ctx = context(request)
    problems = check_answers(ctx.bank, answers, clinic.size, for_submit=True)
    blocking = [p for p in problems if p.code in _DRAFT_BLOCKING]
    if blocking:
        return _problems_response("the draft has answers that can never be valid", blocking)
    ctx.store.save_draft(clinic.id, answers, now=ctx.now())
    return DraftOut(exists=True, answers=answers.answers, problems=problems)


def _problems_response(detail: str, problems: list[AnswerProblem]) -> JSONResponse:
    body = ProblemOut(detail=detail, problems=problems)
    return JSONResponse(body.model_dump(mode="json"), status_code=422)


@router.post(
    "/clinic/submit", tags=["clinic"], status_code=201, responses={**_ERRORS, 422: {"model": ProblemOut}}
)
def submit(
    request: Request,
    clinic: ClinicDep,
    answers: Annotated[
        Answers | None, Body(description="The answers; omit to submit the saved draft.")
    ] = None,
) -> Any:
    """Submit (a new immutable version) and return the scored result."""
    ctx = context(request)
    if answers is None:
        answers = ctx.store.get_draft(clinic.id) or Answers()
    try:
        current = ctx.store.submit(clinic.id, answers, now=ctx.now())
    except AnswersError as exc:
        return _problems_response("the answers cannot be submitted", list(exc.problems))
    previous = ctx.store.previous_submission(clinic.id, current.version)
    return _submission_out(current, previous)


@router.get("/clinic/result", tags=["clinic"], responses={**_ERRORS, 404: {"description": "No submission"}})
def get_result(
    request: Request, clinic: ClinicDep, version: Annotated[int | None, Query(ge=1)] = None
) -> SubmissionOut:
    """The latest submission (or ``version``) with its result and the previous one for comparison."""
    store = context(request).store
    history = store.submissions(clinic.id)
    pick = [s for s in history if version is None or s.version == version]
    if not pick:
        raise HTTPException(404, "no submission" if version is None else f"no version {version}")
    current = pick[-1]
    earlier = [s for s in history if s.version < current.version]
    return _submission_out(current, earlier[-1] if earlier else None)


@router.get("/clinic/submissions", tags=["clinic"], responses=_ERRORS)
def list_submissions(request: Request, clinic: ClinicDep) -> list[SubmissionInfo]:
    """Every submission of the clinic, oldest first."""
    return [
        SubmissionInfo(
            version=s.version,
            submitted_at=s.submitted_at,
            status=s.result.status,
            maturity=s.result.maturity,
            overall_percent=s.result.overall_percent,
        )
        for s in context(request).store.submissions(clinic.id)
    ]


@router.get("/admin/clinics", tags=["admin"], dependencies=[Depends(admin_auth)], responses=_ERRORS)
def admin_clinics(request: Request) -> list[ClinicSummary]:
    """Every clinic with its status, last submission and maturity."""
    return context(request).store.list_clinics()


@router.get(
    "/admin/export",
    tags=["admin"],
    dependencies=[Depends(admin_auth)],
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}, **_ERRORS},
)
def admin_export(
    request: Request, format: Literal["json", "csv"] = "json", all_versions: bool = False
) -> Response:
    """Flat rows for the forum report: one per clinic (latest submission) or per submission.

    JSON comes in the envelope ``{"generated_at": ..., "clinics": [...]}``.
    """
    ctx = context(request)
    if format == "csv":
        return Response(
            export_csv(ctx.store, all_versions=all_versions), media_type="text/csv; charset=utf-8"
        )
    return Response(
        export_json(ctx.store, all_versions=all_versions, now=ctx.now()), media_type="application/json"
    )


class RevokedOut(BaseModel):
    model_config = _FROZEN
    revoked: int = Field(description="How many open invitation links were ended.")


@router.post(
    "/admin/clinics/{clinic_id}/revoke",
    tags=["admin"],
    dependencies=[Depends(admin_auth)],
    responses={**_ERRORS, 404: {"description": "No such clinic"}},
)
def admin_revoke(request: Request, clinic_id: int) -> RevokedOut:
    """End every open invitation link of a clinic; its tokens then answer 410."""
    ctx = context(request)
    try:
        return RevokedOut(revoked=ctx.store.revoke_invitations(clinic_id, now=ctx.now()))
    except ClinicNotFoundError:
        raise HTTPException(404, "no such clinic") from None


@router.post(
    "/admin/invitations",
    tags=["admin"],
    status_code=201,
    dependencies=[Depends(admin_auth)],
    responses={
        **_ERRORS,
        409: {"description": "The provider number belongs to a clinic with another name or size"},
    },
)
def admin_invite(request: Request, body: InvitationIn) -> InvitationOut:
    """Invite a clinic (or re-invite it by provider number) and return its link once."""
    ctx = context(request)
    now = ctx.now()
    try:
        clinic, token = ctx.store.create_invitation(
            clinic_name=body.clinic_name,
            provider_number=body.provider_number,
            size=body.size,
            expires_at=now + timedelta(days=body.expires_in_days),
            now=now,
            update=body.update,
        )
    except ClinicChangeError as exc:
        raise HTTPException(409, str(exc)) from None
    except ValidationError as exc:
        detail = [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        raise HTTPException(422, detail) from None
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return InvitationOut(
        clinic=_clinic_out(clinic),
        token=token,
        link=link_for(ctx, request, token),
        expires_at=clinic.token_expires_at or (now + timedelta(days=body.expires_in_days)).astimezone(UTC),
        older_links_valid=len(ctx.store.open_invitations(clinic.id, now=now)) - 1,
    )
