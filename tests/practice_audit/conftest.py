"""Fixtures of the practice_audit tests: a small bank with known weights, an answers builder.

Names start with ``pa_`` so they never clash with the web tests' fixtures below this folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from sectool.practice_audit.bank import load_bank, parse_bank
from sectool.practice_audit.models import Answer, Answers, QuestionBank

ALL = "[solo, partnership, large]"


def _q(
    qid: str, domain: str, weight: int, *, must_pass: bool = False, sizes: str = ALL, kind: str = "graded"
) -> str:
    return f"""
  - id: {qid}
    domain: {domain}
    weight: {weight}
    must_pass: {str(must_pass).lower()}
    answer_type: {kind}
    sizes: {sizes}
    annex_a: [A.5.1]
    text: {{da: "Spørgsmål {qid}", en: "Question {qid}"}}
    help: {{da: "Hjælp {qid}", en: "Help {qid}"}}
    recommendation: {{da: "Gør {qid}", en: "Do {qid}"}}
"""


def _d(did: str) -> str:
    return f"""
  - id: {did}
    title: {{da: "Område {did}", en: "Domain {did}"}}
    description: {{da: "Beskrivelse {did}", en: "Description {did}"}}
"""


#: Weights per question; must-pass: a.mp1, a.mp2, b.mp3 (all sizes) and b.mp4 (not solo).
SMALL_BANK_YAML = (
    'version: "test-1"\ndomains:'
    + _d("d1")
    + _d("d2")
    + _d("d3")
    + "questions:"
    + _q("a.mp1", "d1", 4, must_pass=True)
    + _q("a.mp2", "d1", 2, must_pass=True)
    + _q("a.q3", "d1", 2)
    + _q("b.mp3", "d2", 3, must_pass=True)
    + _q("b.mp4", "d2", 1, must_pass=True, sizes="[partnership, large]")
    + _q("b.q5", "d2", 5, sizes="[large]")
    + _q("b.bin", "d2", 1, kind="binary")
    + _q("c.opt", "d3", 2)
)

AS_OF = date(2026, 3, 1)


def small_bank() -> QuestionBank:
    return parse_bank(SMALL_BANK_YAML, file="small.yml")


def answers(
    bank: QuestionBank, size: str, overrides: dict[str, Any] | None = None, *, default: str = "yes"
) -> Answers:
    """``default`` for every question of ``size``; ``overrides``: id -> value, dict or None (unanswered)."""
    overrides = overrides or {}
    out: dict[str, Answer] = {}
    for q in bank.questions_for(size):  # type: ignore[arg-type]
        spec = overrides.get(q.id, default)
        if spec is None:
            continue
        out[q.id] = Answer.model_validate(spec if isinstance(spec, dict) else {"value": spec})
    for qid, spec in overrides.items():  # answers to questions outside the size or the bank
        if qid not in out and spec is not None:
            out[qid] = Answer.model_validate(spec if isinstance(spec, dict) else {"value": spec})
    return Answers(answers=out)


AnswersFactory = Callable[..., Answers]


@pytest.fixture(scope="session")
def pa_small_bank() -> QuestionBank:
    return small_bank()


@pytest.fixture(scope="session")
def pa_bank() -> QuestionBank:
    return load_bank()


@pytest.fixture
def pa_answers() -> AnswersFactory:
    return answers
