"""Parsing the clinic form into answers (pure, no HTTP)."""

from __future__ import annotations

from datetime import date

import pytest

from sectool.practice_audit.bank import load_bank
from sectool.practice_audit.models import (
    MAX_JUSTIFICATION,
    MAX_OWNER,
    Answer,
    Answers,
    AnswerValue,
    ClinicSize,
)
from sectool.practice_audit.web.forms import allowed_values, parse_form, raw_from_answers

BANK = load_bank()
SIZE = ClinicSize.PARTNERSHIP
QS = BANK.questions_for(SIZE)
Q = QS[0]


def test_empty_form_has_no_answers_and_no_errors() -> None:
    parsed = parse_form({}, BANK, SIZE)
    assert len(parsed.answers) == 0
    assert parsed.errors == []
    assert set(parsed.raw) == {q.id for q in QS}


def test_full_answer_is_read() -> None:
    form = {f"a:{Q.id}": "partly", f"j:{Q.id}": "  delvis  ", f"o:{Q.id}": "Dr. B", f"d:{Q.id}": "2026-12-31"}
    parsed = parse_form(form, BANK, SIZE)
    assert parsed.errors == []
    assert parsed.answers.answers[Q.id] == Answer(
        value=AnswerValue.PARTLY, justification="delvis", action_owner="Dr. B", action_due=date(2026, 12, 31)
    )


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"a": "maybe"}, "value", "Invalid answer."),
        ({"a": "yes", "j": "x" * (MAX_JUSTIFICATION + 1)}, "justification", "is too long"),
        ({"a": "yes", "o": "x" * (MAX_OWNER + 1)}, "owner", "is too long"),
        ({"a": "yes", "d": "2026-13-01"}, "due", "must be a date"),
        ({"a": "yes", "d": "20261201"}, "due", "must be a date"),
        ({"a": "yes", "d": "2026-1-1"}, "due", "must be a date"),
        ({"o": "Dr. B"}, "value", "Choose an answer"),
        ({"a": "yes", "j": "bad\x00char"}, "justification", "characters not allowed"),
        ({"a": "yes", "j": "\x1b]0;pwned\x07"}, "justification", "characters not allowed"),
        ({"a": "yes", "j": "c1\x9bcsi"}, "justification", "characters not allowed"),
        ({"a": "yes", "j": "txt\u202eexe"}, "justification", "characters not allowed"),
        ({"a": "yes", "o": "Dr\u2066 B"}, "owner", "characters not allowed"),
        ({"a": "yes", "o": "Dr\x1b[31m B"}, "owner", "characters not allowed"),
    ],
)
def test_format_problems(fields, field, text) -> None:
    form = {f"{k}:{Q.id}": v for k, v in fields.items()}
    parsed = parse_form(form, BANK, SIZE)
    assert [e.field for e in parsed.errors] == [field]
    assert text in parsed.errors[0].message.en
    assert parsed.errors[0].message.da
    assert Q.id not in parsed.answers.answers
    # what was typed is kept for the re-rendered form
    for k, v in fields.items():
        key = {"a": "value", "j": "justification", "o": "owner", "d": "due"}[k]
        assert getattr(parsed.raw[Q.id], key) == v


def test_crlf_counts_as_one_character() -> None:
    text = "a\r\n" * (MAX_JUSTIFICATION // 2)
    parsed = parse_form({f"a:{Q.id}": "yes", f"j:{Q.id}": text}, BANK, SIZE)
    assert parsed.errors == []


def test_fields_of_other_sizes_and_unknown_ids_are_ignored() -> None:
    other = next(q for q in BANK.questions if not q.applies_to(ClinicSize.SOLO))
    parsed = parse_form({f"a:{other.id}": "yes", "a:no.such": "yes"}, BANK, ClinicSize.SOLO)
    assert len(parsed.answers) == 0
    assert parsed.errors == []


def test_not_applicable_is_never_offered_on_must_pass() -> None:
    for q in BANK.questions:
        offered = allowed_values(q)
        assert (AnswerValue.NOT_APPLICABLE in offered) is not q.must_pass
        assert all(q.answer_type.allows(v) for v in offered)
    must = next(q for q in QS if q.must_pass)
    parsed = parse_form({f"a:{must.id}": "not_applicable", f"j:{must.id}": "why"}, BANK, SIZE)
    assert [e.field for e in parsed.errors] == ["value"]


def test_raw_from_answers_round_trip() -> None:
    answers = Answers(
        answers={Q.id: Answer(value="no", justification="j", action_owner="o", action_due=date(2027, 1, 2))}
    )
    raw = raw_from_answers(answers)
    form = {f"a:{Q.id}": raw[Q.id].value, f"j:{Q.id}": raw[Q.id].justification}
    form |= {f"o:{Q.id}": raw[Q.id].owner, f"d:{Q.id}": raw[Q.id].due}
    assert parse_form(form, BANK, SIZE).answers == answers
