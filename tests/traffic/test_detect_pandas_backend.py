from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from sectool.errors import InputError
from sectool.traffic.detect.backends.local import PandasBackend
from sectool.traffic.detect.filters import Eq, In
from sectool.traffic.detect.spec import (
    Candidates,
    Cardinality,
    Count,
    Having,
    Max,
    Min,
    MissingFieldError,
    Percentiles,
    Query,
    Series,
    Sum,
    Terms,
    table_columns,
)
from sectool.traffic.localstore import write_events

T0 = datetime(2026, 3, 3, 10, tzinfo=UTC)
SINCE, UNTIL = T0, T0 + timedelta(hours=3)


def ev(minutes: float, src: str, dst: str, port: int, sbytes: int = 100, **extra):
    return {
        "@timestamp": T0 + timedelta(minutes=minutes),
        "event.category": "network",
        "source.ip": src,
        "destination.ip": dst,
        "destination.port": port,
        "source.bytes": sbytes,
        **extra,
    }


# Deliberately out of time order, with an IPv6 address in two spellings.
EVENTS = [
    ev(70, "10.0.0.1", "10.0.0.9", 22, 300, **{"user.name": "bo"}),
    ev(5, "10.0.0.1", "10.0.0.9", 22, 100, **{"user.name": "bo"}),
    ev(10, "10.0.0.1", "10.0.0.9", 80, 200, **{"user.name": "ida"}),
    ev(15, "2001:db8::1", "10.0.0.9", 443, 50, **{"user.name": "bo"}),
    ev(75, "2001:0db8:0000::1", "10.0.0.9", 443, 50, **{"user.name": "bo"}),
    ev(20, "10.0.0.2", "10.0.0.9", 22, 10),
    ev(-30, "10.0.0.1", "10.0.0.9", 22, 999),  # before since: only seen with a lookback
    ev(200, "10.0.0.1", "10.0.0.9", 22, 999),  # after until
]


def frame(events) -> pd.DataFrame:
    df = pd.DataFrame(events)
    df["@timestamp"] = pd.to_datetime(df["@timestamp"], utc=True).astype("datetime64[ns, UTC]")
    df["destination.port"] = df["destination.port"].astype("Int64")
    df["source.bytes"] = df["source.bytes"].astype("Int64")
    return df


@pytest.fixture(params=[1, 2, 1000], ids=["chunk1", "chunk2", "one-chunk"])
def backend(request) -> PandasBackend:
    # Results must not depend on how the events are chunked.
    return PandasBackend.from_frame(frame(EVENTS), batch_size=request.param)


def test_windowed_metrics(backend):
    q = Query(
        "q",
        group_by=("source.ip",),
        metrics=(
            Count(),
            Sum("source.bytes"),
            Cardinality("destination.port"),
            Min("source.bytes"),
            Max("@timestamp"),
            Count(where=Eq("destination.port", 22), name="ssh"),
        ),
        interval=timedelta(hours=1),
    )
    t = backend.run(q, SINCE, UNTIL)
    assert list(t.columns) == table_columns(q)
    rows = [(r[0], r[1].isoformat(), *r[2:]) for r in t.itertuples(index=False, name=None)]
    assert [r[:7] for r in rows] == [
        (
            "10.0.0.1",
            "2026-03-03T10:00:00+00:00",
            2,
            300.0,
            2,
            100.0,
            pd.Timestamp(T0 + timedelta(minutes=10)),
        ),
        (
            "10.0.0.1",
            "2026-03-03T11:00:00+00:00",
            1,
            300.0,
            1,
            300.0,
            pd.Timestamp(T0 + timedelta(minutes=70)),
        ),
        ("10.0.0.2", "2026-03-03T10:00:00+00:00", 1, 10.0, 1, 10.0, pd.Timestamp(T0 + timedelta(minutes=20))),
        (
            "2001:db8::1",
            "2026-03-03T10:00:00+00:00",
            1,
            50.0,
            1,
            50.0,
            pd.Timestamp(T0 + timedelta(minutes=15)),
        ),
        (
            "2001:db8::1",
            "2026-03-03T11:00:00+00:00",
            1,
            50.0,
            1,
            50.0,
            pd.Timestamp(T0 + timedelta(minutes=75)),
        ),
    ]
    assert t["count:ssh"].tolist() == [1, 1, 1, 0, 0]
    assert str(t["window_start"].dtype) == "datetime64[ns, UTC]"
    assert t["count"].dtype == np.int64


def test_lookback_reads_before_since(backend):
    q = Query(
        "q", group_by=("source.ip",), metrics=(Count(), Sum("source.bytes")), lookback=timedelta(hours=1)
    )
    t = backend.run(q, SINCE, UNTIL).set_index("source.ip")
    assert t.loc["10.0.0.1", "count"] == 4
    assert t.loc["10.0.0.1", "sum:source.bytes"] == 1599.0


