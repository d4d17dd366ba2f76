"""Series from aggregations: the series phase without one hit per event.

For an unaligned :class:`~sectool.traffic.detect.spec.Series` (the other fields only matter as
a multiset, as beaconing's bytes do) the events of a group need not travel one by one. The
groups are searched in families sharing all but their last group-by field (a source and up to
64 of its destinations), ``_msearch``-batched (the next request in flight while the client
reads the previous answer), with a ``terms`` aggregation on the last field; per group:

* the group's distinct milliseconds with their counts: a ``date_histogram`` with
  ``fixed_interval: 1ms`` and ``min_doc_count: 1``, or, when the group holds more events than
  the series ``limit``, a ``terms`` aggregation on ``@timestamp`` ordered by key and sized to
  the limit (exact: key order needs no estimate), cut at the ``limit``-th event;
* each other field's distinct values with their counts (``terms`` ordered by value and sized
  to the group, so exact whatever the field's numeric mapping). Past the limit a second search
  takes the values of the events before the cut-off millisecond, plus the smallest values of
  the events in that millisecond (the contract's tie order: by value, missing last).

Exact for millisecond dates and numeric values; a few numbers per distinct value cross the wire
instead of a hit per event. Groups it cannot do exactly are left to the caller's hits path: a
count the first phase did not give, more than one other field past the limit (their joint tie
order), a group or family that grew since it was counted (too many events, or more buckets than
``search.max_buckets``). Limits: the two searches of a group past the limit are not one point
in time (under live ingest the values may come from slightly later events than the
timestamps); a document with several values in a value field counts each (ECS fields are
single-valued; the hits path and pandas would take the first value or none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sectool.errors import ServiceError
from sectool.traffic.detect.backends.es_aggs import key_value
from sectool.traffic.detect.backends.es_paging import call_es, error_reason
from sectool.traffic.detect.backends.es_query import all_of, term, terms
from sectool.traffic.detect.spec import Series
from sectool.traffic.ecs import FIELDS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from elasticsearch import Elasticsearch

__all__ = [
    "DEFAULT_MSEARCH_BATCH",
    "GROUP_BUCKET_BUDGET",
    "MAX_OWNERS",
    "aggregatable",
    "fetch_aggregated",
    "series_fields",
]

#: Searches per ``_msearch`` request. The cluster runs an ``_msearch``'s searches in parallel;
#: with families of up to 64 groups, 50 searches per request kept both cores of the benchmark
#: node busy (per-group searches needed 200; see bench/benchmarks.md).
DEFAULT_MSEARCH_BATCH = 50
#: Buckets one ``_msearch`` answer may hold (a search's are estimated from the groups' counts).
#: The client parses an answer whole and reads the next while it is on its way, so this bounds
#: the series phase's memory: without it 50 searches of up to 60,000 buckets made answers of
#: hundreds of MB at 10M events (bench/benchmarks.md §3).
MSEARCH_BUCKET_BUDGET = 50_000
#: Buckets one search may create (``search.max_buckets`` is 65,536).
GROUP_BUCKET_BUDGET = 60_000
#: Groups answered by one search. A sub-aggregation under many parent buckets walks all its
#: buckets once per parent when the response is built, so families stay small.
MAX_OWNERS = 64
#: Numeric ECS types a value field may have (the aggregation returns its values exactly).
_NUMERIC = frozenset({"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float"})

RowKey = tuple[Any, ...]
_FILTER = (
    "responses.aggregations.**.key,responses.aggregations.**.doc_count,"
    "responses.aggregations.**.sum_other_doc_count,responses.error,responses.status"
)


def series_fields(series: Sequence[Series]) -> list[str]:
    """``@timestamp`` then the other fields of all series, in order of first appearance."""
    out = ["@timestamp"]
    for s in series:
        for f in s.of:
            if f not in out:
                out.append(f)
    return out


def aggregatable(series: Sequence[Series], fields: Sequence[str]) -> bool:
    """Whether these series can come from aggregations: all unaligned, numeric value fields."""
    return all(not s.aligned for s in series) and all(FIELDS.get(f) in _NUMERIC for f in fields[1:])


def _values(field: str, size: int) -> dict[str, Any]:
    """Every distinct value of ``field`` with its count, ascending (``size`` >= distinct values)."""
    return {"terms": {"field": field, "size": max(1, size), "order": {"_key": "asc"}}}


def _expand(buckets: Sequence[Mapping[str, Any]], convert: Callable[[Any], Any]) -> list[Any]:
    """Each bucket's key ``doc_count`` times, in bucket order."""
    out = [convert(b["key"]) for b in buckets]
    if all(b["doc_count"] == 1 for b in buckets):  # the common case: no two events alike
        return out
    return [v for v, b in zip(out, buckets, strict=True) for _ in range(int(b["doc_count"]))]


