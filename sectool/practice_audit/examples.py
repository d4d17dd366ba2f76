"""Example clinic answers shipped in the package (``data/example_answers/*.yml``).

Fictitious clinics in several states (standards met, approaching, not met; one with a
year-on-year history) for the demo, the documentation and the forum report.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from importlib import resources

from pydantic import BaseModel, ConfigDict

from .answers_file import parse_answers_file
from .bank import load_bank
from .models import Answers, ClinicSize, QuestionBank
from .store import Store

__all__ = ["ExampleAnswers", "load_examples", "seed_examples"]

_DIR = "example_answers"


class ExampleAnswers(BaseModel):
    """One example submission: who, when and the answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # file stem, e.g. "aaparken-2026"
    clinic: str
    provider_number: str
    size: ClinicSize
    as_of: datetime  # submission time (10:00 UTC on the file's as_of date)
    answers: Answers


def load_examples(bank: QuestionBank | None = None) -> list[ExampleAnswers]:
    """Every example, oldest first (then by file name)."""
    bank = bank or load_bank()
    folder = resources.files("sectool.practice_audit") / "data" / _DIR
    examples: list[ExampleAnswers] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yml"):
            continue
        doc = parse_answers_file(
            entry.read_text(encoding="utf-8"), bank, file=f"sectool/practice_audit/data/{_DIR}/{entry.name}"
        )
        if not (doc.clinic and doc.provider_number and doc.as_of):
            raise ValueError(f"example {entry.name} lacks clinic, provider_number or as_of")
        examples.append(
            ExampleAnswers(
                name=entry.name.removesuffix(".yml"),
                clinic=doc.clinic,
                provider_number=doc.provider_number,
                size=doc.size,
                as_of=datetime.combine(doc.as_of, time(10, 0), tzinfo=UTC),
                answers=doc.answers,
            )
        )
    examples.sort(key=lambda e: (e.as_of, e.name))
    return examples


def seed_examples(store: Store, *, now: datetime, expires_days: int = 30) -> dict[str, str]:
    """Store every example as a submission (in date order) and invite each clinic.

    Returns ``provider_number -> token`` of a fresh invitation per clinic (valid for
    ``expires_days`` from ``now``), so a demo can open the clinic's pages.
    """
    tokens: dict[str, str] = {}
    for ex in load_examples(store.bank):
        clinic = store.ensure_clinic(
            clinic_name=ex.clinic, provider_number=ex.provider_number, size=ex.size, now=ex.as_of
        )
        store.submit(clinic.id, ex.answers, now=ex.as_of)
    for ex in load_examples(store.bank):
        if ex.provider_number in tokens:
            continue
        _, token = store.create_invitation(
            clinic_name=ex.clinic,
            provider_number=ex.provider_number,
            size=ex.size,
            expires_at=now + timedelta(days=expires_days),
            now=now,
        )
        tokens[ex.provider_number] = token
    return tokens
