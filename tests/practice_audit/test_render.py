from __future__ import annotations

import json
from datetime import UTC, date, datetime
from io import StringIO
from typing import Any

from rich.console import Console

from sectool.practice_audit.compare import compare
from sectool.practice_audit.export import admin_csv, admin_json, print_result, result_json, result_markdown
from sectool.practice_audit.i18n import ANSWER_LABELS, MATURITY_LABELS, SIZE_LABELS, STATUS_LABELS, TEXTS
from sectool.practice_audit.models import AnswerValue, ClinicSize, QuestionBank, Status
from sectool.practice_audit.scoring import score


def test_every_label_in_both_languages() -> None:
    assert set(STATUS_LABELS) == set(Status)
    assert set(ANSWER_LABELS) == set(AnswerValue)
    assert set(SIZE_LABELS) == set(ClinicSize)
    assert set(MATURITY_LABELS) == {1, 2, 3, 4, 5}
    for table in (STATUS_LABELS, ANSWER_LABELS, SIZE_LABELS, MATURITY_LABELS, TEXTS):
        for text in table.values():  # type: ignore[attr-defined]
            assert text.da.strip()
            assert text.en.strip()


def test_print_result_treats_clinic_text_as_text(pa_bank: QuestionBank, pa_answers: Any) -> None:
    answers = pa_answers(pa_bank, "solo", {"org.owner": {"value": "no", "action_owner": "[bold red]x[/]",
                                                           "action_due": "2030-01-01"}})  # fmt: skip
    result = score(pa_bank, answers, ClinicSize.SOLO, as_of=date(2026, 1, 1))
    buffer = StringIO()
    print_result(
        Console(file=buffer, width=200, color_system=None), result, "en", clinic="[link=x]Evil[/link]"
    )
    out = buffer.getvalue()
    assert "[bold red]x[/]" in out
    assert "[link=x]Evil[/link]" in out
    assert "Approaching standards" in out
    assert "MUST-PASS" in out


def test_result_json_and_markdown_with_comparison(pa_bank: QuestionBank, pa_answers: Any) -> None:
    prev = score(
        pa_bank, pa_answers(pa_bank, "solo", {"org.owner": "no"}), ClinicSize.SOLO, as_of=date(2025, 1, 1)
    )
    cur = score(pa_bank, pa_answers(pa_bank, "solo"), ClinicSize.SOLO, as_of=date(2026, 1, 1))
    data = json.loads(result_json(cur, compare(prev, cur)))
    assert data["result"]["status"] == "standards_met"
    assert data["comparison"]["status_change"] == "improved"
    md = result_markdown(cur, "da", comparison=compare(prev, cur))
    assert "## Udvikling siden sidste besvarelse" in md
    assert "Ingen mangler" in md
    gaps = result_markdown(prev, "en")
    assert "A.5.2 Information security roles and responsibilities" in gaps


def test_admin_exports_neutralise_and_keep_order() -> None:
    rows = [{"clinic": "=1+2", "status": None, "maturity": 3}]
    text = admin_csv(rows, ["maturity", "clinic", "status"])
    assert text.splitlines() == ["maturity,clinic,status", "3,'=1+2,"]
    payload = json.loads(admin_json(rows, generated_at=datetime(2026, 1, 1, tzinfo=UTC)))
    assert payload == {"generated_at": "2026-01-01T00:00:00+00:00", "clinics": rows}
