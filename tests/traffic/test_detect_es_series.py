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
from sectool.traffic.detect.backends import es as es_backend
from sectool.traffic.detect.backends import es_series, es_series_aggs
from sectool.traffic.detect.backends.es import ElasticsearchBackend, _candidates_answer, query_dsl
from sectool.traffic.detect.backends.es_series import fetch_series
from sectool.traffic.detect.backends.es_testing import ecs_mapping, event_index
from sectool.traffic.detect.backends.local import PandasBackend
from sectool.traffic.detect.filters import Eq
from sectool.traffic.detect.spec import Candidates, Count, Having, Max, Query, Series

pytestmark = pytest.mark.elasticsearch

T0 = datetime(2026, 5, 4, 8, tzinfo=UTC)
SINCE, UNTIL = T0, T0 + timedelta(hours=6)
PAIRS = [
    ("10.1.0.1", "203.0.113.7"),
    ("10.1.0.1", "198.51.100.9"),  # families: one source, several destinations
    ("10.1.0.1", "2a00:1450:4001::200e"),
    ("10.1.0.2", "203.0.113.7"),
    ("2001:db8::5", "2a00:1450:4001::200e"),
    ("2001:db8::5", "192.0.2.80"),
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
    for pair, g in df.groupby(["source.ip", "destination.ip"]):
        g = g.sort_values(["ms", "source.bytes"], na_position="last", kind="mergesort").head(limit)
        out[pair] = (
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
    # No group went the hits way: one search per source for the small groups, then two
    # searches for the one above the limit.
    assert hits_keys == []
    assert msearch_calls == [2 * len({src for src, _ in PAIRS}), 2, 2]
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


def test_an_aggregation_error_is_a_service_error_with_the_root_cause(es: Any) -> None:
    mapping = ecs_mapping()
    mapping["properties"]["@timestamp"] = {"type": "keyword"}  # no date_histogram on a keyword
    key = ("10.0.0.1", "192.0.2.1")
    event = {"@timestamp": "x", "source.ip": key[0], "destination.ip": key[1], "source.bytes": 1}
    with event_index(es, [event], mapping=mapping) as name:
        query = _query(aligned=False)
        series = [m for m in query.metrics if isinstance(m, Series)]
        with pytest.raises(ServiceError, match=r"series aggregations.*illegal_argument_exception"):
            es_series_aggs.fetch_aggregated(
                es, index=name, base_query={"match_all": {}}, group_by=query.group_by,
                series=series, keys=[key], counts={key: 1},
            )  # fmt: skip


def test_values_of_a_floating_point_mapping_stay_exact(es: Any) -> None:
    """A value field mapped ``double`` (accepted for ECS long fields) is not rounded."""
    mapping = ecs_mapping()
    mapping["properties"]["source"]["properties"]["bytes"] = {"type": "double"}
    key = ("10.0.0.1", "192.0.2.1")
    events = [
        {
            "@timestamp": T0 + timedelta(seconds=i),
            "source.ip": key[0],
            "destination.ip": key[1],
            "source.bytes": 100.5 + i,
        }
        for i in range(6)
    ]
    with event_index(es, events, mapping=mapping) as name:
        query = _query(aligned=False)
        series = [m for m in query.metrics if isinstance(m, Series)]
        got = es_series_aggs.fetch_aggregated(
            es, index=name, base_query=query_dsl(query, SINCE, UNTIL), group_by=query.group_by,
            series=series, keys=[key], counts={key: 6},
        )  # fmt: skip
    assert got[key]["series:source.bytes"] == [100.5 + i for i in range(6)]


@pytest.mark.parametrize(("max_buckets", "mechanism"), [(None, "_truncated"), (30, "_too_many_buckets")])
def test_counts_lower_than_the_data_fall_back_to_hits(
    es: Any, es_index: str, monkeypatch: pytest.MonkeyPatch, max_buckets: int | None, mechanism: str
) -> None:
    """Counts too low (events indexed since the first phase) size the value aggregations too
    small or pack a family past ``search.max_buckets`` (lowered here for the test): those groups
    come from hits and the result stays exact."""
    fired: list[bool] = []
    real = getattr(es_series_aggs, mechanism)

    def spy(*args: Any) -> bool:
        fired.append(real(*args))
        return fired[-1]

    monkeypatch.setattr(es_series_aggs, mechanism, spy)
    query = _query(aligned=False, limit=1000)
    base = query_dsl(query, SINCE, UNTIL)
    series = [m for m in query.metrics if isinstance(m, Series)]
    keys = list(_oracle(1000))
    if max_buckets is not None:
        es.cluster.put_settings(persistent={"search.max_buckets": max_buckets})
    try:
        got = fetch_series(
            es, index=es_index, base_query=base, group_by=query.group_by, interval=None,
            series=series, keys=keys, counts=dict.fromkeys(keys, 1),
        )  # fmt: skip
    finally:
        if max_buckets is not None:
            es.cluster.put_settings(persistent={"search.max_buckets": None})
    assert any(fired), f"{mechanism} never decided"
    assert {k: (v["series:@timestamp"], v["series:source.bytes"]) for k, v in got.items()} == _oracle(1000)


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ((Series(("@timestamp", "source.bytes"), aligned=False),), True),
        ((Series(("@timestamp", "source.bytes")),), False),  # aligned: hits
        ((Series(("@timestamp", "source.ip"), aligned=False),), False),  # not a number
        ((Series(("@timestamp",), aligned=False),), True),
        ((Series(("@timestamp", "source.bytes"), aligned=False), Series(("@timestamp",))), False),
    ],
)
def test_which_series_can_be_aggregated(series: tuple[Series, ...], expected: bool) -> None:
    assert es_series_aggs.aggregatable(series, es_series.series_fields(series)) is expected


