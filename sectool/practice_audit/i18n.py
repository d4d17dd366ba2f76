"""Danish and English labels of the self-assessment (statuses, answers, maturity, sizes, headings).

The web app has its own page texts; these are the shared vocabulary used by the CLI,
the Markdown result, the template and the forum report, so that every surface names
things the same way.
"""

from __future__ import annotations

from .models import AnswerValue, ClinicSize, Lang, LocalText, Status

__all__ = [
    "ANSWER_LABELS",
    "MATURITY_LABELS",
    "SIZE_LABELS",
    "STATUS_LABELS",
    "TEXTS",
    "answer_label",
    "maturity_label",
    "size_label",
    "status_label",
    "t",
]


def _lt(da: str, en: str) -> LocalText:
    return LocalText(da=da, en=en)


STATUS_LABELS: dict[Status, LocalText] = {
    Status.STANDARDS_MET: _lt("Standarderne er opfyldt", "Standards met"),
    Status.APPROACHING: _lt("Nærmer sig standarderne", "Approaching standards"),
    Status.NOT_MET: _lt("Standarderne er ikke opfyldt", "Standards not met"),
}

ANSWER_LABELS: dict[AnswerValue, LocalText] = {
    AnswerValue.YES: _lt("Ja", "Yes"),
    AnswerValue.PARTLY: _lt("Delvist", "Partly"),
    AnswerValue.NO: _lt("Nej", "No"),
    AnswerValue.NOT_APPLICABLE: _lt("Ikke relevant", "Not applicable"),
    AnswerValue.ALTERNATIVE: _lt("Alternativt tiltag", "Alternative measure"),
}

SIZE_LABELS: dict[ClinicSize, LocalText] = {
    ClinicSize.SOLO: _lt("Solopraksis", "Solo practice"),
    ClinicSize.PARTNERSHIP: _lt("Kompagniskabspraksis", "Partnership practice"),
    ClinicSize.LARGE: _lt("Stor klinik / sundhedshus", "Large clinic / health house"),
}

MATURITY_LABELS: dict[int, LocalText] = {
    1: _lt("Begyndende", "Initial"),
    2: _lt("Grundlæggende", "Basic"),
    3: _lt("Etableret", "Established"),
    4: _lt("Styret", "Managed"),
    5: _lt("Forbedrende", "Optimising"),
}

TEXTS: dict[str, LocalText] = {
    "title": _lt("Selvevaluering af informationssikkerhed", "Information security self-assessment"),
    "status": _lt("Status", "Status"),
    "maturity": _lt("Modenhed", "Maturity"),
    "overall": _lt("Samlet score", "Overall score"),
    "domain": _lt("Område", "Domain"),
    "score": _lt("Score", "Score"),
    "answered": _lt("Besvaret", "Answered"),
    "must_pass": _lt("Obligatoriske krav", "Must-pass"),
    "must_pass_flag": _lt("OBLIGATORISK", "MUST-PASS"),
    "must_pass_missing": _lt("Obligatoriske krav, der ikke er opfyldt", "Must-pass questions not met"),
    "plan": _lt("Handlingsplan", "Improvement plan"),
    "rank": _lt("Nr.", "No."),
    "question": _lt("Spørgsmål", "Question"),
    "answer": _lt("Svar", "Answer"),
    "action": _lt("Tiltag", "Action"),
    "annex_a": _lt("ISO 27001 bilag A", "ISO 27001 Annex A"),
    "owner": _lt("Ansvarlig", "Owner"),
    "due": _lt("Frist", "Due"),
    "unanswered": _lt("Ikke besvaret", "Unanswered"),
    "no_gaps": _lt("Ingen mangler: alle spørgsmål er opfyldt.", "No gaps: every question is met."),
    "comparison": _lt("Udvikling siden sidste besvarelse", "Change since the previous submission"),
    "previous": _lt("Forrige", "Previous"),
    "current": _lt("Nu", "Now"),
    "change": _lt("Ændring", "Change"),
    "points": _lt("procentpoint", "percentage points"),
    "size": _lt("Klinikstørrelse", "Clinic size"),
    "as_of": _lt("Dato", "Date"),
    "yes_mark": _lt("ja", "yes"),
    "not_applicable_domain": _lt("ikke relevant", "not applicable"),
    "improved": _lt("forbedret", "improved"),
    "unchanged": _lt("uændret", "unchanged"),
    "worsened": _lt("forværret", "worsened"),
    "closed_gaps": _lt("Lukkede mangler", "Closed gaps"),
    "new_gaps": _lt("Nye mangler", "New gaps"),
}


def t(key: str, lang: Lang) -> str:
    """A shared text in ``lang``; raises ``KeyError`` for an unknown key (a programming error)."""
    return TEXTS[key].get(lang)


def status_label(status: Status, lang: Lang) -> str:
    return STATUS_LABELS[status].get(lang)


def answer_label(value: AnswerValue | None, lang: Lang) -> str:
    return t("unanswered", lang) if value is None else ANSWER_LABELS[value].get(lang)


def size_label(size: ClinicSize, lang: Lang) -> str:
    return SIZE_LABELS[size].get(lang)


def maturity_label(level: int, lang: Lang) -> str:
    return f"{level} – {MATURITY_LABELS[level].get(lang)}"
