"""Composite paging and PIT paging on the real node: every group once, in order, memory bounded."""

from __future__ import annotations

import ipaddress
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sectool.errors import ServiceError
from sectool.traffic.detect.backends.es import ElasticsearchBackend
from sectool.traffic.detect.backends.es_paging import MAX_PAGE_SIZE, iter_composite, iter_hits
from sectool.traffic.detect.backends.es_query import MATCH_ALL
from sectool.traffic.detect.backends.es_testing import event_index
from sectool.traffic.detect.spec import Count, Query, Sum

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def _host(i: int) -> str:
    # Half IPv4, half IPv6: both families through the same ip field.
    if i % 2:
        return str(ipaddress.IPv4Address(0x0A000000 + i))
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) + i))


def _events(n_hosts: int, per_host: int = 1) -> Iterator[dict[str, Any]]:
    for i in range(n_hosts):
        for j in range(per_host):
            yield {
                "@timestamp": T0 + timedelta(seconds=(i * 7 + j * 13) % 3600),
                "source.ip": _host(i),
                "source.bytes": i + j,
            }


@pytest.fixture(scope="module")
def es_hosts(es: Any) -> Iterator[str]:
    with event_index(es, _events(3000), shards=3) as name:
        yield name


def test_composite_pages_through_every_group_once_in_order(es: Any, es_hosts: str) -> None:
    pages: list[int] = []
    keys = [
        b["key"]["k0"]
        for b in iter_composite(
            es,
            index=es_hosts,
            query=MATCH_ALL,
            sources=[{"k0": {"terms": {"field": "source.ip"}}}],
            page_size=97,
            on_page=pages.append,
        )
    ]
    assert len(keys) == 3000
    assert set(keys) == {_host(i) for i in range(3000)}
    # Composite order on an ip field is the address order (IPv4 sorts before IPv6 as mapped).
    order = [ipaddress.ip_address(k) for k in keys]
    assert order == sorted(order, key=lambda a: (a.version, a))
    assert len(pages) == -(-3000 // 97)
    assert all(p == 97 for p in pages[:-1])


def test_page_size_is_bounded(es: Any, es_hosts: str) -> None:
    for bad in (0, MAX_PAGE_SIZE + 1):
        with pytest.raises(ValueError, match="page_size must be within"):
            next(iter_composite(es, index=es_hosts, query=MATCH_ALL, sources=[], page_size=bad))


def test_backend_table_does_not_depend_on_page_size(es: Any, es_hosts: str) -> None:
    query = Query("q", ("source.ip",), (Count(), Sum("source.bytes")), interval=timedelta(minutes=20))
    small = ElasticsearchBackend(es, es_hosts, page_size=113).run(query, T0, T0 + timedelta(hours=1))
    large = ElasticsearchBackend(es, es_hosts, page_size=MAX_PAGE_SIZE).run(
        query, T0, T0 + timedelta(hours=1)
    )
    assert len(small) == 3000
    assert small.equals(large)


def _peak_while_consuming(es: Any, index: str, page_size: int) -> tuple[int, int]:
    tracemalloc.start()
    try:
        n = 0
        for _ in iter_composite(
            es,
            index=index,
            query=MATCH_ALL,
            sources=[{"k0": {"terms": {"field": "source.ip"}}}],
            aggs={"b": {"sum": {"field": "source.bytes"}}},
            page_size=page_size,
        ):
            n += 1
        return n, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_pager_memory_does_not_grow_with_the_number_of_groups(es: Any, es_hosts: str) -> None:
    with event_index(es, _events(300)) as few:
        n_few, peak_few = _peak_while_consuming(es, few, 100)
    n_many, peak_many = _peak_while_consuming(es, es_hosts, 100)
    assert (n_few, n_many) == (300, 3000)
    # Ten times the groups, the same page size: the peak is one page, not the whole result.
    assert peak_many < 1.5 * peak_few + 256 * 1024, (peak_few, peak_many)


def test_pit_hits_pager_walks_every_hit_once(es: Any, es_hosts: str) -> None:
    seen = [
        h["fields"]["source.ip"][0]
        for h in iter_hits(
            es,
            index=es_hosts,
            query={"range": {"source.bytes": {"lt": 500}}},
            sort=[{"source.bytes": "asc"}],
            fields=["source.ip"],
            page_size=37,
        )
    ]
    assert len(seen) == 500
    assert seen == [_host(i) for i in range(500)]


@pytest.mark.slow
def test_hundred_thousand_hosts_in_bounded_memory(es: Any) -> None:
    n = 100_000
    with event_index(es, _events(n), shards=2) as name:
        count, peak = _peak_while_consuming(es, name, 2000)
        assert count == n
        # One page of 2,000 buckets is well under 10 MB of Python objects.
        assert peak < 10 * 1024 * 1024, peak
        table = ElasticsearchBackend(es, name).run(
            Query("q", ("source.ip",), (Count(),)), T0, T0 + timedelta(hours=1)
        )
    assert len(table) == n
    assert int(table["count"].sum()) == n


# --------------------------------------------------------------------------- partial answers
_BREAKER = {"type": "circuit_breaking_exception", "reason": "[request] Data too large"}


def _page(
    buckets: int, *, failed: int = 0, reason: dict[str, str] | None = None, after: bool = True
) -> dict[str, Any]:
    shards: dict[str, Any] = {"total": 3, "successful": 3 - failed, "failed": failed}
    if failed:
        shards["failures"] = [{"shard": i, "reason": reason or _BREAKER} for i in range(failed)]
    groups: dict[str, Any] = {"buckets": [{"key": {"k0": i}, "doc_count": 1} for i in range(buckets)]}
    if buckets:
        groups["after_key"] = {"k0": buckets - 1}
    return {"_shards": shards, "timed_out": False, "aggregations": {"groups": groups}}


class _ScriptedES:
    """Answers searches from a script and records the page sizes asked for."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers, self.sizes = answers, []

    def search(self, **kwargs: Any) -> dict[str, Any]:
        self.sizes.append(kwargs["body"]["aggs"]["groups"]["composite"]["size"])
        return self.answers.pop(0)


def _walk(es: Any, page_size: int = 1000) -> list[Any]:
    return list(iter_composite(es, index="idx", query=MATCH_ALL, sources=[], page_size=page_size))


def test_a_tripped_memory_breaker_retries_the_page_smaller_and_keeps_the_smaller_size() -> None:
    # Elasticsearch answers HTTP 200 with the buckets of the shards that survived: using them
    # gave too-low counts (a 254-host sweep counted as 84). The page is asked again, halved.
    es = _ScriptedES([_page(7, failed=2), _page(500), _page(3)])
    assert len(_walk(es)) == 503
    assert es.sizes == [1000, 500, 500]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (
            [_page(5, failed=1, reason={"type": "shard_failure", "reason": "disk gone"})],
            "only 2 of 3 shards: shard_failure: disk gone",
        ),
        ([{**_page(5), "timed_out": True}], "timed out"),
        ([_page(5, failed=3)] * 8, "ran out of memory"),
    ],
    ids=["other shard failure", "timeout", "breaker at the smallest page"],
)
def test_a_partial_answer_is_a_service_error_never_silently_short(answers: list[Any], message: str) -> None:
    with pytest.raises(ServiceError, match=message):
        _walk(_ScriptedES(list(answers)))
