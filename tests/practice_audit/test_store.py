from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sectool.errors import InputError
from sectool.practice_audit.errors import (
    AnswersError,
    ClinicChangeError,
    ClinicNotFoundError,
    ExpiredTokenError,
    InvalidTokenError,
)
from sectool.practice_audit.models import Answer, Answers, ClinicSize, QuestionBank, Status
from sectool.practice_audit.store import Store, default_url
from sectool.practice_audit.store.schema import SubmissionRow
from sectool.practice_audit.tokens import hash_token

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.sqlite"


@pytest.fixture
def store(db_path: Path, pa_bank: QuestionBank) -> Any:
    s = Store(f"sqlite:///{db_path}", bank=pa_bank, secret="pepper-for-tests")
    yield s
    s.close()


def _invite(store: Store, number: str = "012345", size: str = "partnership", name: str = "Lægehuset") -> Any:
    return store.create_invitation(
        clinic_name=name, provider_number=number, size=size, expires_at=LATER, now=NOW
    )


def _db_bytes(db_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def test_token_is_stored_only_as_hash(store: Store, db_path: Path) -> None:
    clinic, token = _invite(store)
    assert len(token) == 43
    store.close()  # checkpoint nothing away: the WAL and -shm files are read too
    raw = _db_bytes(db_path)
    assert token.encode() not in raw
    assert hash_token(token, "pepper-for-tests").encode() in raw
    assert store.clinic_for_token(token, now=NOW).id == clinic.id


def test_token_hash_depends_on_the_pepper(db_path: Path, pa_bank: QuestionBank) -> None:
    first = Store(f"sqlite:///{db_path}", bank=pa_bank, secret="one")
    _, token = _invite(first)
    first.close()
    second = Store(f"sqlite:///{db_path}", bank=pa_bank, secret="two")
    with pytest.raises(InvalidTokenError):
        second.clinic_for_token(token, now=NOW)
    second.close()


def test_pepper_from_environment(
    db_path: Path, pa_bank: QuestionBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECTOOL_AUDIT_SECRET", "env-pepper")
    s = Store(f"sqlite:///{db_path}", bank=pa_bank)
    _, token = _invite(s)
    s.close()
    assert hash_token(token, "env-pepper").encode() in _db_bytes(db_path)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t[:-1],
        lambda t: t + "A",
        lambda t: "",
        lambda t: "../../etc/passwd",
        lambda t: t.upper() if t.upper() != t else t.lower(),
        lambda t: "x" * 10_000,
        lambda t: t[:20] + "'; DROP TABLE audit_clinics; --",
    ],
    ids=["changed", "short", "long", "empty", "path", "case", "huge", "sql"],
)
def test_tampered_token_is_invalid(store: Store, mutate: Any) -> None:
    _, token = _invite(store)
    with pytest.raises(InvalidTokenError) as info:
        store.clinic_for_token(mutate(token), now=NOW)
    assert "not valid" in str(info.value)


def test_expired_token(store: Store) -> None:
    _, token = _invite(store)
    assert store.clinic_for_token(token, now=LATER - timedelta(seconds=1))
    for when in (LATER, LATER + timedelta(days=1)):
        with pytest.raises(ExpiredTokenError, match="expired"):
            store.clinic_for_token(token, now=when)


def test_expiry_must_be_in_the_future(store: Store) -> None:
    with pytest.raises(InputError, match="expire in the future"):
        store.create_invitation(clinic_name="A", provider_number="1", size="solo", expires_at=NOW, now=NOW)


