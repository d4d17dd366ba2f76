from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sectool.errors import ServiceError
from sectool.traffic.es.bulk import BulkIndexer, to_action
from sectool.traffic.es.template import ensure_template
from sectool.traffic.localstore import event_id

T0 = datetime(2026, 3, 3, 23, 59, 58, tzinfo=UTC)


def _events(n: int) -> list[dict[str, Any]]:
    return [
        {
            "@timestamp": T0 + timedelta(seconds=i),  # crosses midnight: two daily indices
            "event.kind": "event",
            "event.category": "network",
            "source.ip": f"10.1.0.{i % 200 + 1}",
            "source.port": 30000 + i,
            "destination.ip": "192.0.2.1",
            "destination.port": 443,
            "dns.answers.data": ["192.0.2.9"] if i % 3 == 0 else None,
        }
        for i in range(n)
    ]


def test_action_shape() -> None:
    event = _events(1)[0]
    action = to_action("p", event)
    assert action["_op_type"] == "create"
    assert action["_index"] == "p-2026.03.03"
    assert action["_id"] == event_id(event)
    assert action["_source"]["source"]["ip"] == "10.1.0.1"
    assert action["_source"]["@timestamp"] == "2026-03-03T23:59:58.000000Z"
    assert action["_source"]["dns"]["answers"]["data"] == ["192.0.2.9"]


def test_idempotent_and_rejections_counted(es_url: str, es_prefix: str) -> None:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url)
    ensure_template(client, es_prefix)
    events = _events(50)
    with BulkIndexer(client, es_prefix, chunk_size=7, workers=2) as first:
        for e in events:
            first.add(e)
    first.refresh()
    assert (first.stats.indexed, first.stats.already_present, first.stats.rejected) == (50, 0, 0)
    assert sorted(first.indices) == [f"{es_prefix}-2026.03.03", f"{es_prefix}-2026.03.04"]

    bad = {**events[0], "source.ip": "not-an-ip", "source.port": 1}
    with BulkIndexer(client, es_prefix, chunk_size=7) as second:
        for e in [*events, bad]:
            second.add(e)
    second.refresh()
    assert (second.stats.indexed, second.stats.already_present, second.stats.rejected) == (0, 50, 1)
    assert (
        "document_parsing_exception" in second.stats.reasons[0] or "mapper_parsing" in second.stats.reasons[0]
    )
    assert "source.ip" in second.stats.reasons[0]
    assert client.count(index=f"{es_prefix}-*")["count"] == 50
    client.close()


def test_unreachable_node_retries_with_backoff_then_fails() -> None:
    from elasticsearch import Elasticsearch

    sleeps: list[float] = []
    client = Elasticsearch("http://127.0.0.1:9", max_retries=0)
    indexer = BulkIndexer(
        client,
        "p",
        url="http://127.0.0.1:9",
        chunk_size=10,
        max_retries=3,
        initial_backoff=0.5,
        sleep=sleeps.append,
    )
    for e in _events(5):
        indexer.add(e)
    with pytest.raises(ServiceError) as exc:
        indexer.close()
    assert sleeps == [0.5, 1.0, 2.0]
    message = str(exc.value)
    assert "Elasticsearch at http://127.0.0.1:9 failed during bulk indexing" in message
    assert "run the same command again" in message


class _Recording:
    """A client whose ``bulk`` records the bodies and answers "no errors"."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def bulk(self, *, operations: bytes, filter_path: Any) -> Any:
        self.bodies.append(operations)
        return type("Answer", (), {"body": {"errors": False}})()


@pytest.mark.parametrize(("chunk_size", "max_bytes"), [(7, 10**6), (5000, 10**6), (7, 300), (1, 10**6)])
def test_add_many_sends_the_chunks_add_encoded_sends(chunk_size: int, max_bytes: int) -> None:
    import random

    rng = random.Random(7)
    docs = [(f"i-{k % 3}", f"id{k}", b"x" * rng.randint(10, 120) + b"\n") for k in range(200)]
    one, many = _Recording(), _Recording()
    with BulkIndexer(one, "p", chunk_size=chunk_size, max_chunk_bytes=max_bytes, workers=1) as a:  # type: ignore[arg-type]
        for doc in docs:
            a.add_encoded(doc)
    with BulkIndexer(many, "p", chunk_size=chunk_size, max_chunk_bytes=max_bytes, workers=1) as b:  # type: ignore[arg-type]
        at = 0
        while at < len(docs):
            block = docs[at : at + rng.randint(1, 40)]
            b.add_many(block, {d[0] for d in block})
            at += len(block)
    assert many.bodies == one.bodies
    assert b.indices == a.indices == {"i-0", "i-1", "i-2"}
    assert b.stats.indexed == a.stats.indexed == len(docs)
