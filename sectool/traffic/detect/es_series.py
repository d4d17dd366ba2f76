"""The second phase of two-phase queries: per-group series of timestamps and values.

Beaconing needs the gaps between the connections of a pair, which no aggregation gives. The
backend first aggregates (and, with :class:`~sectool.traffic.detect.spec.Candidates`, keeps
only the groups worth a look); this module then pulls the events of **those groups only**:
a search filtered on the group keys (chunked ``bool.should`` of ``term`` pairs), sorted by
the group keys and then ``@timestamp``, walked with a point in time and ``search_after``,
fetching doc values only (no ``_source``). Never a scan over all raw documents.

Values follow the contract: ``series:@timestamp`` is epoch milliseconds (``int``; sorting uses
``numeric_type: date`` so ``date`` and ``date_nanos`` indices agree), other fields are
``float`` (``nan`` when the event lacks the field); per group the events are ordered by time
then by the other fields, and the first ``limit`` are kept.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.es_aggs import interval_ms
from sectool.traffic.detect.es_paging import DEFAULT_HITS_PAGE, iter_hits
from sectool.traffic.detect.es_query import all_of, pairs_query
from sectool.traffic.detect.spec import Series
from sectool.traffic.ecs import FIELDS

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["DEFAULT_KEY_CHUNK", "fetch_series", "series_fields"]

#: Group keys per search: keeps the ``bool`` clause count far below ``indices.query.bool.max_clause_count``.
DEFAULT_KEY_CHUNK = 256

RowKey = tuple[Any, ...]


def series_fields(series: Sequence[Series]) -> list[str]:
    """``@timestamp`` then the other fields of all series, in order of first appearance."""
    out = ["@timestamp"]
    for s in series:
        for f in s.of:
            if f not in out:
                out.append(f)
    return out


def _num(values: Any) -> float:
    if not values:
        return math.nan
    v = values[0]
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _key_value(field: str, value: Any) -> Any:
    return int(value) if FIELDS.get(field) == "long" else value


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
    key_chunk: int = DEFAULT_KEY_CHUNK,
    page_size: int = DEFAULT_HITS_PAGE,
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
        key_chunk: Group keys per search request.
        page_size: Hits per page.

    Returns:
        ``{row key: {column: list}}`` where the row key is the group key, plus the window start
        in epoch milliseconds when ``interval`` is set.
    """
    fields = series_fields(series)
    others = fields[1:]
    limit = max(s.limit for s in series)
    win = interval_ms(interval) if interval is not None else None
    collected: dict[RowKey, list[tuple[Any, ...]]] = {}
    key_list = list(dict.fromkeys(tuple(k) for k in keys))
    n_keys = len(group_by)
    sort: list[Any] = [{f: {"order": "asc"}} for f in group_by]
    sort.append({"@timestamp": {"order": "asc", "numeric_type": "date"}})
    docvalues: list[Any] = [*group_by, *others]
    for start in range(0, len(key_list), key_chunk):
        chunk = key_list[start : start + key_chunk]
        query = all_of([base_query, pairs_query(group_by, chunk)])
        for hit in iter_hits(es, index=index, query=query, sort=sort, fields=docvalues, page_size=page_size):
            got = hit.get("fields") or {}
            group = tuple(_key_value(f, (got.get(f) or [None])[0]) for f in group_by)
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
                cols[f"series:{f}"] = [it[p] for it in ordered]
        out[row_key] = cols
    return out
