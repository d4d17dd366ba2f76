"""The fill-in answers file written by ``sectool audit template``.

Every question appears with its text, help and allowed answers as YAML comments, so a
clinic can fill it in with any text editor and score it offline. The output parses
back with :func:`sectool.practice_audit.answers_file.parse_answers_file` (every
question unanswered).
"""

from __future__ import annotations

import json
import textwrap

from .i18n import size_label, t
from .models import AnswerType, ClinicSize, Lang, QuestionBank

__all__ = ["render_template"]

_WIDTH = 100

_VALUES: dict[Lang, dict[AnswerType, str]] = {
    "da": {
        AnswerType.GRADED: "ja | delvist | nej | ikke_relevant | alternativ",
        AnswerType.BINARY: "ja | nej | ikke_relevant | alternativ",
    },
    "en": {
        AnswerType.GRADED: "yes | partly | no | not_applicable | alternative",
        AnswerType.BINARY: "yes | no | not_applicable | alternative",
    },
}

_HEADER: dict[Lang, str] = {
    "da": """\
Udfyld svarene nedenfor, og kør derefter: sectool audit score {file}
Svar under 'value': {values}
  - 'ikke_relevant' og 'alternativ' kræver en begrundelse under 'justification'.
  - 'ikke_relevant' kan ikke bruges på obligatoriske krav (markeret OBLIGATORISK).
  - Delvist tæller halvt i scoren, men et obligatorisk krav er kun opfyldt med ja eller et alternativt tiltag.
  - For mangler: skriv hvem der løser dem under 'action_owner' og en frist (ÅÅÅÅ-MM-DD) under 'action_due'.
Tomme svar tæller som ikke besvaret.""",
    "en": """\
Fill in the answers below, then run: sectool audit score {file}
Answer under 'value': {values}
  - 'not_applicable' and 'alternative' need a justification under 'justification'.
  - 'not_applicable' is not allowed on must-pass questions (marked MUST-PASS).
  - Partly counts half in the score, but a must-pass question is only met by yes or an alternative measure.
  - For gaps: write who fixes them under 'action_owner' and a due date (YYYY-MM-DD) under 'action_due'.
Empty answers count as unanswered.""",
}

_FIELD_HINTS: dict[Lang, dict[str, str]] = {
    "da": {
        "justification": "begrundelse (krævet ved ikke_relevant og alternativ)",
        "action_owner": "hvem løser manglen",
        "action_due": "frist, ÅÅÅÅ-MM-DD",
    },
    "en": {
        "justification": "required for not_applicable and alternative",
        "action_owner": "who fixes the gap",
        "action_due": "due date, YYYY-MM-DD",
    },
}

_MUST_PASS: dict[Lang, str] = {"da": "OBLIGATORISK", "en": "MUST-PASS"}
_WEIGHT: dict[Lang, str] = {"da": "vægt", "en": "weight"}


def _comment(text: str, indent: str = "", prefix: str = "") -> list[str]:
    width = max(40, _WIDTH - len(indent) - 2)
    lines = textwrap.wrap(text, width=width, initial_indent=prefix, subsequent_indent=" " * len(prefix)) or [
        prefix.rstrip()
    ]
    return [f"{indent}# {line}".rstrip() for line in lines]


def _scalar(value: str) -> str:
    """A YAML-safe scalar (JSON strings are valid YAML) for user-supplied metadata."""
    return json.dumps(value, ensure_ascii=False)


def render_template(
    bank: QuestionBank,
    size: ClinicSize,
    lang: Lang,
    *,
    clinic: str | None = None,
    provider_number: str | None = None,
    file_hint: str = "answers.yaml",
) -> str:
    """The fill-in answers file for a clinic of ``size`` with comments in ``lang``."""
    out: list[str] = []
    out += _comment(f"{t('title', lang)} ({bank.version})")
    out += _comment(f"{t('size', lang)}: {size_label(size, lang)}")
    out.append("#")
    header = _HEADER[lang].format(file=file_hint, values=_VALUES[lang][AnswerType.GRADED])
    for line in header.splitlines():
        bullet = line[: len(line) - len(line.lstrip(" -"))]
        out += _comment(line[len(bullet) :], prefix=bullet) if line.strip() else ["#"]
    out.append("")
    out.append(f"clinic: {_scalar(clinic) if clinic else ''}".rstrip())
    out.append(f"provider_number: {_scalar(provider_number) if provider_number else ''}".rstrip())
    out.append(f"size: {size.value}")
    out.append(f"lang: {lang}")
    out.append("as_of:")
    out.append("answers:")
    hints = _FIELD_HINTS[lang]
    for domain in bank.domains:
        questions = bank.questions_for(size, domain.id)
        if not questions:
            continue
        out.append("")
        out.append(f"  # {'=' * 94}")
        out += _comment(domain.title.get(lang).upper(), "  ")
        out += _comment(domain.description.get(lang), "  ")
        out.append(f"  # {'=' * 94}")
        for q in questions:
            out.append("")
            flags = f"[{_WEIGHT[lang]} {q.weight}]" + (f" [{_MUST_PASS[lang]}]" if q.must_pass else "")
            out += _comment(f"{q.id} {flags}", "  ")
            out += _comment(q.text.get(lang), "  ")
            out += _comment(q.help.get(lang), "  ", prefix="  ")
            out.append(f"  {q.id}:")
            out.append(f"    value:          # {_VALUES[lang][q.answer_type]}")
            out.append(f"    justification:  # {hints['justification']}")
            out.append(f"    action_owner:   # {hints['action_owner']}")
            out.append(f"    action_due:     # {hints['action_due']}")
    return "\n".join(out) + "\n"
