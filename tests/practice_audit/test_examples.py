from __future__ import annotations

from datetime import UTC, datetime

from sectool.practice_audit.examples import load_examples, seed_examples
from sectool.practice_audit.models import QuestionBank, Status
from sectool.practice_audit.scoring import score
from sectool.practice_audit.store import Store


def test_examples_cover_every_status_and_size(pa_bank: QuestionBank) -> None:
    examples = load_examples(pa_bank)
    assert len(examples) >= 5
    statuses = {score(pa_bank, e.answers, e.size, as_of=e.as_of.date()).status for e in examples}
    assert statuses == set(Status)
    assert {e.size for e in examples} == {"solo", "partnership", "large"}
    assert [e.as_of for e in examples] == sorted(e.as_of for e in examples)
    numbers = [e.provider_number for e in examples]
    assert len(set(numbers)) < len(numbers), "one clinic has a history"


def test_seed_examples(tmp_path: object, pa_bank: QuestionBank) -> None:
    store = Store(f"sqlite:///{tmp_path}/demo.sqlite", bank=pa_bank)
    now = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    try:
        tokens = seed_examples(store, now=now)
        clinics = store.list_clinics()
        assert len(clinics) == len(tokens) == len({e.provider_number for e in load_examples(pa_bank)})
        for number, token in tokens.items():
            assert store.clinic_for_token(token, now=now).provider_number == number
        aaparken = store.clinic_by_provider_number("041234")
        assert aaparken is not None
        history = store.submissions(aaparken.id)
        assert [s.result.status for s in history] == [Status.NOT_MET, Status.APPROACHING]
        assert history[0].submitted_at < history[1].submitted_at
    finally:
        store.close()


def test_public_surface_is_complete_and_lazy() -> None:
    import subprocess
    import sys

    import sectool.practice_audit as pa

    assert sorted(pa.__all__) == sorted(pa._EXPORTS)
    for name in pa.__all__:
        assert getattr(pa, name) is not None
    code = "import sys, sectool.cli; sys.exit('sqlalchemy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0
