"""The delivery journal (outbox + sent-list) and the bounded retries with back-off."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from sectool.alerting.journal import DeliveryJournal
from sectool.alerting.transport import ChannelError, with_retries
from sectool.errors import InputError

from .conftest import BASE, sample_findings

NOW = BASE + timedelta(hours=12)
KEEP = timedelta(days=30)


def test_queued_findings_survive_a_crash_and_sent_ones_are_never_queued_again(tmp_path: Path) -> None:
    path = tmp_path / "state" / "soc.json"
    findings = sample_findings()
    journal = DeliveryJournal.load(path, "soc")
    assert journal.enqueue(findings, now=NOW, keep=KEEP) == findings
    # a "crash" here: the queue is already on disk
    again = DeliveryJournal.load(path, "soc")
    assert [f.id for f in again.pending()] == [f.id for f in findings]
    again.mark_sent(findings[:2])
    third = DeliveryJournal.load(path, "soc")
    assert [f.id for f in third.pending()] == [f.id for f in findings[2:]]
    assert third.was_sent(findings[0].id)
    # the next run offers the same findings: none is queued twice
    assert third.enqueue(findings, now=NOW, keep=KEEP) == []
    assert len(third.pending()) == 4
    assert third.sent_count == 2
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["version"] == 1
    assert doc["channel"] == "soc"
    assert sorted(doc["sent"]) == sorted(f.id for f in findings[:2])


def test_keep_bounds_what_is_queued_and_remembered(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    findings = sample_findings()
    journal = DeliveryJournal.load(path, "c")
    journal.enqueue(findings, now=NOW, keep=KEEP)
    journal.mark_sent(findings)
    later = NOW + timedelta(days=40)
    # 40 days on: the findings are too old to send, and the journal forgets them
    assert journal.enqueue(findings, now=later, keep=KEEP) == []
    assert journal.sent_count == 0
    # a finding whose window ended within `keep` is queued; an older one is not
    recent = journal.enqueue(findings, now=findings[3].window_end + KEEP - timedelta(seconds=1), keep=KEEP)
    assert [f.id for f in recent] == [f.id for f in findings[3:]]


def test_pending_findings_older_than_keep_are_dropped_not_sent(tmp_path: Path) -> None:
    """A channel that stayed down longer than `keep`: what it could not send is forgotten, as
    `keep` says (findings whose window ended longer ago are not sent), and the outbox stays bounded."""
    path = tmp_path / "j.json"
    findings = sample_findings()
    journal = DeliveryJournal.load(path, "c")
    journal.enqueue(findings, now=NOW, keep=KEEP)
    # 40 days on, nothing was delivered in between
    later = DeliveryJournal.load(path, "c")
    assert later.enqueue([], now=NOW + timedelta(days=40), keep=KEEP) == []
    assert later.pending() == []
    assert DeliveryJournal.load(path, "c").pending() == []
    # within `keep` only the older ones go
    journal = DeliveryJournal.load(tmp_path / "k.json", "c")
    journal.enqueue(findings, now=NOW, keep=KEEP)
    journal.enqueue([], now=findings[3].window_end + KEEP - timedelta(seconds=1), keep=KEEP)
    assert [f.id for f in journal.pending()] == [f.id for f in findings[3:]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read the delivery journal"),
        ('{"version": 7}', "not a delivery journal"),
        ("[]", "not a delivery journal"),
        ('{"version": 1, "pending": {}, "sent": {}}', "not a delivery journal"),
        ('{"version": 1, "pending": [{"id": "x"}], "sent": {}}', "pending[0]"),
        ('{"version": 1, "pending": [1], "sent": {}}', "pending[0]"),
        ('{"version": 1, "pending": [], "sent": {"abc": "yesterday"}}', "sent.abc"),
        ('{"version": 1, "pending": [], "sent": {"abc": 7}}', "sent.abc"),
    ],
)
def test_damaged_journal_is_an_input_error_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "soc.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")) as info:
        DeliveryJournal.load(path, "soc")
    assert str(path) in str(info.value)


def test_journal_write_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "soc.json"
    journal = DeliveryJournal.load(path, "soc")
    journal.enqueue(sample_findings(), now=NOW, keep=KEEP)
    assert [p.name for p in tmp_path.iterdir()] == ["soc.json"]  # no temporary file left behind


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize(
    ("retries", "backoff", "max_backoff", "failures", "sleeps", "ok"),
    [
        (3, 1.0, 60.0, 0, [], True),
        (3, 1.0, 60.0, 2, [1.0, 2.0], True),
        (3, 1.0, 60.0, 3, [1.0, 2.0, 4.0], True),
        (3, 1.0, 60.0, 4, [1.0, 2.0, 4.0], False),
        (5, 2.0, 5.0, 9, [2.0, 4.0, 5.0, 5.0, 5.0], False),
        (0, 1.0, 60.0, 1, [], False),
    ],
)
def test_exponential_back_off_is_bounded(
    retries: int, backoff: float, max_backoff: float, failures: int, sleeps: list[float], ok: bool
) -> None:
    slept: list[float] = []
    calls = {"n": 0}

    def attempt() -> str:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise ChannelError(f"fail {calls['n']}")
        return "done"

    if ok:
        assert (
            with_retries(
                attempt, retries=retries, backoff=backoff, max_backoff=max_backoff, sleep=slept.append
            )
            == "done"
        )
    else:
        with pytest.raises(ChannelError, match=f"fail {retries + 1}"):
            with_retries(
                attempt, retries=retries, backoff=backoff, max_backoff=max_backoff, sleep=slept.append
            )
    assert slept == sleeps


def test_permanent_error_is_not_retried() -> None:
    slept: list[float] = []
    calls = {"n": 0}

    def attempt() -> None:
        calls["n"] += 1
        raise ChannelError("certificate", retryable=False)

    with pytest.raises(ChannelError, match="certificate"):
        with_retries(attempt, retries=5, backoff=1, max_backoff=10, sleep=slept.append)
    assert calls["n"] == 1
    assert slept == []
