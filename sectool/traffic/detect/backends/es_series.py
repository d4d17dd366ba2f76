"""The second phase of two-phase queries: per-group series of timestamps and values.

Beaconing needs the gaps between the connections of a pair, which no aggregation gives. The
backend first aggregates (and, with :class:`~sectool.traffic.detect.spec.Candidates`, keeps
only the groups worth a look); this module then fetches the series of **those groups only**,
never a scan over all raw documents. Two ways, chosen per group:

* **Aggregated** (unaligned series, no window, group sizes known from the first phase): per
  family of groups (a source and up to 64 destinations), ``_msearch``-batched aggregations
  return each group's distinct milliseconds and values with their counts
  (:mod:`~sectool.traffic.detect.backends.es_series_aggs`), exact, without a hit per event.
* **Hits**: a search filtered on the group keys (chunked ``bool.should`` of ``term`` pairs),
  sorted by the group keys and then ``@timestamp``, walked with a point in time and
  ``search_after``, fetching doc values only (no ``_source``). Used for aligned series,
  windowed series and whatever the aggregated path leaves (groups that changed since the first
  phase counted them, several value fields past the limit).

Values follow the contract: ``series:@timestamp`` is epoch milliseconds (``int``; sorting uses
``numeric_type: date`` so ``date`` and ``date_nanos`` indices agree), other fields are
``float`` (``nan`` when the event lacks the field); per group the events are ordered by time
then by the other fields, and the first ``limit`` are kept. Unaligned series hold the other
fields' present values sorted ascending instead (see :class:`~sectool.traffic.detect.spec.Series`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.backends.es_aggs import interval_ms, key_value
from sectool.traffic.detect.backends.es_paging import DEFAULT_HITS_PAGE, iter_hits
from sectool.traffic.detect.backends.es_query import all_of, pairs_query
from sectool.traffic.detect.backends.es_series_aggs import (
    DEFAULT_MSEARCH_BATCH,
    aggregatable,
    fetch_aggregated,
    series_fields,
)
from sectool.traffic.detect.spec import Series

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["DEFAULT_KEY_CHUNK", "DEFAULT_MSEARCH_BATCH", "fetch_series", "series_fields"]

#: Group keys per search: keeps the ``bool`` clause count far below ``indices.query.bool.max_clause_count``.
DEFAULT_KEY_CHUNK = 256

RowKey = tuple[Any, ...]


def _num(values: Any) -> float:
    if not values:
        return math.nan
    v = values[0]
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _order(item: tuple[Any, ...], positions: Sequence[int]) -> tuple[Any, ...]:
    # Time first, then the other fields with NaN last (pandas' na_position="last").
    out: list[Any] = [item[0]]
    for p in positions:
        v = item[p]
        out.append((1, 0.0) if math.isnan(v) else (0, v))
    return tuple(out)


def fetch_series(
    es: Elasticsearch,
    *,
    index: str,
    base_query: Mapping[str, Any],
    group_by: Sequence[str],
    interval: timedelta | None,
    series: Sequence[Series],
    keys: Iterable[RowKey],
    counts: Mapping[RowKey, int] | None = None,
    key_chunk: int = DEFAULT_KEY_CHUNK,
    page_size: int = DEFAULT_HITS_PAGE,
    msearch_batch: int = DEFAULT_MSEARCH_BATCH,
) -> dict[RowKey, dict[str, list[Any]]]:
    """Series columns for the given groups.

    Args:
        es: The client.
        index: Index pattern.
        base_query: The query's filter and time range (DSL).
        group_by: Group-by fields (the keys' order).
        interval: Window length; with one, the series are per (group, window).
        series: The query's :class:`Series` metrics.
        keys: Distinct group keys (without the window) to fetch.
        counts: Events per group under ``base_query`` when the caller knows them (the first
            phase's ``count``); with them, unaligned series without a window come from
            aggregations (:func:`~sectool.traffic.detect.backends.es_series_aggs.fetch_aggregated`),
            and whatever that leaves from hits.
        key_chunk: Group keys per search request (hits path).
        page_size: Hits per page (hits path).
        msearch_batch: Group searches per ``_msearch`` request (aggregated path).

    Returns:
        ``{row key: {column: list}}`` where the row key is the group key, plus the window start
        in epoch milliseconds when ``interval`` is set.
    """
    key_list = list(dict.fromkeys(tuple(k) for k in keys))
    aggregated: dict[RowKey, dict[str, list[Any]]] = {}
    if counts is not None and interval is None and aggregatable(series, series_fields(series)):
        aggregated = fetch_aggregated(
            es, index=index, base_query=base_query, group_by=group_by, series=series,
            keys=key_list, counts=counts, batch=msearch_batch,
        )  # fmt: skip
        key_list = [k for k in key_list if k not in aggregated]
    out = _fetch_hits(
        es, index=index, base_query=base_query, group_by=group_by, interval=interval,
        series=series, keys=key_list, key_chunk=key_chunk, page_size=page_size,
    )  # fmt: skip
    out.update(aggregated)
    return out


def _fetch_hits(
    es: Elasticsearch,
    *,
    index: str,
    base_query: Mapping[str, Any],
    group_by: Sequence[str],
    interval: timedelta | None,
    series: Sequence[Series],
    keys: Sequence[RowKey],
    key_chunk: int,
    page_size: int,
) -> dict[RowKey, dict[str, list[Any]]]:
    """Series of ``keys`` from their hits (see the module docstring)."""
    fields = series_fields(series)
    others = fields[1:]
    limit = max(s.limit for s in series)
    win = interval_ms(interval) if interval is not None else None
    collected: dict[RowKey, list[tuple[Any, ...]]] = {}
    key_list = list(keys)
    n_keys = len(group_by)
    sort: list[Any] = [{f: {"order": "asc"}} for f in group_by]
    sort.append({"@timestamp": {"order": "asc", "numeric_type": "date"}})
    docvalues: list[Any] = [*group_by, *others]
    for start in range(0, len(key_list), key_chunk):
        chunk = key_list[start : start + key_chunk]
        query = all_of([base_query, pairs_query(group_by, chunk)])
        for hit in iter_hits(es, index=index, query=query, sort=sort, fields=docvalues, page_size=page_size):
            got = hit.get("fields") or {}
            group = tuple(key_value(f, (got.get(f) or [None])[0]) for f in group_by)
            ts = int(hit["sort"][n_keys])
            row_key = group if win is None else (*group, ts - ts % win)
            bucket = collected.setdefault(row_key, [])
            # Keep ties at the limit boundary: the final order also sorts by the other fields.
            if len(bucket) >= limit and ts > bucket[-1][0]:
                continue
            bucket.append((ts, *(_num(got.get(f)) for f in others)))
    out: dict[RowKey, dict[str, list[Any]]] = {}
    for row_key, items in collected.items():
        cols: dict[str, list[Any]] = {}
        for s in series:
            positions = [fields.index(f) for f in s.of if f != "@timestamp"]
            # ES returned the events by time; only events sharing a millisecond need ordering
            # by the other fields (a stable sort leaves everything else where it is).
            tied = any(a[0] == b[0] for a, b in itertools.pairwise(items))
            ordered = (
                sorted(items, key=lambda it, pos=positions: _order(it, pos))  # type: ignore[misc]
                if tied and positions
                else items
            )[: s.limit]
            for f in s.of:
                p = fields.index(f)
                values = [it[p] for it in ordered]
                if not s.aligned and f != "@timestamp":
                    values = sorted(v for v in values if not math.isnan(v))
                cols[f"series:{f}"] = values
        out[row_key] = cols
    return out
