"""Exact distinct counts on Elasticsearch, cheaply.

The ``cardinality`` aggregation is exact only while it counts a hash set (below its
``precision_threshold``), and a high threshold is expensive: with ``precision_threshold: 40000``
every bucket reserves HyperLogLog registers of 256 KiB, so a page of 2,000 buckets with two
distinct counts trips the node's request circuit breaker (measured: 534 MB on a 1 GB heap).

So the backend asks for ``cardinality`` with a modest threshold (:data:`PRECISION_THRESHOLD`,
a few KiB per bucket, pages of thousands of buckets) and then **recounts exactly** the few
buckets whose estimate reaches :data:`REFINE_AT`: a composite aggregation over
``(group keys, window, value)`` restricted to those groups, counting the buckets per group in the
client while paging. Below :data:`REFINE_AT` the hash-set count is exact up to 32-bit hash
collisions (probability about ``n² / 2³³``: under 3e-4 at 1,500 values); at and above it the
count is exact. Scanners and tunnels, whose distinct counts are large, are exactly the
buckets recounted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from itertools import groupby
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.backends.es_aggs import (
    PRECISION_THRESHOLD,
    REFINE_AT,
    composite_sources,
    top_terms,
)
from sectool.traffic.detect.backends.es_paging import iter_composite
from sectool.traffic.detect.backends.es_query import all_of, pairs_query

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["PRECISION_THRESHOLD", "REFINE_AT", "exact_distinct_counts", "exact_top_terms"]


def _value_buckets(
    es: Elasticsearch,
    *,
    index: str,
    base_query: Mapping[str, Any],
    group_by: Sequence[str],
    interval: timedelta | None,
    field: str,
    keys: Iterable[tuple[Any, ...]],
    key_chunk: int,
    page_size: int,
) -> Iterator[tuple[tuple[Any, ...], Any, int]]:
    """``(row key, value, doc count)`` per distinct ``field`` value of each of the ``keys``' rows.

    A composite over ``(group keys, [window], value)``, sorted by the row key first: one row's
    values arrive together, and (the keys being chunked by group) no row spans two chunks.
    """
    sources = composite_sources(group_by, interval)
    sources.append({"v": {"terms": {"field": field}}})
    names = [next(iter(s)) for s in sources[:-1]]
    key_list = list(dict.fromkeys(keys))
    for start in range(0, len(key_list), key_chunk):
        query = all_of([base_query, pairs_query(group_by, key_list[start : start + key_chunk])])
        for bucket in iter_composite(es, index=index, query=query, sources=sources, page_size=page_size):
            k = bucket["key"]
            yield tuple(k[n] for n in names), k["v"], bucket["doc_count"]


def exact_distinct_counts(
    es: Elasticsearch,
    *,
    index: str,
    base_query: Mapping[str, Any],
    group_by: Sequence[str],
    interval: timedelta | None,
    field: str,
    keys: Iterable[tuple[Any, ...]],
    key_chunk: int,
    page_size: int,
) -> dict[tuple[Any, ...], int]:
    """Exact number of distinct ``field`` values per (group key [, window start ms]).

    Args:
        es: The client.
        index: Index pattern.
        base_query: The query's filter and time range.
        group_by: Group-by fields.
        interval: The window, if any.
        field: The field whose distinct values are counted.
        keys: Group keys (without window) to recount.
        key_chunk: Group keys per request.
        page_size: Buckets per composite page.

    Returns:
        ``{(*group key, [window_ms]): count}``.
    """
    counts: dict[tuple[Any, ...], int] = {}
    for row_key, _, _ in _value_buckets(
        es, index=index, base_query=base_query, group_by=group_by, interval=interval,
        field=field, keys=keys, key_chunk=key_chunk, page_size=page_size,
    ):  # fmt: skip
        counts[row_key] = counts.get(row_key, 0) + 1
    return counts


def exact_top_terms(
    es: Elasticsearch,
    *,
    index: str,
    base_query: Mapping[str, Any],
    group_by: Sequence[str],
    interval: timedelta | None,
    field: str,
    size: int,
    keys: Iterable[tuple[Any, ...]],
    key_chunk: int,
    page_size: int,
) -> dict[tuple[Any, ...], list[str]]:
    """Exact top ``size`` values of ``field`` per (group key [, window start ms]).

    Ordered by count descending, then value ascending (numbers numerically), as
    :func:`sectool.traffic.detect.backends.es_aggs.top_terms` orders the aggregation's buckets. The
    composite is sorted by the row key first, so the values of one row arrive together and only
    that row's counts are held in memory.
    """
    buckets = _value_buckets(
        es, index=index, base_query=base_query, group_by=group_by, interval=interval,
        field=field, keys=keys, key_chunk=key_chunk, page_size=page_size,
    )  # fmt: skip
    return {
        row_key: top_terms([{"key": v, "doc_count": n} for _, v, n in values], size)
        for row_key, values in groupby(buckets, key=lambda b: b[0])
    }
