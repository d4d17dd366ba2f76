"""Loading and validating the question bank (``data/questions.yml``).

Every problem is an :class:`~sectool.errors.InputError` naming the file, line, the
question id and the field, e.g. ``questions.yml:212, field 'questions[14].annex_a[0]':
question 'access.mitid': unknown Annex A control (got 'A.9.2')``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from sectool.errors import InputError
from sectool.iso27001.catalogue import load_catalogue
from sectool.yamlio import YamlDoc, format_loc, load_yaml, parse_yaml, validate

from .errors import question_error
from .models import Domain, Lang, Question, QuestionBank

__all__ = ["DEFAULT_BANK", "annex_a_ids", "annex_a_label", "load_bank", "parse_bank"]

DEFAULT_BANK = "questions.yml"

_ANNEX_RE = re.compile(r"^A\.([5-8])\.([1-9][0-9]?)$")


@functools.cache
def annex_a_ids() -> frozenset[str]:
    """The ids of the 93 Annex A controls, from the package's ISO 27001 catalogue."""
    return frozenset(load_catalogue().ids)


def annex_a_label(control_id: str, lang: Lang) -> str:
    """``A.8.13 Information backup`` (title from the catalogue in ``lang``); the bare id if unknown."""
    control = load_catalogue().get(control_id)
    return f"{control_id} {control.title(lang)}" if control is not None else control_id


class _RawBank(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    domains: list[Domain]
    questions: list[dict[str, Any]]


def load_bank(path: str | Path | None = None) -> QuestionBank:
    """Load and validate a question bank; the packaged bank when ``path`` is ``None`` (cached)."""
    if path is None:
        return _default_bank()
    return _validate_doc(load_yaml(path))


@functools.cache
def _default_bank() -> QuestionBank:
    res = resources.files("sectool.practice_audit") / "data" / DEFAULT_BANK
    return parse_bank(res.read_text(encoding="utf-8"), file=f"sectool/practice_audit/data/{DEFAULT_BANK}")


def parse_bank(text: str, *, file: str = "<string>") -> QuestionBank:
    """Parse and validate a question bank from YAML text."""
    return _validate_doc(parse_yaml(text, file=file))


def _validate_doc(doc: YamlDoc) -> QuestionBank:
    raw = validate(_RawBank, doc.data, doc=doc)
    valid_annex = annex_a_ids()
    questions: list[Question] = []
    seen: dict[str, int] = {}
    domain_ids = [d.id for d in raw.domains]
    _no_duplicates(domain_ids, doc, "domains", "domain")
    for i, data in enumerate(raw.questions):
        qid = data.get("id") if isinstance(data.get("id"), str) else f"#{i + 1}"
        try:
            q = Question.model_validate(data)
        except ValidationError as exc:
            raise question_error(exc, qid, doc=doc, at=("questions", i)) from None
        loc: tuple[str | int, ...] = ("questions", i)
        if q.id in seen:
            _fail(doc, (*loc, "id"), q.id, f"duplicate question id (first is questions[{seen[q.id]}])")
        seen[q.id] = i
        if q.domain not in domain_ids:
            _fail(doc, (*loc, "domain"), q.id, "unknown domain", value=q.domain, expected=domain_ids)
        for j, control in enumerate(q.annex_a):
            if control not in valid_annex or not _ANNEX_RE.match(control):
                _fail(
                    doc,
                    (*loc, "annex_a", j),
                    q.id,
                    "unknown Annex A control",
                    value=control,
                    expected=["an ISO/IEC 27001:2022 Annex A id such as A.5.1"],
                )
        if len(set(q.annex_a)) != len(q.annex_a):
            _fail(doc, (*loc, "annex_a"), q.id, "an Annex A control is listed twice")
        questions.append(q)
    for k, d in enumerate(raw.domains):
        if not any(q.domain == d.id for q in questions):
            raise InputError(
                f"domain '{d.id}' has no questions",
                file=doc.file,
                line=doc.line_of(("domains", k)),
                field=f"domains[{k}]",
            )
    return QuestionBank(version=raw.version, domains=tuple(raw.domains), questions=tuple(questions))


def _no_duplicates(ids: Iterable[str], doc: YamlDoc, section: str, what: str) -> None:
    first: dict[str, int] = {}
    for i, x in enumerate(ids):
        if x in first:
            raise InputError(
                f"duplicate {what} id '{x}'",
                file=doc.file,
                line=doc.line_of((section, i, "id")),
                field=f"{section}[{i}].id",
            )
        first[x] = i


def _fail(
    doc: YamlDoc,
    loc: tuple[str | int, ...],
    qid: str,
    message: str,
    *,
    value: object = None,
    expected: list[str] | None = None,
) -> None:
    raise InputError(
        f"question '{qid}': {message}",
        file=doc.file,
        line=doc.line_of(loc),
        field=format_loc(loc),
        value=value,
        expected=", ".join(expected) if expected else None,
    )
