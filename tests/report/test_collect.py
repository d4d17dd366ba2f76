"""Adapters from the other areas' real outputs to the report model."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sectool.errors import InputError
from sectool.practice_audit.export import admin_json
from sectool.report.collect import (
    practice_from_answer_files,
    practice_from_export,
    practice_from_store,
    risk_from_register,
    risk_from_scored_dict,
    traffic_from_dicts,
    traffic_from_jsonl,
)
from sectool.report.model import parse_period

EXAMPLES = Path(__file__).resolve().parents[2] / "sectool" / "practice_audit" / "data" / "example_answers"


def test_risk_from_the_example_register() -> None:
    from sectool.iso27001 import EXAMPLE_AS_OF, EXAMPLE_REGISTER

    risk, scored = risk_from_register(EXAMPLE_REGISTER, as_of=EXAMPLE_AS_OF)
    assert len(risk.risks) == scored["summary"]["risks"]
    assert sum(r.above_appetite for r in risk.risks) == scored["summary"]["above_appetite"]
    assert {f.kind for f in risk.findings} >= {"review_overdue", "acceptance_expired"}
    # The heat map built from the adapted tiers equals the register's own heat map.
    inherent = [[0] * len(risk.matrix.impact_levels) for _ in risk.matrix.likelihood_levels]
    for r in risk.risks:
        inherent[r.inherent.likelihood][r.inherent.impact] += 1
    for cell in scored["heatmap"]["inherent"]:
        assert inherent[cell["likelihood"] - 1][cell["impact"] - 1] == cell["count"]
        assert risk.matrix.cell_levels[cell["likelihood"] - 1][cell["impact"] - 1] == cell["level"]
    assert risk.matrix.level_labels[risk.matrix.level_order[-1]].da  # Danish labels carried over


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"kind": "other"}, "not a scored risk register"),
        ({"schema_version": 99}, "unsupported schema_version"),
    ],
)
def test_risk_json_is_checked(patch: dict, message: str) -> None:
    from sectool.iso27001 import EXAMPLE_AS_OF, EXAMPLE_REGISTER

    _, scored = risk_from_register(EXAMPLE_REGISTER, as_of=EXAMPLE_AS_OF)
    with pytest.raises(InputError, match=message):
        risk_from_scored_dict({**scored, **patch}, file="x.json")
    broken = {**scored, "risks": [{"id": "R-1"}]}
    with pytest.raises(InputError, match="malformed scored register"):
        risk_from_scored_dict(broken, file="x.json")


def test_practice_from_answer_files_keeps_latest_per_clinic() -> None:
    files = sorted(EXAMPLES.glob("*.yml"))
    data = practice_from_answer_files(files, as_of=date(2026, 12, 31))
    names = [c.name for c in data.clinics]
    assert len(names) == len(set(names)) < len(files)  # one clinic has two years of answers
    assert all(c.submitted and c.status in ("met", "approaching", "not_met") for c in data.clinics)
    assert len(data.domains) >= 9
    assert len(data.questions) >= 40
    # As of early 2025 only the 2025 answers exist.
    early = practice_from_answer_files(files, as_of=date(2025, 6, 30))
    assert 1 <= len(early.clinics) < len(data.clinics)


def test_practice_from_store_and_export(tmp_path: Path) -> None:
    from sectool.practice_audit.answers_file import load_answers_file
    from sectool.practice_audit.store import Store

    store = Store(f"sqlite:///{tmp_path / 'audit.db'}", secret="s")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    doc = load_answers_file(EXAMPLES / "torvet.yml", store.bank)
    clinic, _ = store.create_invitation(
        clinic_name="<script>x</script>",
        provider_number="111",
        size=doc.size,
        expires_at=datetime(2026, 12, 1, tzinfo=UTC),
        now=now,
    )
    store.submit(clinic.id, doc.answers, now=now)
    store.create_invitation(
        clinic_name="Silent clinic",
        provider_number="222",
        size="solo",
        expires_at=datetime(2026, 12, 1, tzinfo=UTC),
        now=now,
    )
    rows = store.export_rows()
    store.close()

    data = practice_from_store(f"sqlite:///{tmp_path / 'audit.db'}", period=parse_period("2026-Q4"))
    by_name = {c.name: c for c in data.clinics}
    assert by_name["<script>x</script>"].submitted
    assert not by_name["Silent clinic"].submitted
    assert by_name["<script>x</script>"].gaps  # the improvement plan's questions
    # Invited after the period: not part of it.
    assert (
        practice_from_store(f"sqlite:///{tmp_path / 'audit.db'}", period=parse_period("2026-Q3")).clinics
        == []
    )

    export = tmp_path / "export.json"
    export.write_text(json.dumps(rows, default=str), encoding="utf-8")
    exported = practice_from_export(export)
    assert [c.name for c in exported.clinics] == [r["clinic"] for r in rows]
    # The envelope written by `sectool audit export --format json` and the web admin.
    enveloped = tmp_path / "admin.json"
    enveloped.write_text(admin_json(rows, generated_at=datetime(2026, 12, 1, tzinfo=UTC)), encoding="utf-8")
    assert [c.name for c in practice_from_export(enveloped).clinics] == [r["clinic"] for r in rows]
    got = {c.name: c for c in exported.clinics}["<script>x</script>"]
    want = by_name["<script>x</script>"]
    assert (got.status, got.maturity) == (want.status, want.maturity)
    assert got.domain_scores == pytest.approx(want.domain_scores, abs=0.06)


def test_export_errors(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps([{"clinic": "a", "status": "great"}]), encoding="utf-8")
    with pytest.raises(InputError, match=r"rows\[0\].status.*unknown status"):
        practice_from_export(path)


def test_traffic_from_finding_dicts() -> None:
    base = {
        "detector": "beaconing",
        "severity": "high",
        "score": 0.9,
        "title": "Beacon",
        "entity": {
            "kind": "pair",
            "value": "10.0.0.5 -> 185.1.2.3",
            "fields": {"source.ip": "10.0.0.5", "destination.ip": "185.1.2.3"},
        },
        "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-01T06:00:00Z"},
        "techniques": ["T1071", "T1573"],
    }
    data = traffic_from_dicts([{**base, "id": "a"}, {**base, "id": "a", "score": 0.95}, {**base, "id": "b"}])
    assert [f.id for f in data.findings] == ["a", "b"]  # a repeated id keeps its last version
    assert data.findings[0].score == 0.95
    assert data.findings[0].service == "185.1.2.3"
    assert data.data_from == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(InputError, match="unknown severity"):
        traffic_from_dicts([{**base, "severity": "urgent"}])
    with pytest.raises(InputError, match="not an ISO 8601 time"):
        traffic_from_dicts([{**base, "window": {"start": "yesterday", "end": "today"}}])


_GOOD_LINE = {
    "id": "a",
    "detector": "brute_force",
    "severity": "high",
    "score": 0.9,
    "entity": {"kind": "host", "value": "10.0.0.5"},
    "window": {"start": "2026-11-24T10:00:00Z", "end": "2026-11-24T11:00:00Z"},
}


@pytest.mark.parametrize(
    ("patch", "field", "value"),
    [
        ({"severity": "urgent"}, "field 'severity'", "got 'urgent'"),
        (
            {"window": {"start": "yesterday", "end": "2026-11-24T11:00:00Z"}},
            "field 'window.start'",
            "got 'yesterday'",
        ),
        ({"score": "high"}, "field 'score'", "got 'high'"),
        ({"detector": None}, "", ""),
    ],
)
def test_jsonl_errors_name_file_line_field_and_value(
    tmp_path: Path, patch: dict, field: str, value: str
) -> None:
    first = tmp_path / "a.jsonl"
    first.write_text(json.dumps(_GOOD_LINE) + "\n", encoding="utf-8")
    bad = {k: v for k, v in {**_GOOD_LINE, "id": "b", **patch}.items() if v is not None}
    second = tmp_path / "b.jsonl"
    second.write_text(
        "\n" + json.dumps({**_GOOD_LINE, "id": "c"}) + "\n" + json.dumps(bad) + "\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        traffic_from_jsonl([first, second])
    message = str(info.value)
    # The third line of the second file, not "line 2" of a joined list of file names.
    assert message.startswith(f"{second}:3, "), message
    assert str(first) not in message
    assert (field or "field 'detector'") in message
    assert (value or "missing field") in message