def test_windowed_series_never_aggregate(es: Any, es_index: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        es_series, "fetch_aggregated", lambda *a, **k: pytest.fail("aggregated a windowed series")
    )
    query = _query(aligned=False)
    got = fetch_series(
        es, index=es_index, base_query=query_dsl(query, SINCE, UNTIL), group_by=query.group_by,
        interval=timedelta(hours=1), series=[Series(("@timestamp", "source.bytes"), aligned=False)],
        keys=[PAIRS[0]], counts={PAIRS[0]: 5},
    )  # fmt: skip
    assert got, "the hits path answered"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # one source: one family while under the owner cap
        ({("a", "x"): 10, ("a", "y"): 10}, [(("a",), ["x", "y"])]),
        # two sources: two families, in the keys' order
        ({("a", "x"): 10, ("b", "x"): 10, ("a", "y"): 1}, [(("a",), ["x", "y"]), (("b",), ["x"])]),
        # the bucket budget splits a family: 1 + 20,000 * 2 buckets each
        ({("a", "x"): 20_000, ("a", "y"): 20_000}, [(("a",), ["x"]), (("a",), ["y"])]),
        # a single group over the budget still gets its own search (the cluster decides)
        ({("a", "x"): 40_000}, [(("a",), ["x"])]),
    ],
)
def test_families(counts: dict[tuple[str, str], int], expected: list[Any]) -> None:
    assert es_series_aggs.families(list(counts), counts, 2) == expected


def test_families_cap_the_groups_per_search() -> None:
    counts = {("a", f"d{i}"): 1 for i in range(es_series_aggs.MAX_OWNERS * 2 + 1)}
    got = es_series_aggs.families(list(counts), counts, 2)
    assert [len(last) for _, last in got] == [es_series_aggs.MAX_OWNERS, es_series_aggs.MAX_OWNERS, 1]
    one_field = es_series_aggs.families([(v,) for v in "abc"], {(v,): 1 for v in "abc"}, 1)
    assert one_field == [((), ["a", "b", "c"])]


def test_expand_repeats_each_value_by_its_count() -> None:
    buckets = [{"key": 1.0, "doc_count": 2}, {"key": 5.0, "doc_count": 1}, {"key": 7.0, "doc_count": 0}]
    assert es_series_aggs._expand(buckets, int) == [1, 1, 5]
    assert es_series_aggs._expand([], float) == []


