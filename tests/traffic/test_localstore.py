from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from sectool.errors import InputError
from sectool.traffic import localstore
from sectool.traffic.localstore import event_id, iter_event_batches, read_events, write_events

T0 = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)


def _events(n: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(n):
        event: dict[str, object] = {
            "@timestamp": T0 + timedelta(seconds=i),
            "event.kind": "event",
            "event.category": "network",
            "source.ip": f"10.0.0.{i % 250 + 1}",
            "source.port": 40000 + i,
            "destination.ip": "2001:db8::1",
            "destination.port": 443,
            "source.bytes": i * 10,
            "event.duration": 1_500_000_000,
        }
        if i % 2:
            event["dns.answers.data"] = ["1.2.3.4", "5.6.7.8"]
        out.append(event)
    return out


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".ndjson"])
def test_round_trip_types(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"ev{suffix}"
    events = _events(5)
    assert write_events(path, events) == 5
    df = read_events([path])
    assert len(df) == 5
    assert str(df["@timestamp"].dtype) == "datetime64[ns, UTC]"
    assert df["@timestamp"].iloc[0] == pd.Timestamp(T0)
    assert list(df["source.port"]) == [40000 + i for i in range(5)]
    assert df["event.duration"].iloc[0] == 1_500_000_000
    assert df["destination.ip"].iloc[0] == "2001:db8::1"
    assert df["dns.answers.data"].iloc[1] == ["1.2.3.4", "5.6.7.8"]
    assert df["dns.answers.data"].iloc[0] is None or pd.isna(df["dns.answers.data"].iloc[0])


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_columns_and_time_window(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"ev{suffix}"
    write_events(path, _events(10))
    df = read_events(
        [path],
        columns=["source.ip", "user.name"],
        since=T0 + timedelta(seconds=2),
        until=T0 + timedelta(seconds=5),
    )
    assert len(df) == 3  # since inclusive, until exclusive
    assert "source.ip" in df.columns
    assert "@timestamp" not in df.columns
    if suffix == ".jsonl":
        assert "user.name" not in df.columns  # missing columns absent


def test_batches_bounded(tmp_path: Path) -> None:
    path = tmp_path / "ev.parquet"
    write_events(path, _events(25))
    sizes = [len(b) for b in iter_event_batches([path], batch_size=10)]
    assert sum(sizes) == 25
    assert max(sizes) <= 10


def test_jsonl_timestamp_format(tmp_path: Path) -> None:
    path = tmp_path / "ev.jsonl"
    write_events(path, _events(1))
    assert '"@timestamp":"2026-03-01T08:00:00.123456Z"' in path.read_text()


def test_unknown_field_rejected_and_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "ev.parquet"
    with pytest.raises(InputError, match=r"not.*ECS") as exc:
        write_events(path, [*_events(2), {"@timestamp": T0, "bogus.field": 1}])
    assert "bogus.field" in str(exc.value)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_wrong_type_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"source\.port"):
        write_events(tmp_path / "ev.parquet", [{"@timestamp": T0, "source.port": "http"}])


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.csv"):
        write_events(tmp_path / "ev.csv", [])


def test_jsonl_unknown_field_on_read_names_line(tmp_path: Path) -> None:
    path = tmp_path / "ev.jsonl"
    path.write_text('{"@timestamp":"2026-01-01T00:00:00Z"}\n{"nope":1}\n')
    with pytest.raises(InputError, match=r"ev.jsonl:2.*nope"):
        read_events([path])


def test_event_id_is_representation_independent() -> None:
    base = {"@timestamp": T0, "source.ip": "10.0.0.1", "source.port": 5}
    same = {
        "source.port": 5,
        "source.ip": "10.0.0.1",
        "@timestamp": pd.Timestamp(T0),
        "user.name": None,
        "log.file.path": "elsewhere.pcap",
    }
    assert event_id(base) == event_id(same)
    assert event_id(base) != event_id({**base, "source.port": 6})
    assert len(event_id(base)) == 32


def test_iso_z_keeps_nanoseconds() -> None:
    ts = pd.Timestamp("2026-01-01T00:00:00.000000001Z")
    assert localstore.iso_z(ts) == "2026-01-01T00:00:00.000000001Z"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "ev.parquet"
    assert write_events(path, []) == 0
    assert len(read_events([path])) == 0


def test_damaged_parquet_pages_are_an_input_error(tmp_path: Path) -> None:
    """The footer reads fine, a data page does not: a clear error naming the file, not an internal one."""
    path = tmp_path / "ev.parquet"
    write_events(path, _events(5000))
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 8, len(data) // 2, 7):  # the column chunks, not the footer
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="damaged Parquet file after row 0") as info:
        read_events([path])
    assert info.value.location.file == str(path)