def _buckets(aggs: Mapping[str, Any] | None, *path: str) -> list[Mapping[str, Any]]:
    """The ``buckets`` at ``path`` in an aggregation answer (empty when any step is absent:
    ``filter_path`` drops empty lists)."""
    node: Any = aggs
    for p in path:
        node = node.get(p) if isinstance(node, Mapping) else None
    return list(node.get("buckets") or []) if isinstance(node, Mapping) else []


def _truncated(aggs: Mapping[str, Any] | None, *path: str) -> bool:
    """Whether the ``terms`` aggregation at ``path`` left values out (sized from a count that
    has grown since)."""
    node: Any = aggs
    for p in path:
        node = node.get(p) if isinstance(node, Mapping) else None
    return isinstance(node, Mapping) and bool(node.get("sum_other_doc_count"))


def _too_many_buckets(error: Any) -> bool:
    return "too_many_buckets" in repr(error)


def _msearch(
    es: Elasticsearch, index: str, bodies: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any] | None]:
    """One ``_msearch``: each search's aggregations, or ``None`` for a search that would have
    created more than ``search.max_buckets`` buckets (its groups go the hits way).

    Raises:
        ServiceError: Any other failure, with Elasticsearch's most specific reason.
    """
    searches: list[Mapping[str, Any]] = []
    for body in bodies:
        searches += [{}, body]
    what = f"series aggregations on {index!r}"
    resp = call_es(what, es.msearch, index=index, searches=searches, filter_path=_FILTER)
    responses = list(resp.get("responses") or [])
    if len(responses) != len(bodies):
        raise ServiceError(
            f"Elasticsearch answered {len(responses)} of {len(bodies)} series searches on {index!r}"
        )
    out: list[Mapping[str, Any] | None] = []
    for item in responses:
        if "error" not in item:
            out.append(item.get("aggregations") or {})
        elif _too_many_buckets(item["error"]):
            out.append(None)
        else:
            raise ServiceError(f"Elasticsearch rejected the {what}: {error_reason(item['error'])}")
    return out


def request_chunks(
    n: int, batch: int, weights: Sequence[int] | None = None, budget: int = MSEARCH_BUCKET_BUDGET
) -> list[list[int]]:
    """Positions ``0..n-1`` in consecutive requests of at most ``batch`` searches whose
    ``weights`` (estimated buckets) add up to at most ``budget``; a heavier search goes alone."""
    chunks: list[list[int]] = []
    held = 0
    for i in range(n):
        weight = weights[i] if weights is not None else 0
        if not chunks or len(chunks[-1]) >= batch or held + weight > budget:
            chunks.append([])
            held = 0
        chunks[-1].append(i)
        held += weight
    return chunks


def _pipelined(
    es: Elasticsearch,
    index: str,
    bodies: Sequence[Mapping[str, Any]],
    batch: int,
    weights: Sequence[int] | None = None,
) -> Iterator[Mapping[str, Any] | None]:
    """The answers of ``bodies`` in order, at most ``batch`` and :data:`MSEARCH_BUCKET_BUDGET`
    buckets (by ``weights``, each search's estimate) per ``_msearch``, the next request already
    on its way while the client reads the previous answer (the cluster and the client overlap).
    An error stops the requests and propagates."""
    from concurrent.futures import ThreadPoolExecutor

    chunks = [[bodies[i] for i in chunk] for chunk in request_chunks(len(bodies), batch, weights)]
    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sectool-series") as pool:
        pending = pool.submit(_msearch, es, index, chunks[0])
        for nxt in chunks[1:]:
            done = pending.result()
            pending = pool.submit(_msearch, es, index, nxt)
            yield from done
        yield from pending.result()