def test_reinvite_keeps_the_clinic_and_revoke_ends_links(store: Store) -> None:
    first, t1 = _invite(store)
    with pytest.raises(
        ClinicChangeError, match=r"name 'Lægehuset' -> 'Lægehuset Nord' and size partnership -> large"
    ):
        _invite(store, name="Lægehuset Nord", size="large")
    assert store.open_invitations(first.id, now=NOW) == [LATER]
    second, t2 = store.create_invitation(
        clinic_name="Lægehuset Nord",
        provider_number="012345",
        size="large",
        expires_at=LATER,
        now=NOW,
        update=True,
    )
    assert first.id == second.id
    assert store.open_invitations(first.id, now=NOW) == [LATER, LATER]
    assert store.get_clinic(first.id).name == "Lægehuset Nord"
    assert store.get_clinic(first.id).size is ClinicSize.LARGE
    assert store.clinic_for_token(t1, now=NOW).id == store.clinic_for_token(t2, now=NOW).id
    assert store.revoke_invitations(first.id, now=NOW + timedelta(hours=1)) == 2
    for token in (t1, t2):
        with pytest.raises(ExpiredTokenError):
            store.clinic_for_token(token, now=NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    ("name", "number", "message"),
    [("", "1234", "must not be empty"), ("A\x00B", "1234", "control character U\\+0000 at position 2"),
     ("A\x1b]0;t\x07", "1234", "control character U\\+001B"), ("A\u202eB", "1234", "bidirectional"),
     ("A\x85B", "1234", "U\\+0085"), ("A", "12 34", "provider number"),
     ("A" * 201, "1", "at most 200")],
)  # fmt: skip
def test_bad_clinic_details(store: Store, name: str, number: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        store.create_invitation(
            clinic_name=name, provider_number=number, size="solo", expires_at=LATER, now=NOW
        )
    assert store.list_clinics() == []


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.create_invitation(
            clinic_name="A", provider_number="1", size="solo", expires_at=LATER, now=NOW.replace(tzinfo=None)
        )


def test_in_memory_sqlite_is_refused(pa_bank: QuestionBank) -> None:
    with pytest.raises(InputError, match="in-memory"):
        Store("sqlite://", bank=pa_bank)


def test_default_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECTOOL_AUDIT_DB", raising=False)
    assert default_url() == "sqlite:///.sectool/audit.sqlite"
    monkeypatch.setenv("SECTOOL_AUDIT_DB", "/srv/audit.db")
    assert default_url() == "sqlite:////srv/audit.db"
    monkeypatch.setenv("SECTOOL_AUDIT_DB", "postgresql+psycopg://u:p@h/db")
    assert default_url() == "postgresql+psycopg://u:p@h/db"


def _all(bank: QuestionBank, size: ClinicSize, value: str = "yes", **over: Any) -> Answers:
    answers = {q.id: Answer(value=value) for q in bank.questions_for(size)}  # type: ignore[arg-type]
    answers.update({k.replace("__", "."): Answer.model_validate(v) for k, v in over.items()})
    return Answers(answers=answers)


def test_drafts_are_separate_from_submissions(store: Store, pa_bank: QuestionBank) -> None:
    a, _ = _invite(store, "1001")
    b, _ = _invite(store, "1002")
    draft = Answers(answers={"org.owner": Answer(value="partly", justification="<script>x</script>")})
    assert store.get_draft(a.id) is None
    store.save_draft(a.id, draft, now=NOW)
    assert store.get_draft(a.id) == draft
    assert store.get_draft(b.id) is None
    assert store.submissions(a.id) == []
    newer = Answers(answers={"org.owner": Answer(value="yes")})
    store.save_draft(a.id, newer, now=NOW)
    assert store.get_draft(a.id) == newer
    sub = store.submit(a.id, _all(pa_bank, ClinicSize.PARTNERSHIP), now=NOW)
    assert store.get_draft(a.id) is None
    assert sub.version == 1
    store.save_draft(a.id, draft, now=NOW + timedelta(days=1))
    assert store.latest_submission(a.id) == sub
    assert store.list_clinics()[0].has_draft is True


def test_delete_draft_discards_only_that_clinics_draft(store: Store) -> None:
    a, _ = _invite(store, "1001")
    b, _ = _invite(store, "1002")
    draft = Answers(answers={"org.owner": Answer(value="partly", justification="later")})
    store.save_draft(a.id, draft, now=NOW)
    store.save_draft(b.id, draft, now=NOW)
    store.delete_draft(a.id)
    assert store.get_draft(a.id) is None
    assert store.get_draft(b.id) == draft
    assert {c.provider_number: c.has_draft for c in store.list_clinics()} == {"1001": False, "1002": True}
    store.delete_draft(a.id)  # nothing left to delete is not an error
    assert store.get_draft(a.id) is None


def test_submit_with_must_pass_missing_stores_nothing_and_keeps_the_draft(
    store: Store, pa_bank: QuestionBank
) -> None:
    clinic, _ = _invite(store)
    answers = _all(pa_bank, ClinicSize.PARTNERSHIP)
    partial = Answers(
        answers={k: v for k, v in answers.answers.items() if k not in ("org.owner", "access.mfa")}
    )
    store.save_draft(clinic.id, partial, now=NOW)
    with pytest.raises(AnswersError) as info:
        store.submit(clinic.id, partial, now=NOW)
    assert [(p.question_id, p.code) for p in info.value.problems] == [
        ("org.owner", "unanswered_must_pass"),
        ("access.mfa", "unanswered_must_pass"),
    ]
    assert store.submissions(clinic.id) == []
    assert store.get_draft(clinic.id) == partial


def test_history_is_immutable_and_ordered(store: Store, pa_bank: QuestionBank, db_path: Path) -> None:
    clinic, _ = _invite(store)
    size = ClinicSize.PARTNERSHIP
    first = store.submit(clinic.id, _all(pa_bank, size, access__mfa={"value": "no"}), now=NOW)
    second = store.submit(clinic.id, _all(pa_bank, size), now=NOW + timedelta(days=365))
    history = store.submissions(clinic.id)
    assert [s.version for s in history] == [1, 2]
    assert history[0] == first
    assert history[0].result.status is Status.NOT_MET
    assert history[1].result.status is Status.STANDARDS_MET
    assert store.latest_submission(clinic.id) == second
    assert store.previous_submission(clinic.id, 2) == first
    assert store.previous_submission(clinic.id, 1) is None
    # The ORM refuses to change or delete a stored submission.
    with Session(store._engine) as s:
        row = s.scalars(select(SubmissionRow)).first()
        assert row is not None
        row.status = "standards_met"
        with pytest.raises(RuntimeError, match="immutable"):
            s.commit()
    with Session(store._engine) as s:
        row = s.scalars(select(SubmissionRow)).first()
        s.delete(row)
        with pytest.raises(RuntimeError, match="immutable"):
            s.commit()
    assert store.submissions(clinic.id) == history


def test_unknown_clinic(store: Store) -> None:
    for call in (store.get_clinic, store.get_draft, store.submissions, store.latest_submission):
        with pytest.raises(ClinicNotFoundError):
            call(999)
    with pytest.raises(ClinicNotFoundError):
        store.save_draft(999, Answers(), now=NOW)


def test_concurrent_submits_from_threads_are_all_stored(store: Store, pa_bank: QuestionBank) -> None:
    size = ClinicSize.PARTNERSHIP
    clinics = [_invite(store, f"{2000 + i}", name=f"Klinik {i}")[0] for i in range(12)]
    questions = pa_bank.questions_for(size)
    optional = [q.id for q in questions if not q.must_pass]

    def answers_for(i: int, round_: int) -> Answers:
        # Each clinic/round gets a distinct fingerprint: one optional question answered "no".
        return _all(
            pa_bank, size, **{optional[(i + round_) % len(optional)].replace(".", "__"): {"value": "no"}}
        )

    start = threading.Barrier(8)

    def work(job: tuple[int, int]) -> tuple[int, int, int]:
        i, round_ = job
        if job[1] == 0 and i < 8:
            start.wait(timeout=30)
        sub = store.submit(clinics[i].id, answers_for(i, round_), now=NOW + timedelta(minutes=round_))
        return i, round_, sub.version

    jobs = [(i, r) for r in range(3) for i in range(len(clinics))]
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(work, jobs))
    assert len(done) == len(jobs)
    for i, clinic in enumerate(clinics):
        history = store.submissions(clinic.id)
        assert [s.version for s in history] == [1, 2, 3]
        fingerprints = {next(q for q, a in s.answers.answers.items() if a.value == "no") for s in history}
        assert fingerprints == {optional[(i + r) % len(optional)] for r in range(3)}
        assert all(s.clinic_id == clinic.id for s in history)


