"""Paging through Elasticsearch aggregations and searches without holding the result in memory.

Two pagers, both generators that keep at most one page in memory:

* :func:`iter_composite` walks a ``composite`` aggregation with ``after_key`` and yields its
  buckets one by one. This is how group-by over an unbounded number of groups (100,000 hosts,
  a national address space) stays memory bounded: the client never asks for more than
  ``page_size`` buckets at a time, and the cluster never builds more than that per shard.
* :func:`iter_hits` walks a filtered search with a point in time (PIT) and ``search_after``,
  sorted on caller-chosen fields plus the ``_shard_doc`` tiebreaker. It is used only for the
  second phase of two-phase detectors (timestamps of the candidate pairs an aggregation chose),
  never to read all raw documents.

Transport failures become :class:`sectool.errors.ServiceError` with one clear line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sectool.errors import ServiceError

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = [
    "DEFAULT_HITS_PAGE",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "call_es",
    "error_reason",
    "iter_composite",
    "iter_hits",
]

#: Buckets per composite page. Each page is one pass over the matching documents on the
#: cluster, so pages are large; a page of multi-metric buckets is still only a few megabytes.
DEFAULT_PAGE_SIZE = 10_000
#: The ``search.max_buckets`` default is 65,536; a composite page must stay below it together
#: with its sub-aggregation buckets.
MAX_PAGE_SIZE = 10_000
#: The smallest page a memory-breaker retry goes down to before giving up.
MIN_RETRY_PAGE = 100
#: Hits per ``search_after`` page (the ``index.max_result_window`` default is 10,000).
DEFAULT_HITS_PAGE = 5000

_T = TypeVar("_T")


def call_es(what: str, func: Callable[..., _T], /, **kwargs: Any) -> _T:
    """Call one client method and turn client/transport errors into :class:`ServiceError`.

    Args:
        what: A few words for the message ("composite aggregation on 'logs-*'").
        func: The bound client method, e.g. ``es.search``.
        **kwargs: Passed through.
    """
    from elastic_transport import TransportError
    from elasticsearch import ApiError

    try:
        return func(**kwargs)
    except ApiError as exc:
        raise ServiceError(f"Elasticsearch rejected the {what}: {_api_reason(exc)}") from exc
    except TransportError as exc:
        raise ServiceError(f"Elasticsearch is unreachable during the {what}: {exc.message}") from exc


def _api_reason(exc: Any) -> str:
    """The most specific reason Elasticsearch gave (``root_cause[0].reason`` when present)."""
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping) and body.get("error"):
        return error_reason(body["error"])
    return f"HTTP {getattr(exc, 'status_code', '?')} {getattr(exc, 'message', exc)}"


def error_reason(error: Any) -> str:
    """The most specific reason in an Elasticsearch ``error`` object (also an ``_msearch``
    item's): ``root_cause[0]`` when present, else the error's own type and reason."""
    if isinstance(error, Mapping):
        causes = error.get("root_cause") or []
        if causes and isinstance(causes[0], Mapping) and causes[0].get("reason"):
            return f"{causes[0].get('type', 'error')}: {causes[0]['reason']}"
        if error.get("reason"):
            return f"{error.get('type', 'error')}: {error['reason']}"
    return str(error)


def iter_composite(
    es: Elasticsearch,
    *,
    index: str,
    query: Mapping[str, Any],
    sources: Sequence[Mapping[str, Any]],
    aggs: Mapping[str, Any] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    runtime_mappings: Mapping[str, Any] | None = None,
    on_page: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every bucket of a composite aggregation, one page in memory at a time.

    Args:
        es: The client.
        index: Index name or pattern.
        query: The filter (query DSL) applied before aggregating.
        sources: Composite ``sources`` (a list of one-key dicts, in sort order).
        aggs: Sub-aggregations computed per bucket (metrics).
        page_size: Buckets per request (1..:data:`MAX_PAGE_SIZE`).
        runtime_mappings: Optional runtime fields used by the sources.
        on_page: Called with the number of buckets after each page (progress, tests).

    Yields:
        The raw buckets: ``{"key": {...}, "doc_count": n, <sub-aggregations>}``.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be within 1..{MAX_PAGE_SIZE}, got {page_size}")
    after: Mapping[str, Any] | None = None
    while True:
        resp = _composite_page(es, index, query, sources, aggs, page_size, after, runtime_mappings)
        if resp is None:
            # A shard's memory breaker tripped: the same page again, half as large (and the
            # following pages too: the buckets of this query are that heavy).
            page_size = _smaller_page(page_size, index)
            continue
        result = (resp.get("aggregations") or {}).get("groups") or {}
        buckets = result.get("buckets") or []
        if on_page is not None:
            on_page(len(buckets))
        yield from buckets
        after = result.get("after_key")
        # A short page is the last one: saves the empty round trip the docs' loop makes.
        if after is None or len(buckets) < page_size:
            return


def _smaller_page(page_size: int, index: str) -> int:
    if page_size <= MIN_RETRY_PAGE:
        raise ServiceError(
            f"Elasticsearch ran out of memory for the composite aggregation on {index!r} even "
            f"at {page_size} buckets per page: raise the node's heap or narrow the range"
        )
    return max(MIN_RETRY_PAGE, page_size // 2)


def _composite_page(
    es: Elasticsearch,
    index: str,
    query: Mapping[str, Any],
    sources: Sequence[Mapping[str, Any]],
    aggs: Mapping[str, Any] | None,
    page_size: int,
    after: Mapping[str, Any] | None,
    runtime_mappings: Mapping[str, Any] | None,
) -> Mapping[str, Any] | None:
    """One composite page; ``None`` when a shard's circuit breaker tripped (retry smaller).

    Elasticsearch answers a search whose shards partly failed with HTTP 200 and the buckets of
    the shards that succeeded: counts silently too low (seen on a 3-shard index, where 10,000
    buckets with a ``cardinality`` each tripped the request breaker on two shards). A partial
    answer is therefore never used: a memory breaker means a smaller page, any other shard
    failure or a timeout is a :class:`ServiceError`.
    """
    composite: dict[str, Any] = {"size": page_size, "sources": list(sources)}
    if after is not None:
        composite["after"] = after
    agg: dict[str, Any] = {"composite": composite}
    if aggs:
        agg["aggs"] = dict(aggs)
    body: dict[str, Any] = {
        "size": 0,
        "track_total_hits": False,
        "query": dict(query),
        "aggs": {"groups": agg},
    }
    if runtime_mappings:
        body["runtime_mappings"] = dict(runtime_mappings)
    try:
        resp = call_es(
            f"composite aggregation on {index!r}",
            es.search,
            index=index,
            body=body,
            allow_no_indices=True,
            ignore_unavailable=True,
        )
    except ServiceError as exc:
        # All shards failed: Elasticsearch raises instead of answering partially.
        if "circuit_breaking_exception" in str(exc):
            return None
        raise
    shards = resp.get("_shards") or {}
    failures = shards.get("failures") or []
    if shards.get("failed"):
        reasons = [error_reason(f.get("reason")) for f in failures if isinstance(f, Mapping)]
        if reasons and all(r.startswith("circuit_breaking_exception") for r in reasons):
            return None
        raise ServiceError(
            f"Elasticsearch answered the composite aggregation on {index!r} from only "
            f"{shards.get('successful', '?')} of {shards.get('total', '?')} shards: "
            + (reasons[0] if reasons else "no reason given")
        )
    if resp.get("timed_out"):
        raise ServiceError(f"the composite aggregation on {index!r} timed out (partial answer)")
    return cast("Mapping[str, Any]", resp)


def iter_hits(
    es: Elasticsearch,
    *,
    index: str,
    query: Mapping[str, Any],
    sort: Sequence[Mapping[str, Any] | str],
    fields: Sequence[Mapping[str, Any] | str],
    page_size: int = DEFAULT_HITS_PAGE,
    keep_alive: str = "2m",
    source: bool | Sequence[str] = False,
    on_page: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the hits of a filtered search in a stable order, with PIT and ``search_after``.

    By default only doc values are fetched (``docvalue_fields``, ``_source`` off), so each hit
    is a few hundred bytes whatever the size of the stored document.

    Args:
        es: The client.
        index: Index name or pattern.
        query: The (narrow) filter: callers pass only candidate entities here.
        sort: Sort clauses; ``_shard_doc`` is appended as the tiebreaker.
        fields: ``docvalue_fields`` entries.
        page_size: Hits per request.
        keep_alive: How long the PIT survives between pages.
        source: ``_source`` filtering (off by default; the findings reader needs it).
        on_page: Called with the number of hits after each page.

    Yields:
        Hits with ``fields`` (lists of values) and ``sort``.
    """
    if not 1 <= page_size <= 10_000:
        raise ValueError(f"page_size must be within 1..10000, got {page_size}")
    opened = call_es(
        f"point-in-time on {index!r}",
        es.open_point_in_time,
        index=index,
        keep_alive=keep_alive,
        ignore_unavailable=True,
        allow_partial_search_results=False,
    )
    pit_id = opened["id"]
    try:
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "size": page_size,
                "track_total_hits": False,
                "query": dict(query),
                "sort": [*sort, {"_shard_doc": "asc"}],
                "_source": source if isinstance(source, bool) else list(source),
                "docvalue_fields": list(fields),
                "pit": {"id": pit_id, "keep_alive": keep_alive},
            }
            if after is not None:
                body["search_after"] = after
            resp = call_es(f"search on {index!r}", es.search, body=body)
            # Each response may carry a refreshed PIT id; the next page must use it.
            pit_id = resp.get("pit_id", pit_id)
            hits = resp["hits"]["hits"]
            if on_page is not None:
                on_page(len(hits))
            yield from hits
            if len(hits) < page_size:
                return
            after = hits[-1]["sort"]
    finally:
        # Best effort: an unclosed PIT expires by itself after keep_alive.
        with contextlib.suppress(Exception):
            es.close_point_in_time(id=pit_id)