def test_terms_percentiles_and_having(backend):
    q = Query(
        "q",
        group_by=("destination.ip",),
        metrics=(
            Count(),
            Terms("user.name", size=1),
            Terms("source.ip", size=5),
            Percentiles("source.bytes", (50, 99.9)),
        ),
        having=(Having("count", ">=", 2),),
    )
    t = backend.run(q, SINCE, UNTIL)
    assert len(t) == 1
    row = t.iloc[0]
    assert row["terms:user.name"] == ["bo"]  # 4 x bo, 1 x ida
    assert row["terms:source.ip"] == ["10.0.0.1", "2001:db8::1", "10.0.0.2"]  # by count, then value
    assert row["p50:source.bytes"] == 75.0  # 10 50 50 | 100 200 300
    assert row["p99_9:source.bytes"] == pytest.approx(299.5)


def test_series_with_candidates(backend):
    q = Query(
        "q",
        group_by=("source.ip", "destination.ip"),
        metrics=(Count(), Series(("@timestamp", "source.bytes"))),
        candidates=Candidates(("source.ip", "destination.ip"), (Count(),), (Having("count", ">=", 3),)),
    )
    t = backend.run(q, SINCE, UNTIL)
    assert t["source.ip"].tolist() == ["10.0.0.1"]
    ms = int(T0.timestamp() * 1000)
    assert t.iloc[0]["series:@timestamp"] == [ms + 5 * 60_000, ms + 10 * 60_000, ms + 70 * 60_000]
    assert t.iloc[0]["series:source.bytes"] == [100.0, 200.0, 300.0]


def test_empty_range_gives_empty_table(backend):
    q = Query(
        "q", group_by=("source.ip",), metrics=(Count(), Sum("source.bytes")), interval=timedelta(hours=1)
    )
    t = backend.run(q, T0 + timedelta(days=5), T0 + timedelta(days=6))
    assert t.empty
    assert list(t.columns) == table_columns(q)
    # a filter that matches nothing, too
    q2 = Query("q", group_by=("source.ip",), metrics=(Count(),), filter=In("destination.port", (9,)))
    assert backend.run(q2, SINCE, UNTIL).empty


def test_missing_field_names_ecs_field(tmp_path):
    path = tmp_path / "ev.jsonl"
    write_events(path, [{k: v for k, v in e.items() if k != "user.name"} for e in EVENTS])
    q = Query("q", group_by=("user.name",), metrics=(Count(),))
    with pytest.raises(MissingFieldError) as exc:
        PandasBackend([path]).run(q, SINCE, UNTIL)
    assert isinstance(exc.value, InputError)
    assert exc.value.location.field == "user.name"
    assert "ECS field 'user.name' (keyword)" in str(exc.value)


def test_files_and_chunks_agree(tmp_path):
    parquet, jsonl = tmp_path / "ev.parquet", tmp_path / "ev.jsonl"
    write_events(parquet, EVENTS)
    write_events(jsonl, EVENTS)
    q = Query(
        "q",
        group_by=("source.ip", "destination.port"),
        metrics=(Count(), Cardinality("user.name")),
        interval=timedelta(minutes=30),
    )
    a = PandasBackend([parquet]).run(q, SINCE, UNTIL)
    b = PandasBackend([jsonl], batch_size=2).run(q, SINCE, UNTIL)
    c = PandasBackend.from_frame(frame(EVENTS)).run(q, SINCE, UNTIL)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    pd.testing.assert_frame_equal(a, c, check_dtype=False)


@pytest.mark.slow
def test_100k_hosts_in_bounded_memory(tmp_path):
    """100,000 distinct hosts (IPv4 and IPv6), read in chunks: memory follows the groups and
    one chunk, not the number of events."""
    n = 250_000
    rng = np.random.default_rng(7)
    hosts = rng.permutation(np.concatenate([np.arange(100_000), rng.integers(0, 100_000, n - 100_000)]))
    src = [f"10.{h >> 16 & 255}.{h >> 8 & 255}.{h & 255}" if h % 2 else f"fd00:0::{h:x}" for h in hosts]
    path = tmp_path / "big.parquet"
    events = (
        {
            "@timestamp": T0 + timedelta(seconds=i * 7919 % 10_800),  # out of order
            "source.ip": src[i],
            "destination.port": i % 1000,
            "source.bytes": 10,
        }
        for i in range(n)
    )
    write_events(path, events)
    q = Query(
        "q", group_by=("source.ip",), metrics=(Count(), Sum("source.bytes"), Cardinality("destination.port"))
    )
    tracemalloc.start()
    t = PandasBackend([path], batch_size=50_000).run(q, SINCE, UNTIL)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(t) == 100_000
    assert int(t["count"].sum()) == n
    assert "fd00::2" in set(t["source.ip"])  # IPv6 keys in canonical form
    assert peak < 250 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