def test_concurrent_submits_to_one_clinic_get_distinct_versions(store: Store, pa_bank: QuestionBank) -> None:
    clinic, _ = _invite(store)
    answers = _all(pa_bank, ClinicSize.PARTNERSHIP)
    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = list(pool.map(lambda _: store.submit(clinic.id, answers, now=NOW).version, range(18)))
    assert sorted(versions) == list(range(1, 19))


def test_list_clinics_and_export_rows(store: Store, pa_bank: QuestionBank) -> None:
    a, _ = _invite(store, "3001", name='=HYPERLINK("http://x")', size="solo")
    b, _ = _invite(store, "3002", name="Bøgehuset", size="large")
    store.submit(a.id, _all(pa_bank, ClinicSize.SOLO, org__owner={"value": "no"}), now=NOW)
    store.submit(a.id, _all(pa_bank, ClinicSize.SOLO), now=NOW + timedelta(days=1))
    summaries = {c.provider_number: c for c in store.list_clinics()}
    assert summaries["3001"].submissions == 2
    assert summaries["3001"].status is Status.STANDARDS_MET
    assert summaries["3001"].maturity == 5
    assert summaries["3001"].last_submitted_at == NOW + timedelta(days=1)
    assert summaries["3002"].submissions == 0
    assert summaries["3002"].status is None
    assert summaries["3002"].token_expires_at == LATER
    rows = store.export_rows()
    assert [r["provider_number"] for r in rows] == ["3001", "3002"]  # ordered by name
    assert list(rows[0]) == store.export_columns()
    assert rows[0]["version"] == 2
    assert rows[0]["domain_access"] == 100.0
    assert rows[1]["status"] is None
    history = store.export_rows(all_versions=True)
    assert [(r["provider_number"], r["version"], r["status"]) for r in history] == [
        ("3001", 1, "not_met"),
        ("3001", 2, "standards_met"),
        ("3002", None, None),
    ]
    assert history[0]["must_pass_missing"] == "org.owner"
    assert b.id != a.id