def families(
    keys: Sequence[RowKey], counts: Mapping[RowKey, int], n_fields: int
) -> list[tuple[RowKey, list[Any]]]:
    """Group keys sharing all but their last field: ``(prefix, last values)`` per search, at
    most :data:`MAX_OWNERS` groups and :data:`GROUP_BUCKET_BUDGET` buckets (a group of ``n``
    events needs at most ``1 + n * n_fields``) each, in the keys' order.

    One search per group costs the cluster the query's evaluation each time; one search per
    family answers many groups with a ``terms`` aggregation on the last field.
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


class _Plan:
    """What the searches of one :func:`fetch_aggregated` call share."""

    def __init__(
        self, base_query: Mapping[str, Any], group_by: Sequence[str], series: Sequence[Series]
    ) -> None:
        self.base_query = base_query
        self.group_by = list(group_by)
        self.fields = series_fields(series)
        self.others = self.fields[1:]
        self.limit = min(s.limit for s in series)
        self.per_agg = GROUP_BUCKET_BUDGET // len(self.fields)

    def query(self, prefix: RowKey, last: Sequence[Any] | None = None) -> dict[str, Any]:
        """The base query narrowed to ``prefix`` (all of ``group_by`` when ``last`` is None)."""
        parts = [self.base_query, *(term(f, v) for f, v in zip(self.group_by, prefix, strict=False))]
        if last is not None:
            parts.append(terms(self.group_by[-1], last))
        return all_of(parts)

    @staticmethod
    def body(query: Mapping[str, Any], aggs: Mapping[str, Any]) -> dict[str, Any]:
        return {"size": 0, "track_total_hits": False, "query": query, "aggs": aggs}


def _fetch_families(
    es: Elasticsearch,
    index: str,
    plan: _Plan,
    keys: Sequence[RowKey],
    counts: Mapping[RowKey, int],
    batch: int,
) -> dict[RowKey, dict[str, list[Any]]]:
    """Groups within the limit: per family, a millisecond ``date_histogram`` and the values of
    each other field under a ``terms`` bucket per group."""
    cap = min(plan.limit, plan.per_agg)
    searches = families(keys, counts, len(plan.fields))
    bodies = []
    weights = [sum(1 + counts[(*prefix, v)] * len(plan.fields) for v in last) for prefix, last in searches]
    for prefix, last in searches:
        largest = max(counts[(*prefix, v)] for v in last)
        sub: dict[str, Any] = {
            "t": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1ms", "min_doc_count": 1}}
        }
        sub |= {f"v{i}": _values(f, largest) for i, f in enumerate(plan.others)}
        group = {"terms": {"field": plan.group_by[-1], "size": len(last)}, "aggs": sub}
        bodies.append(plan.body(plan.query(prefix, last), {"g": group}))
    cols: dict[RowKey, dict[str, list[Any]]] = {}
    answers = _pipelined(es, index, bodies, batch, weights)
    for (prefix, last), aggs in zip(searches, answers, strict=True):
        if aggs is None:
            continue  # the family grew past max_buckets since it was counted: hits
        found = {b["key"]: b for b in _buckets(aggs, "g")}
        for value in last:
            bucket = found.get(key_value(plan.group_by[-1], value))
            stamps = _expand(_buckets(bucket, "t"), int)
            if (
                not stamps
                or len(stamps) > cap
                or any(_truncated(bucket, f"v{i}") for i in range(len(plan.others)))
            ):
                continue  # changed since it was counted: the hits path decides
            values = [sorted(_expand(_buckets(bucket, f"v{i}"), float)) for i in range(len(plan.others))]
            cols[(*prefix, value)] = {"@timestamp": stamps, **dict(zip(plan.others, values, strict=True))}
    return cols


def _fetch_past_limit(
    es: Elasticsearch, index: str, plan: _Plan, keys: Sequence[RowKey], batch: int
) -> dict[RowKey, dict[str, list[Any]]]:
    """Groups with more events than the limit (at most one other field): the first ``limit``
    milliseconds from a key-ordered ``terms``, cut at the limit-th event; then the values before
    the cut-off millisecond and the smallest values inside it."""
    limit = plan.limit
    cols: dict[RowKey, dict[str, list[Any]]] = {}
    batch = max(1, min(batch, MSEARCH_BUCKET_BUDGET // (limit * len(plan.fields))))  # ~limit buckets a field
    for start in range(0, len(keys), batch):
        chunk = keys[start : start + batch]
        ts_terms = {"t": {"terms": {"field": "@timestamp", "size": limit, "order": {"_key": "asc"}}}}
        first = _msearch(es, index, [plan.body(plan.query(k), ts_terms) for k in chunk])
        stamps_of = {
            k: _expand(_buckets(a, "t"), int)[:limit] for k, a in zip(chunk, first, strict=True) if a
        }
        if not plan.others:
            cols.update({k: {"@timestamp": stamps} for k, stamps in stamps_of.items()})
            continue
        field = plan.others[0]
        todo = [k for k in chunk if k in stamps_of]
        second = []
        for k in todo:
            stamps = stamps_of[k]
            if len(stamps) < limit:  # fewer events than counted: all of them
                aggs: dict[str, Any] = {
                    "all": {"filter": {"match_all": {}}, "aggs": {"v": _values(field, limit)}}
                }
            else:
                cut = stamps[-1]
                before = {"range": {"@timestamp": {"lt": cut, "format": "epoch_millis"}}}
                # [cut, cut + 1): the whole millisecond, also on a date_nanos field.
                at = {"range": {"@timestamp": {"gte": cut, "lt": cut + 1, "format": "epoch_millis"}}}
                aggs = {
                    "all": {"filter": before, "aggs": {"v": _values(field, limit)}},
                    "at": {"filter": at, "aggs": {"v": _values(field, limit)}},
                }
            second.append(plan.body(plan.query(k), aggs))
        for k, answer in zip(todo, _msearch(es, index, second), strict=True):
            if answer is None or _truncated(answer, "all", "v"):
                continue  # grew since it was counted: the hits path decides
            stamps = stamps_of[k]
            values = _expand(_buckets(answer, "all", "v"), float)
            if len(stamps) == limit:
                # The cut-off millisecond's events within the limit: by value, missing last.
                wanted = limit - sum(1 for t in stamps if t < stamps[-1])
                values += _expand(_buckets(answer, "at", "v"), float)[:wanted]
            cols[k] = {"@timestamp": stamps, field: sorted(values)}
    return cols


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

    Args:
        es: The client.
        index: Index pattern.
        base_query: The query's filter and time range (DSL).
        group_by: Group-by fields (the keys' order).
        series: Unaligned :class:`Series` metrics (:func:`aggregatable`).
        keys: Group keys.
        counts: Each group's events under ``base_query`` (the first phase's ``count``); a
            group without a count is left out.
        batch: Searches per ``_msearch``.

    Returns:
        ``{group key: {"series:<field>": list}}`` for the groups done; the caller fetches the
        others (missing here) as hits.
    """
    plan = _Plan(base_query, group_by, series)
    cap = min(plan.limit, plan.per_agg)
    small = [k for k in keys if 0 < counts.get(k, 0) <= cap]
    past_ok = len(plan.others) <= 1 and len({s.limit for s in series}) == 1 and plan.limit <= plan.per_agg
    past = [k for k in keys if counts.get(k, 0) > plan.limit] if past_ok else []
    cols = _fetch_families(es, index, plan, small, counts, batch)
    cols |= _fetch_past_limit(es, index, plan, past, batch)
    return {k: {f"series:{f}": c[f] for s in series for f in s.of} for k, c in cols.items()}
