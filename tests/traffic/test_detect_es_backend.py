"""The Elasticsearch backend against the real node, with small specs written for these tests.

An independent pandas computation over the same events is the oracle for the aggregated
metrics; hand-written expectations cover candidates, series, errors and edge cases.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from sectool.errors import InputError, ServiceError
from sectool.traffic.detect.backends.es import ElasticsearchBackend, query_dsl
from sectool.traffic.detect.backends.es_connect import connect
from sectool.traffic.detect.backends.es_testing import ecs_mapping, event_index
from sectool.traffic.detect.filters import And, Cidr, Eq, Exists, In, Not, Range
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
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)
SOURCES = ["10.0.0.1", "10.0.0.2", "2001:db8::a", "2001:db8:0:1::5", "192.168.7.9"]
DESTS = ["8.8.8.8", "2a00:1450:4001::200e", "10.0.0.1", "93.184.216.34"]


def _events(n: int = 600, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for _ in range(n):
        ev: dict[str, Any] = {
            "@timestamp": T0 + timedelta(seconds=rng.uniform(-3600, 4 * 3600)),
            "event.category": rng.choice(["network", "authentication"]),
            "event.outcome": rng.choice(["success", "failure"]),
            "source.ip": rng.choice(SOURCES),
            "destination.ip": rng.choice(DESTS),
            "destination.port": rng.choice([22, 53, 443, 3389, 8080]),
        }
        if rng.random() < 0.9:  # some events lack bytes: sum counts them as 0, series as nan
            ev["source.bytes"] = rng.randint(0, 50_000)
        out.append(ev)
    rng.shuffle(out)  # indexing order must not matter
    return out


EVENTS = _events()


@pytest.fixture(scope="module")
def es_index(es: Any) -> Iterator[str]:
    with event_index(es, EVENTS, shards=2) as name:
        yield name


@pytest.fixture
def frame() -> pd.DataFrame:
    df = pd.DataFrame(EVENTS)
    df["@timestamp"] = pd.to_datetime(df["@timestamp"], utc=True).dt.floor("ms")
    return df


def _ms(ts: pd.Series) -> pd.Series:
    return ts.dt.as_unit("ns").astype("int64") // 1_000_000


def _in_range(df: pd.DataFrame, since: datetime, until: datetime) -> pd.DataFrame:
    return df[(df["@timestamp"] >= pd.Timestamp(since)) & (df["@timestamp"] < pd.Timestamp(until))]


def test_windowed_metrics_match_an_independent_pandas_computation(
    es: Any, es_index: str, frame: pd.DataFrame
) -> None:
    query = Query(
        "q",
        ("source.ip", "destination.port"),
        (
            Count(),
            Count(where=Eq("event.outcome", "failure"), name="failed"),
            Sum("source.bytes"),
            Min("@timestamp"),
            Max("source.bytes"),
            Cardinality("destination.ip"),
        ),
        filter=And((Eq("event.category", "network"), Not(Cidr("destination.ip", ("10.0.0.0/8",))))),
        interval=timedelta(minutes=30),
        lookback=timedelta(minutes=30),
    )
    got = ElasticsearchBackend(es, es_index, page_size=7).run(query, T0, T0 + timedelta(hours=3))

    df = _in_range(frame, T0 - timedelta(minutes=30), T0 + timedelta(hours=3))
    df = df[(df["event.category"] == "network") & (df["destination.ip"] != "10.0.0.1")].copy()
    df["window_start"] = df["@timestamp"].dt.floor("30min")
    df["failed"] = df["event.outcome"] == "failure"
    exp = (
        df.groupby(["source.ip", "destination.port", "window_start"])
        .agg(
            count=("source.ip", "size"),
            failed=("failed", "sum"),
            bytes=("source.bytes", "sum"),
            first=("@timestamp", "min"),
            maxb=("source.bytes", "max"),
            card=("destination.ip", "nunique"),
        )
        .reset_index()
        .sort_values(["source.ip", "destination.port", "window_start"])
        .reset_index(drop=True)
    )
    assert len(got) == len(exp) > 20
    assert list(got.columns) == [
        "source.ip",
        "destination.port",
        "window_start",
        "count",
        "count:failed",
        "sum:source.bytes",
        "min:@timestamp",
        "max:source.bytes",
        "cardinality:destination.ip",
    ]
    assert got["source.ip"].tolist() == exp["source.ip"].tolist()
    assert got["destination.port"].tolist() == exp["destination.port"].tolist()
    assert got["window_start"].tolist() == exp["window_start"].tolist()
    assert got["count"].tolist() == exp["count"].tolist()
    assert got["count:failed"].tolist() == exp["failed"].astype(int).tolist()
    assert got["sum:source.bytes"].tolist() == exp["bytes"].astype(float).tolist()
    assert got["min:@timestamp"].tolist() == exp["first"].tolist()
    assert got["max:source.bytes"].fillna(-1).tolist() == exp["maxb"].astype(float).fillna(-1).tolist()
    assert got["cardinality:destination.ip"].tolist() == exp["card"].tolist()
    assert str(got["window_start"].dtype) == "datetime64[ns, UTC]"
    assert got["count"].dtype == "int64"
    assert got["destination.port"].dtype == "int64"


@pytest.mark.parametrize(
    ("flt", "expected_mask"),
    [
        (Cidr("source.ip", ("2001:db8::/32",)), lambda d: d["source.ip"].str.startswith("2001:db8")),
        (
            Cidr("source.ip", ("10.0.0.0/8", "2001:db8:0:1::/64")),
            lambda d: d["source.ip"].isin(["10.0.0.1", "10.0.0.2", "2001:db8:0:1::5"]),
        ),
        (Eq("source.ip", "2001:0DB8:0:0:0:0:0:A"), lambda d: d["source.ip"] == "2001:db8::a"),
        (In("destination.port", (22, 3389)), lambda d: d["destination.port"].isin([22, 3389])),
        (Range("source.bytes", gte=1000, lt=20_000), lambda d: d["source.bytes"].between(1000, 19_999)),
        (Not(Exists("source.bytes")), lambda d: d["source.bytes"].isna()),
        (Not(Range("source.bytes", gte=1000)), lambda d: ~(d["source.bytes"] >= 1000)),
    ],
)
def test_filters_push_down_with_pandas_semantics(
    es: Any, es_index: str, frame: pd.DataFrame, flt: Any, expected_mask: Any
) -> None:
    query = Query("f", ("source.ip",), (Count(),), filter=flt)
    got = ElasticsearchBackend(es, es_index).run(query, T0, T0 + timedelta(hours=2))
    df = _in_range(frame, T0, T0 + timedelta(hours=2))
    df = df[expected_mask(df).fillna(False).astype(bool)]
    exp = df.groupby("source.ip").size().sort_index()
    assert dict(zip(got["source.ip"], got["count"], strict=True)) == exp.to_dict()
    assert len(got) >= 1


def test_percentiles_and_terms(es: Any, es_index: str, frame: pd.DataFrame) -> None:
    query = Query(
        "p",
        ("destination.port",),
        (Percentiles("source.bytes", (50.0, 90.0)), Terms("source.ip", 2)),
    )
    got = ElasticsearchBackend(es, es_index).run(query, T0, T0 + timedelta(hours=1))
    df = _in_range(frame, T0, T0 + timedelta(hours=1))
    for row in got.itertuples(index=False):
        part = df[df["destination.port"] == row[0]]
        for pct, value in ((0.5, row[1]), (0.9, row[2])):
            exact = float(part["source.bytes"].quantile(pct))
            # TDigest: exact for these small groups up to its interpolation; 2% of the range.
            assert math.isclose(value, exact, abs_tol=0.02 * 50_000), (row[0], pct, value, exact)
        counts = part.groupby("source.ip").size().reset_index(name="n")
        top = counts.sort_values(["n", "source.ip"], ascending=[False, True])["source.ip"].head(2)
        assert row[3] == top.tolist()


def test_candidates_then_series(es: Any, es_index: str, frame: pd.DataFrame) -> None:
    series = Series(of=("@timestamp", "source.bytes"), limit=5)
    query = Query(
        "beacon",
        ("source.ip", "destination.ip"),
        (Count(), series),
        candidates=Candidates(
            ("source.ip", "destination.ip"), (Count(),), (Having("count", ">=", 12),), limit=3
        ),
    )
    backend = ElasticsearchBackend(es, es_index, key_chunk=2, hits_page_size=4)
    got = backend.run(query, T0, T0 + timedelta(hours=3))

    df = _in_range(frame, T0, T0 + timedelta(hours=3))
    counts = df.groupby(["source.ip", "destination.ip"]).size().reset_index(name="n")
    counts = counts[counts["n"] >= 12].sort_values(
        ["n", "source.ip", "destination.ip"], ascending=[False, True, True]
    )
    top = counts.head(3)
    assert len(top) == 3
    assert sorted(zip(got["source.ip"], got["destination.ip"], strict=True)) == sorted(
        zip(top["source.ip"], top["destination.ip"], strict=True)
    )
    for row in got.itertuples(index=False):
        part = df[(df["source.ip"] == row[0]) & (df["destination.ip"] == row[1])].copy()
        assert row[2] == len(part)
        part["ms"] = _ms(part["@timestamp"])
        part = part.sort_values(["ms", "source.bytes"], na_position="last").head(5)
        assert row[3] == part["ms"].tolist()
        assert [(-1.0 if math.isnan(v) else v) for v in row[4]] == part["source.bytes"].fillna(-1).tolist()


def test_windowed_series_and_having(es: Any, es_index: str, frame: pd.DataFrame) -> None:
    query = Query(
        "s",
        ("source.ip",),
        (Count(), Series()),
        filter=Eq("destination.port", 443),
        interval=timedelta(hours=1),
        having=(Having("count", ">", 5),),
    )
    got = ElasticsearchBackend(es, es_index).run(query, T0, T0 + timedelta(hours=2))
    df = _in_range(frame, T0, T0 + timedelta(hours=2))
    df = df[df["destination.port"] == 443].copy()
    df["w"] = df["@timestamp"].dt.floor("1h")
    groups = df.groupby(["source.ip", "w"])
    expected = {k: g for k, g in groups if len(g) > 5}
    assert len(got) == len(expected) >= 1
    for row in got.itertuples(index=False):
        g = expected[(row[0], row[1])]
        assert row[2] == len(g)
        assert row[3] == sorted(_ms(g["@timestamp"]).tolist())


def test_range_without_data_is_an_empty_table_not_an_error(es: Any, es_index: str) -> None:
    query = Query("e", ("source.ip",), (Count(), Series()), interval=timedelta(hours=1))
    got = ElasticsearchBackend(es, es_index).run(query, T0 + timedelta(days=30), T0 + timedelta(days=31))
    assert got.empty
    assert list(got.columns) == ["source.ip", "window_start", "count", "series:@timestamp"]


def test_candidates_none_pass_is_an_empty_table(es: Any, es_index: str) -> None:
    query = Query(
        "c",
        ("source.ip",),
        (Count(),),
        candidates=Candidates(("source.ip",), (Count(),), (Having("count", ">=", 10**9),)),
    )
    assert ElasticsearchBackend(es, es_index).run(query, T0, T0 + timedelta(hours=1)).empty


def test_missing_field_names_the_field_and_the_ecs_type(es: Any) -> None:
    mapping = ecs_mapping()
    del mapping["properties"]["user"]
    with event_index(es, EVENTS[:5], mapping=mapping) as name:
        backend = ElasticsearchBackend(es, name)
        with pytest.raises(MissingFieldError) as info:
            backend.run(Query("brute", ("user.name",), (Count(),)), T0, T0 + timedelta(hours=1))
    assert info.value.location.field == "user.name"
    assert "has no field 'user.name'" in str(info.value)
    assert "the detector query 'brute' needs" in str(info.value)
    assert "ECS field 'user.name' mapped as 'keyword'" in str(info.value)
    assert info.value.exit_code == 2


def test_wrong_field_type_is_an_input_error(es: Any) -> None:
    mapping = ecs_mapping()
    mapping["properties"]["source"]["properties"]["ip"] = {"type": "keyword"}
    with (
        event_index(es, EVENTS[:5], mapping=mapping) as name,
        pytest.raises(MissingFieldError, match=r"field 'source.ip' .* is mapped as keyword") as info,
    ):
        ElasticsearchBackend(es, name).run(Query("q", ("source.ip",), (Count(),)), T0, T0)
    assert "mapped as 'ip'" in str(info.value)


def test_pattern_matching_no_index_is_an_input_error(es: Any) -> None:
    with pytest.raises(InputError, match="no Elasticsearch index matches the pattern") as info:
        ElasticsearchBackend(es, "sectool-does-not-exist-*").run(
            Query("q", ("source.ip",), (Count(),)), T0, T0 + timedelta(hours=1)
        )
    assert info.value.location.field == "--index"


def test_unreachable_node_is_a_service_error() -> None:
    from elasticsearch import Elasticsearch

    es = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)
    with pytest.raises(ServiceError, match="unreachable"):
        ElasticsearchBackend(es, "x").run(Query("q", ("source.ip",), (Count(),)), T0, T0)


def test_query_dsl_reproduces_the_read_range() -> None:
    q = Query(
        "q", ("source.ip",), (Count(),), filter=Eq("event.outcome", "failure"), lookback=timedelta(hours=1)
    )
    dsl = query_dsl(q, T0, T0 + timedelta(hours=1))
    assert dsl["bool"]["filter"][0]["range"]["@timestamp"]["gte"] == "2026-03-01T23:00:00Z"
    assert dsl["bool"]["filter"][1] == {"term": {"event.outcome": "failure"}}


def test_connect_requires_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECTOOL_ES_URL", raising=False)
    with pytest.raises(InputError, match="no Elasticsearch URL"):
        connect(None)
    with pytest.raises(InputError, match="must start with http"):
        connect("localhost:9200")


def test_large_distinct_counts_are_exact(es: Any) -> None:
    # Vertical scans of 1,499 / 1,500 / 5,000 / 20,000 ports: around and far above the point
    # where the cardinality aggregation stops being exact; the backend recounts those exactly.
    sizes = {"10.9.0.1": 1499, "10.9.0.2": 1500, "fd00::3": 5000, "10.9.0.4": 20_000, "10.9.0.5": 3}
    events = (
        {"@timestamp": T0 + timedelta(milliseconds=p), "source.ip": src, "destination.port": p + 1}
        for src, n in sizes.items()
        for p in range(n)
    )
    query = Query(
        "vscan",
        ("source.ip",),
        (Count(), Cardinality("destination.port")),
        having=(Having("cardinality:destination.port", ">=", 1500),),
    )
    with event_index(es, events, shards=2) as name:
        backend = ElasticsearchBackend(es, name, page_size=999, key_chunk=1)
        got = backend.run(query, T0, T0 + timedelta(hours=1))
    assert dict(zip(got["source.ip"], got["cardinality:destination.port"], strict=True)) == {
        k: v for k, v in sizes.items() if v >= 1500
    }


def test_top_terms_are_exact_across_shards(es: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # 400 sources with 1..4 events and three heavy ones, spread over 5 shards: the shards' own
    # top lists disagree, Elasticsearch reports an error bound, and the backend recounts.
    rng = random.Random(3)
    counts = {f"10.7.{i // 200}.{i % 200}": rng.randint(1, 4) for i in range(400)}
    counts.update({"10.7.9.1": 5, "10.7.9.2": 5, "2001:db8::77": 6})
    events = [
        {"@timestamp": T0 + timedelta(seconds=j), "source.ip": ip, "dns.question.registered_domain": "x.dk"}
        for ip, n in counts.items()
        for j in range(n)
    ]
    rng.shuffle(events)
    from sectool.traffic.detect.backends import es as es_backend

    recounts: list[int] = []
    real = es_backend.exact_top_terms

    def counting(*args: Any, **kwargs: Any) -> Any:
        recounts.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(es_backend, "exact_top_terms", counting)
    query = Query("t", ("dns.question.registered_domain",), (Terms("source.ip", 3),))
    with event_index(es, events, shards=5) as name:
        got = ElasticsearchBackend(es, name).run(query, T0, T0 + timedelta(hours=1))
    assert recounts == [1]
    expected = sorted(counts, key=lambda ip: (-counts[ip], ip))[:3]
    assert got["terms:source.ip"].tolist() == [expected]


def test_exact_recounts_per_group_and_window(es: Any) -> None:
    # Two sources x two hourly windows, one key per request and three buckets per page: each
    # (source, window) row's values must be counted and ranked on their own, across pages.
    from sectool.traffic.detect.backends.es_distinct import exact_distinct_counts, exact_top_terms
    from sectool.traffic.detect.backends.es_query import time_range

    plan = {
        ("10.6.0.1", 0): {"a.dk": 3, "b.dk": 1, "c.dk": 2},
        ("10.6.0.1", 1): {"d.dk": 1},
        ("10.6.0.2", 0): {"e.dk": 2, "f.dk": 2, "a.dk": 1, "g.dk": 4},
        ("10.6.0.2", 1): {"b.dk": 5, "a.dk": 5},
    }
    events = [
        {
            "@timestamp": T0 + timedelta(hours=hour, seconds=j),
            "source.ip": src,
            "dns.question.registered_domain": dom,
        }
        for (src, hour), doms in plan.items()
        for dom, n in doms.items()
        for j in range(n)
    ]
    window_ms = {h: int((T0 + timedelta(hours=h)).timestamp() * 1000) for h in (0, 1)}
    with event_index(es, events, shards=2) as name:
        common: dict[str, Any] = {
            "index": name,
            "base_query": time_range(T0, T0 + timedelta(hours=2)),
            "group_by": ("source.ip",),
            "interval": timedelta(hours=1),
            "field": "dns.question.registered_domain",
            "keys": [("10.6.0.1",), ("10.6.0.2",), ("10.6.0.1",)],
            "key_chunk": 1,
            "page_size": 3,
        }
        distinct = exact_distinct_counts(es, **common)
        top = exact_top_terms(es, size=2, **common)
    rows = {(src, window_ms[h]): doms for (src, h), doms in plan.items()}
    assert distinct == {k: len(doms) for k, doms in rows.items()}
    assert top == {k: sorted(doms, key=lambda d: (-doms[d], d))[:2] for k, doms in rows.items()}
