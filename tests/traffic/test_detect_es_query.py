"""Pure tests of the query-DSL building blocks and the aggregation translation (no node)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from sectool.traffic.detect.backends.es import page_size_for
from sectool.traffic.detect.backends.es_aggs import (
    PRECISION_THRESHOLD,
    TERMS_INEXACT,
    bucket_row,
    composite_sources,
    interval_ms,
    metric_aggs,
    top_terms,
)
from sectool.traffic.detect.backends.es_query import (
    MATCH_ALL,
    MATCH_NONE,
    all_of,
    any_of,
    cidr,
    es_datetime,
    not_,
    pairs_query,
    range_,
    term,
    terms,
    time_range,
)
from sectool.traffic.detect.filters import Eq
from sectool.traffic.detect.spec import Cardinality, Count, Max, Min, Percentiles, Series, Sum, Terms


def test_terms_dedupes_and_degrades() -> None:
    assert terms("f", []) == MATCH_NONE
    assert terms("f", ["a", "a"]) == term("f", "a")
    assert terms("f", ["b", "a", "b"]) == {"terms": {"f": ["b", "a"]}}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["10.1.2.3/8"], {"term": {"source.ip": {"value": "10.0.0.0/8"}}}),
        (["2001:DB8::1/32"], {"term": {"source.ip": {"value": "2001:db8::/32"}}}),
        ([], MATCH_NONE),
    ],
)
def test_cidr_normalises(given: list[str], expected: dict[str, object]) -> None:
    assert cidr("source.ip", given) == expected


def test_cidr_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        cidr("source.ip", ["10.0.0.0/33"])


def test_boolean_algebra_short_circuits() -> None:
    a, b = term("x", 1), term("y", 2)
    assert all_of([]) == MATCH_ALL
    assert all_of([a]) == a
    assert all_of([a, MATCH_ALL, b]) == {"bool": {"filter": [a, b]}}
    assert all_of([a, MATCH_NONE]) == MATCH_NONE
    assert any_of([]) == MATCH_NONE
    assert any_of([a, MATCH_ALL]) == MATCH_ALL
    assert any_of([a, b]) == {"bool": {"should": [a, b], "minimum_should_match": 1}}
    assert not_(MATCH_ALL) == MATCH_NONE
    assert not_(a) == {"bool": {"must_not": [a]}}


def test_range_needs_a_bound() -> None:
    with pytest.raises(ValueError, match="at least one bound"):
        range_("x")
    assert range_("x", gte=1, lt=5) == {"range": {"x": {"gte": 1, "lt": 5}}}


def test_time_range_is_half_open_utc() -> None:
    cet = timezone(timedelta(hours=1))
    q = time_range(datetime(2026, 1, 1, 1, tzinfo=cet), datetime(2026, 1, 1, 2, 30, tzinfo=UTC))
    assert q["range"]["@timestamp"] == {
        "gte": "2026-01-01T00:00:00Z",
        "lt": "2026-01-01T02:30:00Z",
        "format": "strict_date_optional_time_nanos",
    }
    with pytest.raises(ValueError, match="no timezone"):
        es_datetime(datetime(2026, 1, 1))


def test_pairs_query_single_and_multi_key() -> None:
    assert pairs_query(["a"], [("x",), ("y",)]) == {"terms": {"a": ["x", "y"]}}
    q = pairs_query(["a", "b"], [("x", 1), ("y", 2)])
    assert q["bool"]["should"][1] == {"bool": {"filter": [term("a", "y"), term("b", 2)]}}
    assert pairs_query(["a", "b"], []) == MATCH_NONE


def test_composite_sources_window_is_epoch_aligned_fixed_interval() -> None:
    src = composite_sources(["source.ip", "destination.port"], timedelta(minutes=5))
    assert [next(iter(s)) for s in src] == ["k0", "k1", "w"]
    assert src[2]["w"]["date_histogram"] == {
        "field": "@timestamp",
        "fixed_interval": "300000ms",
        "time_zone": "UTC",
    }
    assert "missing_bucket" not in src[0]["k0"]["terms"]
    assert composite_sources(["a"], None) == [{"k0": {"terms": {"field": "a"}}}]


@pytest.mark.parametrize("bad", [timedelta(0), timedelta(microseconds=1500), timedelta(seconds=-1)])
def test_interval_must_be_whole_positive_milliseconds(bad: timedelta) -> None:
    with pytest.raises(ValueError, match="whole number of milliseconds"):
        interval_ms(bad)


def test_metric_aggs_and_bucket_parsing() -> None:
    metrics = (
        Count(),
        Count(where=Eq("event.outcome", "failure"), name="failed"),
        Sum("source.bytes"),
        Min("@timestamp"),
        Max("destination.port"),
        Cardinality("destination.port"),
        Percentiles("source.bytes", (50.0, 99.9)),
        Terms("dns.question.type", 2),
        Series(),
    )
    aggs = metric_aggs(metrics)
    assert set(aggs) == {"m1", "m2", "m3", "m4", "m5", "m6", "m7"}  # plain count and series: none
    assert aggs["m1"] == {"filter": {"term": {"event.outcome": "failure"}}}
    assert aggs["m5"]["cardinality"]["precision_threshold"] == PRECISION_THRESHOLD
    assert aggs["m7"]["terms"]["order"] == [{"_count": "desc"}, {"_key": "asc"}]
    bucket = {
        "key": {"k0": "10.0.0.1", "k1": 443, "w": 1767225600000},
        "doc_count": 7,
        "m1": {"doc_count": 2},
        "m2": {"value": 0.0},
        "m3": {"value": 1767225600123.0, "value_as_string": "2026-01-01T00:00:00.123Z"},
        "m4": {"value": None},
        "m5": {"value": 3},
        "m6": {"values": [{"key": 50.0, "value": 12.5}, {"key": 99.9, "value": None}]},
        "m7": {"buckets": [{"key": "TXT", "doc_count": 5}, {"key": "A", "doc_count": 2}]},
    }
    row = bucket_row(bucket, ["source.ip", "destination.port"], timedelta(hours=1), metrics)
    assert row["source.ip"] == "10.0.0.1"
    assert row["destination.port"] == 443
    assert row["window_start"] == 1767225600000  # epoch ms; the table builder converts columns
    assert row["count"] == 7
    assert row["count:failed"] == 2
    assert row["sum:source.bytes"] == 0.0
    assert row["min:@timestamp"] == 1767225600123
    assert row["max:destination.port"] != row["max:destination.port"]  # NaN for an empty bucket
    assert row["cardinality:destination.port"] == 3
    assert row["p50:source.bytes"] == 12.5
    assert row["p99_9:source.bytes"] != row["p99_9:source.bytes"]
    assert row["terms:dns.question.type"] == ["TXT", "A"]
    assert row["series:@timestamp"] == []
    assert TERMS_INEXACT not in row


def test_terms_with_an_error_bound_are_marked_for_an_exact_recount() -> None:
    metric = Terms("source.ip", 1)
    sub = {"doc_count_error_upper_bound": 3, "buckets": [{"key": "10.0.0.1", "doc_count": 9}]}
    row = bucket_row({"key": {"k0": "x"}, "doc_count": 9, "m0": sub}, ["dns.question.name"], None, [metric])
    assert row[TERMS_INEXACT] == [metric]


@pytest.mark.parametrize(
    ("buckets", "size", "expected"),
    [
        # Ties by text, not by address: "10.0.0.10" < "10.0.0.9" as text.
        ([("10.0.0.9", 2), ("10.0.0.10", 2), ("10.0.0.1", 5)], 2, ["10.0.0.1", "10.0.0.10"]),
        ([(443, 1), (22, 1), (80, 3)], 3, ["80", "22", "443"]),  # numbers by number
        ([], 3, []),
    ],
)
def test_top_terms_order(buckets: list[tuple[object, int]], size: int, expected: list[str]) -> None:
    assert top_terms([{"key": k, "doc_count": n} for k, n in buckets], size) == expected


@pytest.mark.parametrize(
    ("metrics", "wanted", "expected"),
    [
        ((Count(),), 10_000, 10_000),
        ((Count(), Cardinality("destination.port")), 500, 500),
        # 1 + (20 + 20) + (5 + 10) sub-buckets per composite bucket: 60,000 // 56.
        ((Terms("dns.question.subdomain", 20), Terms("source.ip", 5)), 10_000, 1071),
        ((Terms("x", 100_000),), 10_000, 1),
    ],
)
def test_page_size_respects_the_bucket_budget(metrics: tuple[Any, ...], wanted: int, expected: int) -> None:
    assert page_size_for(metrics, wanted) == expected
