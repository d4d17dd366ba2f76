"""Series from aggregations: the series phase without one hit per event.

For an unaligned :class:`~sectool.traffic.detect.spec.Series` (the other fields only matter as
a multiset, as beaconing's bytes do) the events of a group need not travel one by one. The
groups are searched in families sharing all but their last group-by field (a source and up to
64 of its destinations), ``_msearch``-batched, with a ``terms`` aggregation on the last field;
per group it returns:

* the group's distinct milliseconds with their counts: a ``date_histogram`` with
  ``fixed_interval: 1ms`` and ``min_doc_count: 1``, or, when the group holds more events than
  the series ``limit``, a ``terms`` aggregation on ``@timestamp`` ordered by key and sized to
  the limit (exact: key order needs no estimate), cut at the ``limit``-th event;
* each other field's distinct values with their counts (``histogram``, interval 1). Past the
  limit a second search takes the values of the events before the cut-off millisecond, plus
  the smallest values of the events in that millisecond (the contract's tie order: by value,
  missing last).

Exact for millisecond dates and for integer fields below 2**53 (histogram keys are doubles);
a single-group aggregation is cheap on the cluster, and a few numbers per distinct value cross
the wire instead of a hit per event. Groups it cannot do exactly are left to the caller's hits
path: non-integer fields, a count the first phase did not give, more than one other field
past the limit (their joint tie order), bucket counts beyond ``search.max_buckets``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sectool.errors import ServiceError
from sectool.traffic.detect.es_paging import call_es
from sectool.traffic.detect.es_query import all_of, pairs_query, term, terms
from sectool.traffic.detect.spec import Series
from sectool.traffic.ecs import FIELDS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from elasticsearch import Elasticsearch

__all__ = ["DEFAULT_MSEARCH_BATCH", "GROUP_BUCKET_BUDGET", "aggregatable", "fetch_aggregated"]

#: Searches per ``_msearch`` request (the cluster runs them in parallel).
DEFAULT_MSEARCH_BATCH = 50
#: Buckets one search may create (``search.max_buckets`` is 65,536).
GROUP_BUCKET_BUDGET = 60_000
#: Groups answered by one search (parent buckets of the series aggregations).
MAX_OWNERS = 64

RowKey = tuple[Any, ...]
_FILTER = "responses.aggregations.**.key,responses.aggregations.**.doc_count,responses.error,responses.status"


def aggregatable(series: Sequence[Series], fields: Sequence[str]) -> bool:
    """Whether these series can come from aggregations (unaligned, integer value fields)."""
    return all(not s.aligned for s in series) and all(FIELDS.get(f) == "long" for f in fields[1:])


def _hist(field: str) -> dict[str, Any]:
    return {"histogram": {"field": field, "interval": 1, "min_doc_count": 1}}


def _expand(buckets: Sequence[Mapping[str, Any]], convert: Callable[[Any], Any]) -> list[Any]:
    """Each bucket's key ``doc_count`` times, in bucket order."""
    out = [convert(b["key"]) for b in buckets]
    if all(b["doc_count"] == 1 for b in buckets):  # the common case: no two events alike
        return out
    return [v for v, b in zip(out, buckets, strict=True) for _ in range(int(b["doc_count"]))]


def _buckets(aggs: Mapping[str, Any], *path: str) -> list[Mapping[str, Any]]:
    node: Any = aggs
    for p in path:
        node = node.get(p) if isinstance(node, Mapping) else None
    return list((node or {}).get("buckets") or []) if isinstance(node, Mapping) else []