_CAND = Candidates(("source.ip", "destination.ip"), (Count(),), (Having("count", ">=", 5),), limit=50)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (Query("q", ("source.ip", "destination.ip"), (Count(), Series()), candidates=_CAND), True),
        # a having of its own is applied to the reused rows: still the same aggregation
        (
            Query(
                "q",
                ("source.ip", "destination.ip"),
                (Count(),),
                having=(Having("count", ">", 9),),
                candidates=_CAND,
            ),
            True,
        ),
        # a metric the first phase did not compute
        (
            Query("q", ("source.ip", "destination.ip"), (Count(), Max("source.bytes")), candidates=_CAND),
            False,
        ),
        # a filtered count is another metric
        (
            Query(
                "q",
                ("source.ip", "destination.ip"),
                (Count(where=Eq("event.outcome", "failure"), name="f"),),
                candidates=_CAND,
            ),
            False,
        ),
        # other group-by order, or more group-by fields
        (Query("q", ("destination.ip", "source.ip"), (Count(),), candidates=_CAND), False),
        (
            Query("q", ("source.ip", "destination.ip", "destination.port"), (Count(),), candidates=_CAND),
            False,
        ),
        # windows
        (
            Query(
                "q",
                ("source.ip", "destination.ip"),
                (Count(),),
                interval=timedelta(hours=1),
                candidates=_CAND,
            ),
            False,
        ),
        # no first phase at all
        (Query("q", ("source.ip", "destination.ip"), (Count(),)), False),
    ],
)
def test_when_the_first_phase_rows_answer_the_query(query: Query, expected: bool) -> None:
    assert _candidates_answer(query) is expected


def test_reused_rows_equal_a_second_aggregation(
    es: Any, es_index: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut gives the table the main aggregation would have given."""
    query = Query(
        "q", ("source.ip", "destination.ip"), (Count(),), having=(Having("count", ">", 20),), candidates=_CAND
    )
    fast = ElasticsearchBackend(es, es_index).run(query, SINCE, UNTIL)
    monkeypatch.setattr(es_backend, "_candidates_answer", lambda q: False)
    slow = ElasticsearchBackend(es, es_index).run(query, SINCE, UNTIL)
    assert len(fast) >= 2
    assert fast.to_dict("records") == slow.to_dict("records")


@pytest.mark.parametrize(
    ("n", "batch", "weights", "budget", "expected"),
    [
        (0, 50, None, 100, []),
        (5, 2, None, 100, [[0, 1], [2, 3], [4]]),
        (4, 50, [40, 40, 40, 40], 100, [[0, 1], [2, 3]]),
        (4, 50, [40, 60, 1, 100], 100, [[0, 1], [2], [3]]),
        (3, 50, [500, 1, 1], 100, [[0], [1, 2]]),  # heavier than the budget: alone
        (3, 1, [1, 1, 1], 100, [[0], [1], [2]]),
    ],
)
def test_request_chunks_respect_count_and_bucket_budget(
    n: int, batch: int, weights: list[int] | None, budget: int, expected: list[list[int]]
) -> None:
    from sectool.traffic.detect.backends.es_series_aggs import request_chunks

    assert request_chunks(n, batch, weights, budget) == expected


@pytest.mark.parametrize(
    ("counts", "most_rows", "most_points", "limit", "expected"),
    [
        ([], 3, 100, 10, []),
        ([1, 1, 1, 1, 1], 2, 100, 10, [2, 2, 1]),
        ([60, 50, 10], 10, 100, 1000, [1, 2]),
        ([5000, 5000, 5000], 10, 100, 40, [2, 1]),  # counts capped at the series limit
        ([500, 1], 10, 100, 1000, [1, 1]),  # one row above the points: a part of its own
        ([None, None, None], 2, 1, 10, [2, 1]),  # no counts: rows only
    ],
)
def test_parts_cut_by_rows_and_points(
    counts: list[int | None], most_rows: int, most_points: int, limit: int, expected: list[int]
) -> None:
    from sectool.traffic.detect.backends.es import _parts

    rows = [{"k": i, **({"count": c} if c is not None else {})} for i, c in enumerate(counts)]
    parts = list(_parts(rows, most_rows, most_points, limit))
    assert [len(p) for p in parts] == expected
    assert [r for p in parts for r in p] == rows
