"""The real Suricata EVE file of the corpus (suricata/slips-test6-eve.json, Stratosphere Lab's
Slips dataset, GPL-2.0): every record read and mapped, each kind checked against its raw line."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sectool.traffic import ecs
from sectool.traffic.localstore import document_id
from sectool.traffic.readers import ReadReport, read_events

EVE = Path("suricata") / "slips-test6-eve.json"


@pytest.fixture(scope="module")
def raw(corpus: Path) -> list[dict[str, Any]]:
    """The file's records, parsed with the standard library (independent of the reader)."""
    with (corpus / EVE).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def read(corpus: Path) -> tuple[list[dict[str, Any]], ReadReport]:
    report = ReadReport()
    return list(read_events(corpus / EVE, report=report)), report


@pytest.fixture(scope="module")
def pairs(
    raw: list[dict[str, Any]], read: tuple[list[dict[str, Any]], ReadReport]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(raw record, its event): one ``suricata.eve`` event per line, in file order (the derived
    authentication events of the heuristic are interleaved and left out)."""
    events = [e for e in read[0] if e["event.dataset"] == "suricata.eve"]
    assert len(events) == len(raw)
    return list(zip(raw, events, strict=True))


def _first(
    pairs: list[tuple[dict[str, Any], dict[str, Any]]], etype: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    return next(p for p in pairs if p[0]["event_type"] == etype)


def test_every_record_is_read_and_counted_by_type(
    raw: list[dict[str, Any]], read: tuple[list[dict[str, Any]], ReadReport]
) -> None:
    events, report = read
    assert report.lines == len(raw)
    assert report.skipped == 0
    assert report.warnings == []
    want = Counter(r["event_type"] for r in raw)
    got = Counter(e["suricata.eve.event_type"] for e in events if e["event.dataset"] == "suricata.eve")
    assert got == want
    # the numbers docs/traffic-ingest.md gives for this file
    assert want == {
        "flow": 3512,
        "alert": 745,
        "dns": 680,
        "http": 56,
        "fileinfo": 3,
        "anomaly": 3,
        "tls": 1,
    }


def test_events_follow_the_schema_and_ids_are_unique(read: tuple[list[dict[str, Any]], ReadReport]) -> None:
    events = read[0]
    assert {k for e in events for k in e if not ecs.is_known(k)} == set()
    ids = [document_id(e) for e in events]
    assert len(set(ids)) == len(ids)


def test_timestamps_and_tuples_match_the_lines(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for rec, event in pairs:
        ts = rec["flow"]["start"] if rec["event_type"] == "flow" else rec["timestamp"]
        assert event["@timestamp"] == datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z")
        assert (event.get("source.ip"), event.get("destination.port")) == (
            rec.get("src_ip"),
            rec.get("dest_port"),
        )
        assert event["suricata.eve.flow_id"] == str(rec["flow_id"])
        assert event["observer.name"] == rec["host"]


def test_a_real_http_record(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    rec, event = next(p for p in pairs if p[0]["event_type"] == "http" and "status" in p[0]["http"])
    http = rec["http"]
    assert event["event.category"] == "web"
    assert event["network.protocol"] == "http"
    assert event["url.original"] == http["url"]
    assert event["url.path"] == http["url"].split("?")[0]
    assert event["url.port"] == http["http_port"]
    assert event["destination.domain"] == event["url.domain"] == http["hostname"]
    assert event["http.request.method"] == http["http_method"]
    assert event["http.response.status_code"] == http["status"]
    assert event["http.response.body.bytes"] == http["length"]
    assert event["http.version"] == http["protocol"].removeprefix("HTTP/")
    assert event["event.outcome"] == ("success" if http["status"] < 400 else "failure")
    assert event.get("user_agent.original") == http.get("http_user_agent")
    assert event.get("suricata.eve.http.http_content_type") == http.get("http_content_type")


def test_a_real_tls_record(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    rec, event = _first(pairs, "tls")
    tls = rec["tls"]
    assert event["network.protocol"] == "tls"
    assert event["tls.client.server_name"] == tls["sni"] == event["destination.domain"]
    assert event["tls.client.ja3"] == tls["ja3"]["hash"]
    assert event["tls.server.ja3s"] == tls["ja3s"]["hash"]
    assert event["tls.server.subject"] == tls["subject"]
    assert event["tls.server.issuer"] == tls["issuerdn"]
    assert event["tls.server.hash.sha1"] == tls["fingerprint"].replace(":", "").upper()
    protocol, version = tls["version"].split(" ")
    assert (event["tls.version_protocol"], event["tls.version"]) == (protocol.lower(), version)
    assert event["tls.server.not_before"].isoformat() == tls["notbefore"] + "+00:00"
    assert event["tls.server.not_after"].isoformat() == tls["notafter"] + "+00:00"
    assert event["suricata.eve.tls.serial"] == tls["serial"]
    assert event["suricata.eve.tls.ja3.string"] == tls["ja3"]["string"]
    assert set(event["related.hash"]) == {
        tls["ja3"]["hash"],
        tls["ja3s"]["hash"],
        event["tls.server.hash.sha1"],
    }


def test_a_real_alert(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    rec, event = _first(pairs, "alert")
    alert = rec["alert"]
    assert (event["event.kind"], event["event.category"]) == ("alert", "intrusion_detection")
    assert event["event.type"] == alert["action"]
    assert event["rule.id"] == str(alert["signature_id"])
    assert event["rule.name"] == alert["signature"]
    assert event["rule.category"] == alert["category"]
    assert event["rule.version"] == str(alert["rev"])
    assert event["event.severity"] == alert["severity"]
    assert event["suricata.eve.alert.gid"] == alert["gid"]
    metadata = {
        k.removeprefix("suricata.eve.alert.metadata."): v for k, v in event.items() if ".metadata." in k
    }
    assert metadata == alert["metadata"]
    assert event["source.bytes"] == rec["flow"]["bytes_toserver"]
    assert event["source.packets"] == rec["flow"]["pkts_toserver"]


def test_every_alert_keeps_its_rule(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for rec, event in pairs:
        if rec["event_type"] == "alert":
            assert (event["rule.id"], event["rule.version"], event["suricata.eve.alert.gid"]) == (
                str(rec["alert"]["signature_id"]),
                str(rec["alert"]["rev"]),
                rec["alert"]["gid"],
            )


def test_real_fileinfo_records(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    found = [(r, e) for r, e in pairs if r["event_type"] == "fileinfo"]
    assert len(found) == 3
    for rec, event in found:
        info = rec["fileinfo"]
        assert (event["event.category"], event["event.type"]) == ("file", "info")
        assert event["file.path"] == info["filename"]
        assert event["file.size"] == info["size"]
        assert event["suricata.eve.fileinfo.state"] == info["state"]
        assert event["suricata.eve.fileinfo.stored"] is info["stored"]
        assert event["url.original"] == rec["http"]["url"]
        assert event.get("http.response.status_code") == rec["http"].get("status")  # one has no answer
        assert event["network.protocol"] == rec["app_proto"]


def test_real_anomalies(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for rec, event in (p for p in pairs if p[0]["event_type"] == "anomaly"):
        for key, value in rec["anomaly"].items():
            assert event[f"suricata.eve.anomaly.{key}"] == value
