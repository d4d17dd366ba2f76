"""View models: plain data the templates render, built from the core models in one language.

Templates never reach into the core models; everything they show is prepared here,
so a change in the core touches this module only. Nothing here escapes HTML: Jinja2
autoescape does that for every value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sectool.practice_audit.compare import compare
from sectool.practice_audit.models import (
    ClinicSize,
    ClinicSummary,
    Lang,
    QuestionBank,
    Result,
    Submission,
)
from sectool.practice_audit.web.forms import FieldError, RawAnswer, allowed_values
from sectool.practice_audit.web.i18n import Translator

__all__ = [
    "AdminRow",
    "DomainView",
    "ErrorLink",
    "QuestionView",
    "ResultView",
    "admin_rows",
    "answered_count",
    "form_domains",
    "format_time",
    "result_view",
]

_FIELD_ANCHOR = {"value": "q-{qid}", "justification": "j-{qid}", "owner": "o-{qid}", "due": "d-{qid}"}


def format_time(value: datetime | None, tz: ZoneInfo) -> str:
    """``YYYY-MM-DD HH:MM`` in the app's time zone (empty for ``None``)."""
    if value is None:
        return ""
    if value.tzinfo is None:  # stored naive values are UTC
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@dataclass
class QuestionView:
    id: str
    number: str
    text: str
    help: str
    must_pass: bool
    weight: int
    annex_a: str
    options: list[tuple[str, str]]
    value: str = ""
    justification: str = ""
    owner: str = ""
    due: str = ""
    errors: list[str] = field(default_factory=list)
    action_open: bool = False


@dataclass
class DomainView:
    id: str
    title: str
    description: str
    questions: list[QuestionView]


@dataclass(frozen=True)
class ErrorLink:
    anchor: str
    label: str
    text: str


def form_domains(
    bank: QuestionBank,
    size_value: str,
    raw: dict[str, RawAnswer],
    errors: Sequence[FieldError],
    lang: Lang,
) -> tuple[list[DomainView], list[ErrorLink]]:
    """The form's domains with their questions filled from ``raw``, and the error summary."""
    t = Translator(lang)
    size = ClinicSize(size_value)
    by_question: dict[str, list[FieldError]] = {}
    for e in errors:
        by_question.setdefault(e.question_id, []).append(e)
    domains: list[DomainView] = []
    summary: list[ErrorLink] = []
    number = 0
    for d in bank.domains:
        questions: list[QuestionView] = []
        for q in bank.questions_for(size, d.id):
            number += 1
            r = raw.get(q.id, RawAnswer())
            qerrors = by_question.get(q.id, [])
            view = QuestionView(
                id=q.id,
                number=str(number),
                text=q.text.get(lang),
                help=q.help.get(lang),
                must_pass=q.must_pass,
                weight=q.weight,
                annex_a=", ".join(q.annex_a),
                options=[(v.value, t(f"answer.{v.value}")) for v in allowed_values(q)],
                value=r.value,
                justification=r.justification,
                owner=r.owner,
                due=r.due,
                errors=[_sentence(e.message.get(lang)) for e in qerrors],
                action_open=any(e.field in ("owner", "due") for e in qerrors),
            )
            questions.append(view)
            for e in qerrors:
                # a radio group has no single input: link to the question, so its text is in view
                anchor = _FIELD_ANCHOR.get(e.field, "q-{qid}").format(qid=q.id)
                summary.append(
                    ErrorLink(anchor, f"{number}. {_short(view.text)}", _sentence(e.message.get(lang)))
                )
        if questions:
            domains.append(DomainView(d.id, d.title.get(lang), d.description.get(lang), questions))
    known = {q.id for q in bank.questions_for(size)}
    for e in errors:
        if e.question_id not in known:
            summary.append(ErrorLink("main", e.question_id, e.message.get(lang)))
    return domains, summary


def _sentence(text: str) -> str:
    """Messages from the scoring core start in lower case; shown alone they read as sentences."""
    return text[:1].upper() + text[1:]


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def answered_count(raw: dict[str, RawAnswer]) -> int:
    return sum(1 for r in raw.values() if r.value)


@dataclass(frozen=True)
class DomainRow:
    id: str
    title: str
    percent: int | None
    band: str
    previous: int | None
    delta: str | None


@dataclass(frozen=True)
class PlanRow:
    rank: int
    question_id: str
    question: str
    action: str
    must_pass: bool
    answer: str
    annex_a: str
    owner: str
    due: str


@dataclass(frozen=True)
class ResultView:
    version: int
    submitted_at: str
    size: str
    status: str
    maturity: int
    overall: int
    domains: list[DomainRow]
    plan: list[PlanRow]
    has_previous: bool
    previous_status: str | None


def _pct(value: float | None) -> int | None:
    return None if value is None else round(value)


def _band(percent: int | None) -> str:
    if percent is None:
        return "none"
    return "high" if percent >= 80 else "mid" if percent >= 50 else "low"


def _delta(now: int | None, before: int | None) -> str | None:
    if now is None or before is None:
        return None
    diff = now - before
    return f"+{diff}" if diff > 0 else ("±0" if diff == 0 else f"−{abs(diff)}")


def result_view(submission: Submission, previous: Submission | None, lang: Lang, tz: ZoneInfo) -> ResultView:
    """The result page of ``submission``, compared with ``previous`` when there is one."""
    t = Translator(lang)
    result: Result = submission.result
    comparison = compare(previous.result, submission.result) if previous else None
    changes = {c.domain: c for c in comparison.domains} if comparison else {}
    domains = []
    for d in result.domains:
        pct = _pct(d.percent)
        change = changes.get(d.domain)
        prev = _pct(change.previous) if change else None
        domains.append(DomainRow(d.domain, d.title.get(lang), pct, _band(pct), prev, _delta(pct, prev)))
    unset = t("result.plan_unassigned")
    plan = [
        PlanRow(
            rank=p.rank,
            question_id=p.question_id,
            question=p.question.get(lang),
            action=p.action.get(lang),
            must_pass=p.must_pass,
            answer=t(f"answer.{p.answer.value}") if p.answer else t("answer.none"),
            annex_a=", ".join(p.annex_a),
            owner=p.owner or unset,
            due=p.due.isoformat() if isinstance(p.due, date) else unset,
        )
        for p in result.plan
    ]
    return ResultView(
        version=submission.version,
        submitted_at=format_time(submission.submitted_at, tz),
        size=submission.size.value,
        status=result.status.value,
        maturity=result.maturity,
        overall=round(result.overall_percent),
        domains=domains,
        plan=plan,
        has_previous=comparison is not None,
        previous_status=comparison.previous_status.value if comparison else None,
    )


@dataclass(frozen=True)
class AdminRow:
    clinic_id: int
    name: str
    provider_number: str
    size: str
    status: str | None
    maturity: int | None
    overall: int | None
    last_submitted: str
    submissions: int
    has_draft: bool
    expires: str
    link_active: bool


def admin_rows(summaries: Sequence[ClinicSummary], tz: ZoneInfo, now: datetime) -> list[AdminRow]:
    return [
        AdminRow(
            clinic_id=s.clinic_id,
            name=s.name,
            provider_number=s.provider_number,
            size=s.size.value,
            status=s.status.value if s.status else None,
            maturity=s.maturity,
            overall=_pct(s.overall_percent),
            last_submitted=format_time(s.last_submitted_at, tz),
            submissions=s.submissions,
            has_draft=s.has_draft,
            expires=format_time(s.token_expires_at, tz),
            link_active=s.token_expires_at is not None and s.token_expires_at > now,
        )
        for s in summaries
    ]
