"""The offline answers file (YAML): parse, validate against the bank, report file:line and question.

Format (``sectool audit template`` writes it with every question as a comment)::

    clinic: Lægehuset Åparken        # optional
    provider_number: "012345"        # optional
    size: partnership                # solo | partnership | large (or --size)
    as_of: 2026-03-01                # optional assessment date (default: today)
    answers:
      org.owner:
        value: yes                   # yes | partly | no | not_applicable | alternative
        justification:
        action_owner:
        action_due:                  # YYYY-MM-DD
      org.policy: partly             # shorthand for {value: partly}

An empty ``value`` means unanswered. Danish spellings (``ja``, ``delvist``, ``nej``,
``ikke_relevant``, ``alternativ``) are accepted.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sectool.errors import InputError
from sectool.safetext import SafeText
from sectool.yamlio import YamlDoc, load_yaml, parse_yaml, validate

from .errors import AnswersError, question_error
from .models import PROVIDER_NUMBER_RE, Answer, Answers, ClinicSize, Lang, QuestionBank
from .scoring import check_answers

__all__ = ["AnswersDocument", "load_answers_file", "parse_answers_file"]


class _RawFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    clinic: SafeText | None = Field(default=None, max_length=200)
    provider_number: str | None = None
    size: ClinicSize | None = None
    lang: Lang | None = None
    as_of: date | None = None
    answers: dict[str, Any] = Field(default_factory=dict)

    @field_validator("provider_number", mode="before")
    @classmethod
    def _provider(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            raise ValueError("write the provider number in quotes (a leading zero would be lost)")
        if isinstance(v, str) and not PROVIDER_NUMBER_RE.match(v.strip()):
            raise ValueError("must be 1-20 letters, digits or hyphens")
        return v

    @field_validator("answers", mode="before")
    @classmethod
    def _mapping(cls, v: Any) -> Any:
        return {} if v is None else v


class AnswersDocument(BaseModel):
    """A parsed answers file: the metadata it carries and the validated answers."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    file: str
    clinic: str | None
    provider_number: str | None
    size: ClinicSize
    lang: Lang | None
    as_of: date | None
    answers: Answers


def load_answers_file(
    path: str | Path, bank: QuestionBank, *, size: ClinicSize | None = None
) -> AnswersDocument:
    """Load an answers file; ``size`` overrides the file's ``size``."""
    return _from_doc(load_yaml(path), bank, size)


def parse_answers_file(
    text: str, bank: QuestionBank, *, file: str = "<string>", size: ClinicSize | None = None
) -> AnswersDocument:
    """Parse answers from YAML text."""
    return _from_doc(parse_yaml(text, file=file), bank, size)


def _entry(raw: Any) -> dict[str, Any] | None:
    """Normalise one answer entry; ``None`` when the question is unanswered."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dict):
        if raw.get("value") is None or (isinstance(raw.get("value"), str) and not raw["value"].strip()):
            if any(v not in (None, "") for v in raw.values()):
                return raw  # value missing but other fields given: let validation say so
            return None
        return raw
    return {"value": raw}


def _from_doc(doc: YamlDoc, bank: QuestionBank, size: ClinicSize | None) -> AnswersDocument:
    if not isinstance(doc.data, dict):
        raise InputError(
            "an answers file must be a mapping with an 'answers' section",
            file=doc.file,
            line=doc.line_of(()),
            expected="see 'sectool audit template'",
        )
    raw = validate(_RawFile, doc.data, doc=doc)
    use_size = size or raw.size
    if use_size is None:
        raise InputError(
            "the clinic size is missing",
            file=doc.file,
            field="size",
            expected="size: solo | partnership | large in the file, or --size",
        )
    answers: dict[str, Answer] = {}
    for qid, entry in raw.answers.items():
        if not isinstance(qid, str):
            raise InputError("question ids must be text", file=doc.file, value=qid)
        data = _entry(entry)
        if data is None:
            continue
        if bank.get(qid) is None:
            raise InputError(
                f"question '{qid}': unknown question id",
                file=doc.file,
                line=doc.line_of(("answers", qid)),
                field=f"answers.{qid}",
                expected="an id from the question bank (see 'sectool audit template')",
            )
        try:
            answers[qid] = Answer.model_validate(data)
        except ValidationError as exc:
            raise question_error(exc, qid, doc=doc, at=("answers", qid)) from None
    result = Answers(answers=answers)
    problems = check_answers(bank, result, use_size)
    if problems:
        first = problems[0]
        line = doc.line_of(("answers", first.question_id, first.field))
        raise AnswersError(problems, file=doc.file, line=line)
    return AnswersDocument(
        file=doc.file,
        clinic=raw.clinic.strip() if raw.clinic else None,
        provider_number=raw.provider_number.strip() if raw.provider_number else None,
        size=use_size,
        lang=raw.lang,
        as_of=raw.as_of,
        answers=result,
    )
