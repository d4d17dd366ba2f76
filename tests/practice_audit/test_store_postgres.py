"""The store against a real PostgreSQL: a private server started for this module (never a shared one).

Debian's ``postgresql`` package provides the binaries; as root the server runs as the
``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sectool.practice_audit.errors import ExpiredTokenError, InvalidTokenError
from sectool.practice_audit.models import Answer, Answers, ClinicSize, QuestionBank, Status
from sectool.practice_audit.store import Store

pytestmark = pytest.mark.slow

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL binaries not found: apt-get install postgresql")
    bindir = Path(found[-1]).parent
    # Not under pytest's tmp folder: that one is private to the current user (0700).
    base = Path(tempfile.mkdtemp(prefix="sectool-pg-"))
    data = base / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*args: str) -> None:
        proc = subprocess.run([*prefix, *args], check=False, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            pytest.fail(f"{Path(args[0]).name} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "sectool", "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start")
    try:
        yield f"postgresql+psycopg://sectool@127.0.0.1:{port}/postgres"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_store(pg_url: str, pa_bank: QuestionBank) -> Iterator[Store]:
    store = Store(pg_url, bank=pa_bank, secret="pg-pepper")
    yield store
    store.close()


def _all_yes(bank: QuestionBank, size: ClinicSize) -> Answers:
    return Answers(answers={q.id: Answer(value="yes") for q in bank.questions_for(size)})  # type: ignore[arg-type]


def test_postgres_round_trip(pg_store: Store, pa_bank: QuestionBank) -> None:
    clinic, token = pg_store.create_invitation(
        clinic_name="Lægehuset Ø",
        provider_number="pg-1",
        size="solo",
        expires_at=NOW + timedelta(days=1),
        now=NOW,
    )
    assert pg_store.clinic_for_token(token, now=NOW).name == "Lægehuset Ø"
    with pytest.raises(InvalidTokenError):
        pg_store.clinic_for_token(token[:-1] + ("A" if token[-1] != "A" else "B"), now=NOW)
    with pytest.raises(ExpiredTokenError):
        pg_store.clinic_for_token(token, now=NOW + timedelta(days=1))
    pg_store.save_draft(clinic.id, Answers(answers={"org.owner": Answer(value="no")}), now=NOW)
    assert pg_store.get_draft(clinic.id) is not None
    sub = pg_store.submit(clinic.id, _all_yes(pa_bank, ClinicSize.SOLO), now=NOW)
    assert sub.result.status is Status.STANDARDS_MET
    assert sub.submitted_at == NOW
    assert pg_store.get_draft(clinic.id) is None
    summary = next(c for c in pg_store.list_clinics() if c.clinic_id == clinic.id)
    assert (summary.submissions, summary.maturity) == (1, 5)
    assert any(r["provider_number"] == "pg-1" and r["version"] == 1 for r in pg_store.export_rows())


def test_postgres_concurrent_submits_get_distinct_versions(pg_store: Store, pa_bank: QuestionBank) -> None:
    clinic, _ = pg_store.create_invitation(
        clinic_name="Samtidig",
        provider_number="pg-2",
        size="large",
        expires_at=NOW + timedelta(days=1),
        now=NOW,
    )
    answers = _all_yes(pa_bank, ClinicSize.LARGE)
    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(lambda _: pg_store.submit(clinic.id, answers, now=NOW).version, range(24)))
    assert sorted(versions) == list(range(1, 25))
    assert [s.version for s in pg_store.submissions(clinic.id)] == list(range(1, 25))


def test_postgres_concurrent_invitations_of_one_clinic(pg_store: Store) -> None:
    def invite(i: int) -> tuple[int, str]:
        clinic, token = pg_store.create_invitation(
            clinic_name="Klinik",
            provider_number="pg-3",
            size="solo",
            expires_at=NOW + timedelta(days=1),
            now=NOW,
        )
        return clinic.id, token

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(invite, range(16)))
    assert len({cid for cid, _ in results}) == 1
    assert {pg_store.clinic_for_token(t, now=NOW).id for _, t in results} == {results[0][0]}
