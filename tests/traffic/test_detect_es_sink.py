"""The Elasticsearch findings sink against the real node."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sectool.errors import InputError, ServiceError
from sectool.traffic.detect.findings import Entity, Finding, split_new
from sectool.traffic.detect.sinks.es import (
    SEVERITY_NUMBER,
    finding_document,
    findings_mapping,
    read_findings,
    write_findings,
)

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)


def _finding(hour: int, *, score: float = 0.8, src: str = "10.0.0.5", det: str = "beaconing") -> Finding:
    return Finding(
        detector=det,
        severity="high" if score >= 0.75 else "medium",
        score=score,
        entity=Entity(
            "pair",
            f"{src} -> 2001:db8::66",
            (("source.ip", src), ("destination.ip", "2001:db8::66")),
        ),
        window_start=T0 + timedelta(hours=hour),
        window_end=T0 + timedelta(hours=hour + 1),
        title="regular connections <script>",
        evidence={"count": 42, "gap.median_s": 60.5, "series": [1, 2, 3], "nested": {"k": "v"}},
        query={"dsl": {"bool": {"filter": [{"term": {"source.ip": src}}]}}, "kql": f'source.ip:"{src}"'},
        techniques=("T1071", "T1071.004", "T1573"),
    )


@pytest.fixture
def es_findings(es: Any) -> Iterator[str]:
    name = f"sectool-test-findings-{uuid.uuid4().hex[:10]}"
    yield name
    es.indices.delete(index=name, ignore_unavailable=True)


def test_document_has_ecs_alert_fields() -> None:
    doc = finding_document(_finding(0), created=NOW)
    assert doc["@timestamp"] == "2026-03-02T10:00:00Z"
    assert doc["event"]["kind"] == "alert"
    assert doc["event"]["severity"] == SEVERITY_NUMBER["high"] == 73
    assert doc["event"]["risk_score"] == 80.0
    assert doc["event"]["created"] == "2026-03-02T14:00:00Z"
    assert doc["rule"]["name"] == "beaconing"
    assert doc["threat"]["technique"]["id"] == ["T1071", "T1573"]
    assert doc["threat"]["technique"]["subtechnique"]["id"] == ["T1071.004"]
    assert doc["source"]["ip"] == "10.0.0.5"
    assert doc["destination"]["ip"] == "2001:db8::66"
    assert doc["sectool"]["finding"]["id"] == _finding(0).id
    assert findings_mapping()["dynamic"] == "strict"


def test_write_is_idempotent_and_round_trips(es: Any, es_findings: str) -> None:
    findings = [_finding(0), _finding(1, src="10.0.0.6"), _finding(2, score=0.6)]
    first = write_findings(es, findings, index=es_findings, now=NOW)
    assert (first.created, first.updated) == (3, 0)
    # Same findings again, one with a new score, one new: no duplicates, first-seen time kept.
    again = [_finding(0, score=0.95), findings[1], findings[2], _finding(3)]
    second = write_findings(es, again, index=es_findings, now=NOW + timedelta(hours=1))
    assert (second.created, second.updated) == (1, 3)
    assert es.count(index=es_findings)["count"] == 4
    stored = es.get(index=es_findings, id=findings[0].id)["_source"]
    assert stored["event"]["created"] == "2026-03-02T14:00:00Z"
    assert stored["sectool"]["finding"]["score"] == 0.95
    back = read_findings(es, index=es_findings, since=T0)
    assert [f.id for f in back] == [f.id for f in sorted(again, key=lambda f: f.window_end)]
    assert back[1] == findings[1]  # exact round trip: entity, evidence, query, techniques
    # Kibana-style searches work on the ECS fields.
    hits = es.search(index=es_findings, query={"term": {"source.ip": "10.0.0.0/24"}}, size=10)
    assert hits["hits"]["total"]["value"] == 4
    hits = es.search(index=es_findings, query={"term": {"threat.technique.subtechnique.id": "T1071.004"}})
    assert hits["hits"]["total"]["value"] == 4
    hits = es.search(index=es_findings, query={"term": {"sectool.finding.evidence.count": "42"}})
    assert hits["hits"]["total"]["value"] == 4


def test_read_filters_by_window_end_and_detector(es: Any, es_findings: str) -> None:
    write_findings(
        es,
        [_finding(0), _finding(5), _finding(6, det="port_scan")],
        index=es_findings,
        now=NOW,
    )
    assert [
        f.window_start.hour for f in read_findings(es, index=es_findings, since=T0 + timedelta(hours=3))
    ] == [
        15,
        16,
    ]
    only = read_findings(es, index=es_findings, since=T0, detectors=["port_scan"])
    assert [f.detector for f in only] == ["port_scan"]


def test_missing_index_means_no_previous_findings(es: Any) -> None:
    assert read_findings(es, index=f"sectool-test-none-{uuid.uuid4().hex[:8]}", since=T0) == []


def test_realert_uses_findings_read_back_from_es(es: Any, es_findings: str) -> None:
    write_findings(es, [_finding(0)], index=es_findings, now=NOW)
    previous = read_findings(es, index=es_findings, since=T0 - timedelta(hours=24))
    new, repeated = split_new([_finding(2), _finding(2, src="10.9.9.9")], previous, timedelta(hours=6))
    assert [f.entity.fields[0][1] for f in new] == ["10.9.9.9"]
    assert [f.entity.fields[0][1] for f in repeated] == ["10.0.0.5"]


def test_unreachable_node_is_a_service_error() -> None:
    from elasticsearch import Elasticsearch

    dead = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)
    with pytest.raises(ServiceError, match="unreachable"):
        write_findings(dead, [_finding(0)], index="x", now=NOW)


@pytest.mark.parametrize("bad", ["Findings", "sectool-*", "-x", "a b", ""])
def test_invalid_index_name_is_an_input_error(es: Any, bad: str) -> None:
    with pytest.raises(InputError, match="invalid findings index name") as info:
        write_findings(es, [_finding(0)], index=bad, now=NOW)
    assert info.value.location.field == "--findings-index"


def test_foreign_documents_are_an_input_error(es: Any, es_findings: str) -> None:
    write_findings(es, [_finding(0)], index=es_findings, now=NOW)
    foreign = {"sectool": {"finding": {"id": "x", "window": {"end": "2026-03-02T12:00:00Z"}}}}
    es.index(index=es_findings, id="foreign", document=foreign, refresh=True)
    with pytest.raises(InputError, match=r"'foreign' .* is not a sectool finding"):
        read_findings(es, index=es_findings, since=T0 - timedelta(days=1))


def test_conflicting_existing_index_is_a_service_error(es: Any, es_findings: str) -> None:
    es.indices.create(index=es_findings, mappings={"properties": {"event": {"type": "keyword"}}})
    with pytest.raises(ServiceError, match="rejected the mapping update"):
        write_findings(es, [_finding(0)], index=es_findings, now=NOW)