def test_concurrent_invitations_of_one_clinic(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: _invite(store, "4000", name="Klinik"), range(16)))
    assert len({c.id for c, _ in results}) == 1
    assert len(store.list_clinics()) == 1
    assert {store.clinic_for_token(t, now=NOW).id for _, t in results} == {results[0][0].id}


def test_ensure_clinic_refuses_a_rename_and_each_version_keeps_its_size(
    store: Store, pa_bank: QuestionBank
) -> None:
    clinic = store.ensure_clinic(clinic_name="A", provider_number="55", size="partnership", now=NOW)
    store.submit(clinic.id, _all(pa_bank, ClinicSize.PARTNERSHIP), now=NOW)
    with pytest.raises(ClinicChangeError, match=r"provider number 55 belongs to 'A' \(partnership\)"):
        store.ensure_clinic(clinic_name="B", provider_number="55", size="partnership", now=NOW)
    assert store.get_clinic(clinic.id).name == "A"
    store.ensure_clinic(clinic_name="A", provider_number="55", size="solo", now=NOW, update=True)
    store.submit(clinic.id, _all(pa_bank, ClinicSize.SOLO), now=LATER)
    rows = store.export_rows(all_versions=True)
    assert [(r["version"], r["size"], r["questions"]) for r in rows] == [
        (1, "partnership", len(pa_bank.questions_for(ClinicSize.PARTNERSHIP))),
        (2, "solo", len(pa_bank.questions_for(ClinicSize.SOLO))),
    ]
    assert [s.size for s in store.submissions(clinic.id)] == [ClinicSize.PARTNERSHIP, ClinicSize.SOLO]
