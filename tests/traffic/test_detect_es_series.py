"""The series phase on the real node: the aggregated path (per-group ``_msearch``
aggregations) against the hits path and against an independent pandas computation.

The events are built to hit the edges: several events in the same millisecond, events without
``source.bytes``, a group larger than the limit (must fall back to hits and keep only the first
``limit`` events), a group outside the time range, and sub-millisecond timestamps.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from sectool.errors import ServiceError
from sectool.traffic.detect import es_series, es_series_aggs
from sectool.traffic.detect.es_backend import ElasticsearchBackend, query_dsl
from sectool.traffic.detect.es_connect import connect
from sectool.traffic.detect.es_series import fetch_series
from sectool.traffic.detect.es_testing import ecs_mapping, event_index
from sectool.traffic.detect.pandas_backend import PandasBackend
from sectool.traffic.detect.spec import Candidates, Count, Having, Query, Series

pytestmark = pytest.mark.elasticsearch

T0 = datetime(2026, 5, 4, 8, tzinfo=UTC)
SINCE, UNTIL = T0, T0 + timedelta(hours=6)
PAIRS = [
    ("10.1.0.1", "203.0.113.7"),
    ("10.1.0.2", "203.0.113.7"),
    ("2001:db8::5", "2a00:1450:4001::200e"),
    ("10.1.0.3", "198.51.100.9"),
    ("10.1.0.4", "198.51.100.9"),
]
BIG = ("10.1.0.9", "192.0.2.44")  # more events than the limit
LIMIT = 40


def _events(seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for src, dst in [*PAIRS, BIG]:
        n = 90 if (src, dst) == BIG else rng.randint(8, 35)
        t = T0 + timedelta(seconds=rng.uniform(0, 600))
        for i in range(n):
            ev: dict[str, Any] = {
                "@timestamp": t,
                "event.category": "network",
                "source.ip": src,
                "destination.ip": dst,
            }
            if rng.random() < 0.85:
                ev["source.bytes"] = rng.choice([512, 512, 640, rng.randint(0, 90_000)])
            out.append(ev)
            # Every fifth event shares the previous one's millisecond; some carry microseconds.
            if i % 5 != 4:
                t += timedelta(seconds=rng.uniform(30, 400), microseconds=rng.randint(0, 999))
    # Outside the range: must not count.
    out.append(
        {
            "@timestamp": T0 - timedelta(minutes=1),
            "source.ip": PAIRS[0][0],
            "destination.ip": PAIRS[0][1],
            "source.bytes": 1,
        }
    )
    rng.shuffle(out)
    return out


EVENTS = _events()


@pytest.fixture(scope="module")
def es(es_url: str) -> Any:
    return connect(es_url)


@pytest.fixture(scope="module")
def es_index(es: Any) -> Iterator[str]:
    with event_index(es, EVENTS, shards=2) as name:
        yield name


def _query(aligned: bool, limit: int = LIMIT) -> Query:
    return Query(
        "pairs",
        ("source.ip", "destination.ip"),
        (Count(), Series(("@timestamp", "source.bytes"), limit=limit, aligned=aligned)),
        candidates=Candidates(
            ("source.ip", "destination.ip"), (Count(),), (Having("count", ">=", 5),), limit=50
        ),
    )


def _oracle(limit: int) -> dict[tuple[str, str], tuple[list[int], list[float]]]:
    """Independent computation: first ``limit`` events by (ms, bytes NaN last), bytes as a sorted multiset."""
    df = pd.DataFrame(EVENTS)
    df["ms"] = pd.to_datetime(df["@timestamp"], utc=True).map(lambda t: t.value // 1_000_000)
    df = df[(df["@timestamp"] >= SINCE) & (df["@timestamp"] < UNTIL)]
    out = {}
    for (src, dst), g in df.groupby(["source.ip", "destination.ip"]):
        g = g.sort_values(["ms", "source.bytes"], na_position="last", kind="mergesort").head(limit)
        out[(src, dst)] = (
            g["ms"].astype(int).tolist(),
            sorted(float(v) for v in g["source.bytes"] if v == v),
        )
    return out


def test_unaligned_series_from_aggregations_match_the_oracle(
    es: Any, es_index: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hits_keys: list[tuple[Any, ...]] = []
    real_hits = es_series._fetch_hits

    def spy(*args: Any, **kwargs: Any) -> Any:
        hits_keys.extend(kwargs["keys"])
        return real_hits(*args, **kwargs)

    monkeypatch.setattr(es_series, "_fetch_hits", spy)
    msearch_calls = []
    real_msearch = es.msearch
    monkeypatch.setattr(
        es, "msearch", lambda **kw: msearch_calls.append(len(kw["searches"])) or real_msearch(**kw)
    )
    backend = ElasticsearchBackend(es, es_index)
    got = backend.run(_query(aligned=False), SINCE, UNTIL)
    oracle = _oracle(LIMIT)
    assert len(got) == len(oracle) == len(PAIRS) + 1
    for row in got.to_dict("records"):
        key = (row["source.ip"], row["destination.ip"])
        stamps, sizes = oracle[key]
        assert row["series:@timestamp"] == stamps, key
        assert row["series:source.bytes"] == sizes, key
    # No group went the hits way: the small ones in one batch, the one above the limit in two.
    assert hits_keys == []
    assert msearch_calls == [2 * len(PAIRS), 2, 2]
    big = got[(got["source.ip"] == BIG[0])].iloc[0]
    assert len(big["series:@timestamp"]) == LIMIT


@pytest.mark.parametrize("limit", [10, 39, 40, 41, 89, 90, 1000])
def test_aggregated_and_hits_paths_agree_and_batches_do_not_matter(
    es: Any, es_index: str, limit: int
) -> None:
    """Limits around the ties of the large group (its events 39 and 40 share a millisecond)."""
    query = _query(aligned=False, limit=limit)
    base = query_dsl(query, SINCE, UNTIL)
    counts = {
        p: sum(
            1
            for e in EVENTS
            if (e["source.ip"], e["destination.ip"]) == p and SINCE <= e["@timestamp"] < UNTIL
        )
        for p in [*PAIRS, BIG]
    }
    series = [m for m in query.metrics if isinstance(m, Series)]
    common = {
        "index": es_index,
        "base_query": base,
        "group_by": query.group_by,
        "interval": None,
        "series": series,
        "keys": list(counts),
    }
    by_aggs = fetch_series(es, counts=counts, msearch_batch=2, **common)
    by_hits = fetch_series(es, counts=None, page_size=7, key_chunk=2, **common)
    assert by_aggs == by_hits
    oracle = _oracle(limit)
    assert {k: (v["series:@timestamp"], v["series:source.bytes"]) for k, v in by_aggs.items()} == oracle
    assert all(len(v["series:@timestamp"]) == min(limit, counts[k]) for k, v in by_aggs.items())


def test_pandas_backend_gives_the_same_unaligned_series(es: Any, es_index: str) -> None:
    df = pd.DataFrame(EVENTS)
    df["@timestamp"] = pd.to_datetime(df["@timestamp"], utc=True)

    def source(columns: Any, since: datetime, until: datetime) -> Iterator[pd.DataFrame]:
        inside = (df["@timestamp"] >= since) & (df["@timestamp"] < until)
        yield df.loc[inside, [c for c in columns if c in df.columns]]

    local = PandasBackend(source=source).run(_query(aligned=False), SINCE, UNTIL)
    remote = ElasticsearchBackend(es, es_index).run(_query(aligned=False), SINCE, UNTIL)
    assert len(local) == len(PAIRS) + 1
    assert local.to_dict("records") == remote.to_dict("records")
    for sizes in local["series:source.bytes"]:
        assert sizes == sorted(sizes)
        assert not any(math.isnan(v) for v in sizes)


def test_a_stale_count_falls_back_to_hits(es: Any, es_index: str) -> None:
    """A count lower than the group really is (events indexed since) must not break the limit."""
    query = _query(aligned=False, limit=10)
    base = query_dsl(query, SINCE, UNTIL)
    series = [m for m in query.metrics if isinstance(m, Series)]
    got = fetch_series(
        es, index=es_index, base_query=base, group_by=query.group_by, interval=None,
        series=series, keys=[BIG], counts={BIG: 3},
    )  # fmt: skip
    assert got[BIG]["series:@timestamp"] == _oracle(10)[BIG][0]


def test_an_aggregation_error_is_a_service_error(es: Any) -> None:
    mapping = ecs_mapping()
    mapping["properties"]["source"]["properties"]["bytes"] = {"type": "keyword"}
    with event_index(
        es,
        [{"@timestamp": T0, "source.ip": "10.0.0.1", "destination.ip": "192.0.2.1", "source.bytes": "x"}],
        mapping=mapping,
    ) as name:
        query = _query(aligned=False)
        series = [m for m in query.metrics if isinstance(m, Series)]
        with pytest.raises(ServiceError, match="series aggregations"):
            es_series_aggs.fetch_aggregated(
                es, index=name, base_query=query_dsl(query, SINCE, UNTIL), group_by=query.group_by,
                series=series, keys=[("10.0.0.1", "192.0.2.1")], counts={("10.0.0.1", "192.0.2.1"): 1},
            )  # fmt: skip


@pytest.mark.parametrize(
    ("series", "interval", "expected"),
    [
        ((Series(("@timestamp", "source.bytes"), aligned=False),), None, True),
        ((Series(("@timestamp", "source.bytes")),), None, False),  # aligned: hits
        ((Series(("@timestamp", "source.ip"), aligned=False),), None, False),  # not an integer field
        ((Series(("@timestamp",), aligned=False),), None, True),
    ],
)
def test_which_series_can_be_aggregated(series: tuple[Series, ...], interval: Any, expected: bool) -> None:
    assert es_series_aggs.aggregatable(series, es_series.series_fields(series)) is expected


def test_expand_repeats_each_value_by_its_count() -> None:
    buckets = [{"key": 1.0, "doc_count": 2}, {"key": 5.0, "doc_count": 1}, {"key": 7.0, "doc_count": 0}]
    assert es_series_aggs._expand(buckets, int) == [1, 1, 5]
    assert es_series_aggs._expand([], float) == []