def _msearch(es: Elasticsearch, index: str, bodies: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    searches: list[Mapping[str, Any]] = []
    for body in bodies:
        searches += [{}, body]
    resp = call_es(
        f"series aggregations on {index!r}", es.msearch, index=index, searches=searches, filter_path=_FILTER
    )
    responses = list(resp.get("responses") or [])
    if len(responses) != len(bodies):
        raise ServiceError(
            f"Elasticsearch answered {len(responses)} of {len(bodies)} series searches on {index!r}"
        )
    for item in responses:
        if "error" in item:
            err = item["error"]
            reason = (err.get("reason") or err.get("type")) if isinstance(err, Mapping) else err
            raise ServiceError(f"Elasticsearch rejected the series aggregations on {index!r}: {reason}")
    return [item.get("aggregations") or {} for item in responses]


def _families(
    keys: Sequence[RowKey], counts: Mapping[RowKey, int], n_fields: int
) -> list[tuple[RowKey, list[Any]]]:
    """Group keys sharing all but their last field, in searches of at most :data:`MAX_OWNERS`
    groups and :data:`GROUP_BUCKET_BUDGET` buckets.

    One search per group costs the cluster the query's evaluation each time; one search per
    family answers many groups with a ``terms`` aggregation on the last field. The owner cap
    matters because a sub-aggregation under many parent buckets walks all its buckets once per
    parent when the response is built.
    """
    by_prefix: dict[RowKey, list[Any]] = {}
    for k in keys:
        by_prefix.setdefault(k[:-1], []).append(k[-1])
    out: list[tuple[RowKey, list[Any]]] = []
    for prefix, values in by_prefix.items():
        current: list[Any] = []
        buckets = 0
        for v in values:
            need = 1 + counts[(*prefix, v)] * n_fields
            if current and (len(current) >= MAX_OWNERS or buckets + need > GROUP_BUCKET_BUDGET):
                out.append((prefix, current))
                current, buckets = [], 0
            current.append(v)
            buckets += need
        out.append((prefix, current))
    return out


def _family_search(
    base_query: Mapping[str, Any],
    group_by: Sequence[str],
    prefix: RowKey,
    last: Sequence[Any],
    others: Sequence[str],
) -> dict[str, Any]:
    sub: dict[str, Any] = {
        "t": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1ms", "min_doc_count": 1}}
    }
    sub |= {f"v{i}": _hist(f) for i, f in enumerate(others)}
    field = group_by[-1]
    return {
        "size": 0,
        "track_total_hits": False,
        "query": all_of(
            [base_query, *(term(f, v) for f, v in zip(group_by, prefix, strict=False)), terms(field, last)]
        ),
        "aggs": {"g": {"terms": {"field": field, "size": len(last)}, "aggs": sub}},
    }


def _bucket_key(field: str, value: Any) -> Any:
    # Terms buckets key long fields as numbers, the others as the (normalised) strings the
    # first phase's composite keys already are.
    return int(value) if FIELDS.get(field) == "long" else value


def _pipelined(
    es: Elasticsearch, index: str, bodies: Sequence[Mapping[str, Any]], batch: int
) -> Iterator[Mapping[str, Any]]:
    """The answers of ``bodies`` in order, ``batch`` per ``_msearch``, the next request already
    on its way while the client reads the previous answer (the cluster and the client overlap)."""
    from concurrent.futures import ThreadPoolExecutor

    chunks = [bodies[i : i + batch] for i in range(0, len(bodies), batch)]
    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sectool-series") as pool:
        pending = pool.submit(_msearch, es, index, chunks[0])
        for nxt in chunks[1:]:
            done = pending.result()
            pending = pool.submit(_msearch, es, index, nxt)
            yield from done
        yield from pending.result()


def fetch_aggregated(
    es: Elasticsearch,
    *,
    index: str,
    base_query: Mapping[str, Any],
    group_by: Sequence[str],
    series: Sequence[Series],
    keys: Sequence[RowKey],
    counts: Mapping[RowKey, int],
    batch: int = DEFAULT_MSEARCH_BATCH,
) -> dict[RowKey, dict[str, list[Any]]]:
    """Series columns of the ``keys`` this module can do exactly (see the module docstring).

    ``counts`` are the groups' events under ``base_query`` from the first phase; a group whose
    events changed since (live ingest) so that its answer no longer fits is left out too.
    """
    from sectool.traffic.detect.es_series import series_fields

    fields = series_fields(series)
    others = fields[1:]
    limit = min(s.limit for s in series)
    per_agg = GROUP_BUCKET_BUDGET // len(fields)
    small = [k for k in keys if 0 < counts.get(k, 0) <= min(limit, per_agg)]
    big_ok = len(others) <= 1 and len({s.limit for s in series}) == 1 and limit <= per_agg
    big = [k for k in keys if counts.get(k, 0) > limit] if big_ok else []

    def query(key: RowKey, *extra: Mapping[str, Any]) -> dict[str, Any]:
        return all_of([base_query, pairs_query(group_by, [key]), *extra])

    cols: dict[RowKey, dict[str, list[Any]]] = {}
    searches = _families(small, counts, len(fields))
    bodies = [_family_search(base_query, group_by, prefix, last, others) for prefix, last in searches]
    for (prefix, last), aggs in zip(searches, _pipelined(es, index, bodies, batch), strict=True):
        found = {b["key"]: b for b in _buckets(aggs, "g")}
        for value in last:
            key = (*prefix, value)
            bucket = found.get(_bucket_key(group_by[-1], value), {})
            stamps = _expand(_buckets(bucket, "t"), int)
            if not stamps or len(stamps) > min(limit, per_agg):
                continue  # changed since it was counted: the hits path decides
            values = [sorted(_expand(_buckets(bucket, f"v{i}"), float)) for i in range(len(others))]
            cols[key] = {"@timestamp": stamps, **dict(zip(others, values, strict=True))}
    for start in range(0, len(big), batch):
        chunk = big[start : start + batch]
        first = [
            {
                "size": 0,
                "track_total_hits": False,
                "query": query(k),
                "aggs": {"t": {"terms": {"field": "@timestamp", "size": limit, "order": {"_key": "asc"}}}},
            }
            for k in chunk
        ]
        stamps_of = {
            k: _expand(_buckets(a, "t"), int)[:limit]
            for k, a in zip(chunk, _msearch(es, index, first), strict=True)
        }
        if not others:
            for k, stamps in stamps_of.items():
                cols[k] = {"@timestamp": stamps}
            continue
        field = others[0]
        second: list[dict[str, Any]] = []
        for k in chunk:
            stamps = stamps_of[k]
            if len(stamps) < limit:  # fewer events than counted: all of them
                second.append(
                    {
                        "size": 0,
                        "track_total_hits": False,
                        "query": query(k),
                        "aggs": {"all": {"filter": {"match_all": {}}, "aggs": {"v": _hist(field)}}},
                    }
                )
                continue
            cut = stamps[-1]
            before = {"range": {"@timestamp": {"lt": cut, "format": "epoch_millis"}}}
            # [cut, cut + 1): the whole millisecond, also on a date_nanos field.
            at = {"range": {"@timestamp": {"gte": cut, "lt": cut + 1, "format": "epoch_millis"}}}
            second.append(
                {
                    "size": 0,
                    "track_total_hits": False,
                    "query": query(k),
                    "aggs": {
                        "all": {"filter": before, "aggs": {"v": _hist(field)}},
                        "at": {"filter": at, "aggs": {"v": _hist(field)}},
                    },
                }
            )
        for k, aggs in zip(chunk, _msearch(es, index, second), strict=True):
            stamps = stamps_of[k]
            values = _expand(_buckets(aggs, "all", "v"), float)
            if len(stamps) == limit:
                # The events of the cut-off millisecond that are within the limit: by value, missing last.
                wanted = limit - sum(1 for t in stamps if t < stamps[-1])
                values += _expand(_buckets(aggs, "at", "v"), float)[:wanted]
            cols[k] = {"@timestamp": stamps, field: sorted(values)}
    return {k: {f"series:{f}": c[f] for s in series for f in s.of} for k, c in cols.items()}
