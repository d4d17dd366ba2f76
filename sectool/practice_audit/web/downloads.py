"""Downloadable results: JSON (data) and Markdown (text), one clinic at a time.

Clinic-written text goes into Markdown with every punctuation character
backslash-escaped (CommonMark), so a name or comment cannot turn into a link, an
HTML tag or a script when the file is rendered somewhere else.
"""

from __future__ import annotations

import json
import re
from zoneinfo import ZoneInfo

from sectool.practice_audit.models import Clinic, Lang, Submission
from sectool.practice_audit.web.i18n import Translator
from sectool.practice_audit.web.views import result_view

__all__ = ["disposition", "md_escape", "result_json", "result_markdown"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&\"'=:])")


def md_escape(text: str) -> str:
    """Text safe to place in Markdown: punctuation escaped, line breaks folded."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def disposition(clinic: Clinic, submission: Submission, ext: str) -> str:
    # The provider number is restricted to letters, digits and hyphens by the model.
    return f'attachment; filename="sikkerhedstjek-{clinic.provider_number}-v{submission.version}.{ext}"'


def result_json(clinic: Clinic, current: Submission, previous: Submission | None) -> str:
    """The submission with its answers and result, and a summary of the previous one."""
    data = {
        "clinic": {"name": clinic.name, "provider_number": clinic.provider_number, "size": clinic.size.value},
        "submission": current.model_dump(mode="json", exclude={"id", "clinic_id"}),
        "previous": None
        if previous is None
        else {
            "version": previous.version,
            "submitted_at": previous.submitted_at.isoformat(),
            "status": previous.result.status.value,
            "maturity": previous.result.maturity,
            "overall_percent": previous.result.overall_percent,
            "domains": {d.domain: d.percent for d in previous.result.domains},
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def result_markdown(
    clinic: Clinic, current: Submission, previous: Submission | None, lang: Lang, tz: ZoneInfo
) -> str:
    """A printable text report of the result in ``lang``."""
    t = Translator(lang)
    view = result_view(current, previous, lang, tz)
    lines = [
        f"# {t('result.title')}: {md_escape(clinic.name)}",
        "",
        f"- {t('form.provider')}: {md_escape(clinic.provider_number)}",
        f"- {t('form.size')}: {t('size.' + view.size)}",
        f"- {t('result.submitted', when=view.submitted_at, version=view.version)}",
        f"- {t('result.status')}: **{t('status.' + view.status)}**",
        f"- {t('result.maturity')}: {t('result.maturity_value', level=view.maturity)}",
        f"- {t('result.overall')}: {view.overall} %",
        "",
        f"## {t('result.domains')}",
        "",
    ]
    header = f"| {t('result.domain')} | {t('result.score')} |"
    rule = "|---|---:|"
    if view.has_previous:
        header += f" {t('result.previous')} | {t('result.change')} |"
        rule += "---:|---:|"
    lines += [header, rule]
    for d in view.domains:
        score = t("result.not_applicable") if d.percent is None else f"{d.percent} %"
        row = f"| {md_escape(d.title)} | {score} |"
        if view.has_previous:
            before = "–" if d.previous is None else f"{d.previous} %"
            row += f" {before} | {d.delta or '–'} |"
        lines.append(row)
    lines.append("")
    if view.has_previous and view.previous_status:
        lines += [t("result.status_change", before=t("status." + view.previous_status)), ""]
    lines += [f"## {t('result.plan')}", ""]
    if not view.plan:
        lines.append(t("result.plan_empty"))
    for p in view.plan:
        must = f" ({t('form.must_pass')})" if p.must_pass else ""
        lines += [
            f"{p.rank}. **{md_escape(p.question)}**{must}",
            f"   - {t('result.plan_action')}: {md_escape(p.action)}",
            f"   - {t('form.answer')}: {p.answer}",
            f"   - {t('form.controls')}: {md_escape(p.annex_a)}",
            f"   - {t('form.owner')}: {md_escape(p.owner)}",
            f"   - {t('form.due')}: {md_escape(p.due)}",
        ]
    return "\n".join(lines) + "\n"
