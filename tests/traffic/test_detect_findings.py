from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sectool.errors import InputError
from sectool.traffic.detect.findings import (
    Entity,
    Finding,
    read_jsonl,
    render_table,
    severity_for,
    split_new,
    write_jsonl,
)

T0 = datetime(2026, 3, 3, 10, tzinfo=UTC)


def finding(
    start: datetime = T0, value: str = "10.0.0.1", detector: str = "port_scan", score: float = 0.8
) -> Finding:
    return Finding(
        detector=detector,
        severity=severity_for(score),
        score=score,
        entity=Entity("host", value, (("source.ip", value),)),
        window_start=start,
        window_end=start + timedelta(hours=1),
        title="[bold]probe[/bold]",
        evidence={"distinct": 120, "first": start},
        query={"dsl": {"query": {"term": {"source.ip": value}}}, "kql": f'source.ip:"{value}"'},
        techniques=("T1046",),
    )


@pytest.mark.parametrize(
    ("score", "severity"),
    [(0.0, "low"), (0.49, "low"), (0.5, "medium"), (0.75, "high"), (0.9, "critical"), (1, "critical")],
)
def test_severity_bands(score, severity):
    assert severity_for(score) == severity


def test_id_is_deterministic_and_depends_on_detector_entity_window():
    a, b = finding(), finding()
    assert a.id == b.id
    assert (
        len(
            {
                a.id,
                finding(detector="beaconing").id,
                finding(value="10.0.0.2").id,
                finding(T0 + timedelta(hours=1)).id,
            }
        )
        == 4
    )
    # score and evidence are not part of the identity: a re-run with new numbers upserts
    assert finding(score=0.95).id == a.id


def test_dict_round_trip():
    f = finding()
    d = f.to_dict()
    assert d["window"] == {"start": "2026-03-03T10:00:00Z", "end": "2026-03-03T11:00:00Z"}
    assert d["entity"]["fields"] == {"source.ip": "10.0.0.1"}
    back = Finding.from_dict(json.loads(json.dumps(d)))
    assert back.id == f.id
    assert back.to_dict() == d


def test_jsonl_upserts_by_id(tmp_path):
    path = tmp_path / "f.jsonl"
    assert write_jsonl(path, [finding(), finding(value="10.0.0.2")]) == 2
    assert write_jsonl(path, [finding(score=0.99), finding(T0 + timedelta(hours=2))]) == 3
    got = {f.id: f for f in read_jsonl(path)}
    assert got[finding().id].score == 0.99


def test_bad_jsonl_names_line(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps(finding().to_dict()) + "\n" + '{"detector": "x"}\n')
    with pytest.raises(InputError) as exc:
        read_jsonl(path)
    assert exc.value.location.line == 2


def test_realert_window():
    realert = timedelta(hours=6)
    prev = [finding()]
    later = finding(T0 + timedelta(hours=3))  # within 6 h of the previous window's end
    much_later = finding(T0 + timedelta(hours=10))
    other = finding(T0 + timedelta(hours=3), value="10.9.9.9")
    new, repeated = split_new([much_later, later, other], prev, realert)
    assert [f.id for f in new] == [other.id, much_later.id]
    assert repeated == [later]
    # the same finding again is never new
    assert split_new([finding()], prev, realert) == ([], [finding()])
    # within one run, consecutive windows of the same entity report once
    run = [finding(T0 + timedelta(hours=h)) for h in range(9)]
    new, repeated = split_new(run, [], realert)
    # reported at 10:00, then again once the period after that report's window has passed
    assert [f.window_start.hour for f in new] == [10, 18]
    assert len(repeated) == 7  # 11:00 .. 17:00


def test_table_treats_text_as_plain():
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(render_table([finding()]))
    assert "[bold]probe[/bold]" in console.export_text()


@pytest.mark.parametrize(
    ("age_hours", "kept"),
    [(0, True), (23, True), (24, True), (25, False), (24 * 400, False)],
)
def test_state_drops_entries_whose_window_ended_before_keep_after(tmp_path, age_hours, kept):
    """``keep_after`` bounds the re-alert state: old windows go, recent ones and new ones stay."""
    path = tmp_path / "state.jsonl"
    now = T0 + timedelta(days=500)
    old = finding(now - timedelta(hours=age_hours + 1), value="10.9.9.9")  # window ends age_hours ago
    write_jsonl(path, [old])
    fresh = finding(now, value="10.0.0.1")
    held = write_jsonl(path, [fresh], keep_after=now - timedelta(hours=24))
    ids = {f.id for f in read_jsonl(path)}
    assert fresh.id in ids
    assert (old.id in ids) is kept
    assert held == (2 if kept else 1)
