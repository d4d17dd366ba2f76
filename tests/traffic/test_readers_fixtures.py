"""Realistic sensor logs (tests/traffic/data, modelled on Zeek 6 and Suricata 7 output) mapped
field by field as Filebeat's Zeek and Suricata modules document it.

Filebeat's mapping (what the expectations follow):

* Zeek connection: ``ts`` -> ``@timestamp``, ``uid`` -> ``event.id``, ``id.orig_h/p`` ->
  ``source.ip/port``, ``id.resp_h/p`` -> ``destination.ip/port``, ``proto`` ->
  ``network.transport``, ``service`` -> ``network.protocol`` (unset when Zeek logged none),
  ``duration`` -> ``event.duration`` (ns), ``orig_ip_bytes``/``resp_ip_bytes`` ->
  ``source.bytes``/``destination.bytes``, ``orig_pkts``/``resp_pkts`` -> ``*.packets``,
  ``network.bytes``/``network.packets`` their sums, ``network.community_id`` computed;
* Zeek dns: ``trans_id`` -> ``dns.id``, ``query`` -> ``dns.question.name`` (as seen),
  ``qtype_name`` -> ``dns.question.type``, ``rcode_name`` -> ``dns.response_code``, ``answers`` ->
  ``dns.answers.data``, registered domain / subdomain / TLD from the public suffix list;
* Suricata: ``src_ip``/``dest_ip``/ports, ``proto`` lower-cased, ``app_proto`` ->
  ``network.protocol``, ``flow.bytes_toserver``/``toclient`` -> ``source.bytes``/``destination.bytes``,
  ``flow.pkts_*`` -> ``*.packets``, ``flow.start``/``end`` -> ``event.start``/``end``; dns
  ``id``/``type``/``rrname``/``rrtype``/``rcode``/answers; alerts ``event.kind: alert``,
  ``alert.action`` allowed/blocked -> ``event.type`` allowed/denied, ``signature_id``/``signature``/
  ``category``/``severity`` -> ``rule.id``/``rule.name``/``rule.category``/``event.severity``.

Where sectool differs on purpose (documented in docs/traffic-ingest.md): ``event.category`` is one
keyword (``intrusion_detection`` for alerts, not Filebeat's array), the datasets are ``zeek.connection`` /
``zeek.dns`` / ``suricata.eve``, and a flow's ``@timestamp`` is its start.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sectool.errors import InputError
from sectool.traffic.localstore import document_id
from sectool.traffic.readers import read_events
from sectool.traffic.readers.community_id import community_id

DATA = Path(__file__).parent / "data"


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _events(name: str, **kw: Any) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "log.file.path"} for e in read_events(DATA / name, **kw)]


def _subset(event: dict[str, Any], expected: dict[str, Any]) -> None:
    got = {k: event.get(k) for k in expected}
    assert got == expected


CONN_EXPECTED: list[dict[str, Any]] = [
    {
        "@timestamp": _t("2024-01-15T10:00:00.104652"),
        "event.id": "CHhAvVGS1DHFjwGM9",
        "event.kind": "event",
        "event.category": "network",
        "event.type": "connection",
        "event.dataset": "zeek.connection",
        "event.module": "zeek",
        "event.duration": 12_043_000,
        "event.end": _t("2024-01-15T10:00:00.116695"),
        "source.ip": "10.0.1.23",
        "source.port": 51234,
        "destination.ip": "10.0.0.53",
        "destination.port": 53,
        "network.transport": "udp",
        "network.protocol": "dns",
        "source.bytes": 61,
        "destination.bytes": 77,
        "source.packets": 1,
        "destination.packets": 1,
        "network.bytes": 138,
        "network.packets": 2,
        "network.type": "ipv4",
        "network.direction": "internal",
        "sectool.connection.state": "SF",
    },
    {
        "event.id": "C4J4Th3PJpwUYZZ6gc",
        "network.protocol": "tls",  # Zeek's "ssl" service, ECS's name
        "source.bytes": 1834,  # orig_ip_bytes, not orig_bytes (1234)
        "destination.bytes": 5952,
        "network.direction": "outbound",
        # The same flow's community id in Suricata's terms (computed, spec vectors in test_readers_pcap)
        "network.community_id": "1:ndGWWFmzQpN0fU03E1t50by5VM4=",
    },
    {  # ICMP echo: Zeek logs the type in id.orig_p and the code in id.resp_p
        "network.transport": "icmp",
        "source.port": 8,
        "destination.port": 0,
        "network.protocol": None,
        "network.community_id": community_id(1, bytes([10, 0, 1, 23]), bytes([10, 0, 0, 1]), 8, 0),
    },
    {  # a scan probe to port 22 with service "-": no protocol guessed, no authentication event
        "destination.port": 22,
        "network.protocol": None,
        "event.duration": None,
        "sectool.connection.state": "S0",
        "destination.bytes": 0,
    },
    {  # SSH on a non-standard port: Zeek's service wins over the port
        "destination.port": 2222,
        "network.protocol": "ssh",
        "event.duration": 4_211_000_000,
    },
    {  # the authentication heuristic's event for the SSH connection before it
        "event.category": "authentication",
        "event.dataset": "sectool.auth_heuristic",
        "event.action": "login-shape-heuristic",  # a guess from the flow's shape, and it says so
        "tags": ["heuristic"],
        "event.outcome": "failure",
        "destination.port": 2222,
    },
    {
        "source.ip": "fd00:1::23",
        "destination.ip": "2001:4860:4860::8888",
        "network.type": "ipv6",
        "network.direction": "outbound",
    },
]

DNS_EXPECTED: list[dict[str, Any]] = [
    {
        "@timestamp": _t("2024-01-15T10:00:00.104652"),
        "event.id": "CHhAvVGS1DHFjwGM9",
        "event.category": "network",
        "event.type": "protocol",
        "event.dataset": "zeek.dns",
        "network.protocol": "dns",
        "dns.id": "16735",
        "dns.type": "answer",
        "dns.question.name": "WwW.Example.COM",  # as seen
        "dns.question.registered_domain": "example.com",  # case-insensitive
        "dns.question.subdomain": "WwW",
        "dns.question.top_level_domain": "com",
        "dns.question.type": "A",
        "dns.response_code": "NOERROR",
        "dns.answers.data": ["www.example.com", "93.184.216.34"],
    },
    {"dns.id": "16736", "dns.response_code": "NXDOMAIN", "dns.answers.data": None},
    {  # query "(empty)": an empty string, not the text "[]"
        "dns.question.name": None,
        "dns.question.top_level_domain": None,
        "dns.question.type": "NS",
        "dns.answers.data": ["a.root-servers.net", "b.root-servers.net"],
    },
    {
        "dns.question.name": "aGVsbG8gd29ybGQ.t.Exfil.Example.co.uk",
        "dns.question.registered_domain": "example.co.uk",
        "dns.question.subdomain": "aGVsbG8gd29ybGQ.t.Exfil",
        "dns.question.top_level_domain": "co.uk",
        "dns.question.type": "TXT",
        "dns.answers.data": ["TXT 11 v=spf1 -all"],
        "network.type": "ipv6",
    },
    {"dns.id": "777", "dns.type": "query", "dns.question.name": None, "dns.response_code": None},
]

EVE_EXPECTED: list[dict[str, Any]] = [
    {
        "@timestamp": _t("2024-01-15T10:00:00.104652"),
        "event.kind": "event",
        "event.category": "network",
        "event.type": "protocol",
        "event.dataset": "suricata.eve",
        "event.module": "suricata",
        "network.transport": "udp",
        "network.protocol": "dns",
        "dns.type": "query",
        "dns.id": "16735",
        "dns.question.name": "WwW.Example.COM",
        "dns.question.registered_domain": "example.com",
        "dns.question.type": "A",
        "dns.answers.data": None,
        "network.community_id": "1:f+faCLMOhB/ITHkALiUkfTNheiQ=",  # = the Zeek conn.log row's
    },
    {  # v2 detailed answers (grouped present too: not counted twice)
        "dns.type": "answer",
        "dns.response_code": "NOERROR",
        "dns.answers.data": ["www.example.com", "93.184.216.34"],
    },
    {
        "dns.response_code": "NXDOMAIN",
        "dns.answers.data": None,
        "dns.question.name": "nosuchhost.example.org",
    },
    {"dns.question.type": "NS", "dns.answers.data": ["a.iana-servers.net", "b.iana-servers.net"]},  # grouped
    {
        "@timestamp": _t("2024-01-15T10:00:05.402211"),
        "event.kind": "alert",
        "event.category": "intrusion_detection",
        "event.type": "allowed",
        "event.start": _t("2024-01-15T10:00:05.390001"),
        "rule.id": "2013028",
        "rule.name": "ET POLICY curl User-Agent Outbound",
        "rule.category": "Attempted Information Leak",
        "event.severity": 2,
        "network.protocol": "http",
        "source.bytes": 412,
        "destination.bytes": 1830,
        "source.packets": 4,
        "destination.packets": 3,
        "network.bytes": 2242,
    },
    {"event.kind": "alert", "event.type": "denied", "rule.id": "2001219", "network.direction": "inbound"},
    {
        "@timestamp": _t("2024-01-15T10:00:00.104652"),  # the flow's start
        "event.type": "connection",
        "event.start": _t("2024-01-15T10:00:00.104652"),
        "event.end": _t("2024-01-15T10:00:02.311502"),
        "event.duration": 2_206_850_000,
        "source.bytes": 219,
        "destination.bytes": 331,
        "source.packets": 3,
        "destination.packets": 3,
        "sectool.connection.state": "SF",
    },
    {"network.protocol": "tls", "sectool.connection.state": "SF", "network.packets": 22},
    {  # ICMP: type/code hashed in the ports' place, so it matches Zeek's (and Suricata's own) id
        "network.transport": "icmp",
        "source.port": None,
        "network.community_id": community_id(1, bytes([10, 0, 1, 23]), bytes([10, 0, 0, 1]), 8, 0),
    },
    {"network.protocol": None, "sectool.connection.state": "S0", "destination.port": 22},  # app_proto failed
    {  # stats: a sensor-health metric, its counters under suricata.eve.stats.*
        "event.kind": "metric",
        "source.ip": None,
        "suricata.eve.stats.capture.kernel_packets": 24,
        "suricata.eve.stats.capture.kernel_drops": 0,
    },
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("conn.log", CONN_EXPECTED),
        ("conn.json", CONN_EXPECTED),
        ("dns.log", DNS_EXPECTED),
        ("dns.json", DNS_EXPECTED),  # ISO 8601 ts (LogAscii::json_timestamps=JSON::TS_ISO8601)
        ("eve.json", EVE_EXPECTED),
    ],
)
def test_fixture_mapping_field_by_field(name: str, expected: list[dict[str, Any]]) -> None:
    events = _events(name)
    assert len(events) == len(expected)
    for event, want in zip(events, expected, strict=True):
        _subset(event, want)
        assert "[]" not in [str(v) for v in event.values()]


def test_eve_icmp_matches_the_spec_vector(tmp_path: Path) -> None:
    line = (
        '{"timestamp":"2024-01-15T10:00:00.000000+0000","flow_id":1,"event_type":"flow",'
        '"src_ip":"192.168.0.89","dest_ip":"192.168.0.1","proto":"ICMP","icmp_type":8,"icmp_code":0,'
        '"flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":84,"bytes_toclient":84}}\n'
    )
    path = tmp_path / "eve.json"
    path.write_text(line)
    (event,) = read_events(path)
    assert event["network.community_id"] == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="  # the spec's ICMP vector


@pytest.mark.parametrize(("request_type", "reply_type"), [(128, 129), (130, 131), (139, 140), (144, 145)])
def test_icmpv6_request_reply_pairs_hash_alike(request_type: int, reply_type: int) -> None:
    a, b = bytes(15) + b"\x01", bytes(15) + b"\x02"
    assert community_id(58, a, b, request_type, 0) == community_id(58, b, a, reply_type, 0)


@pytest.mark.parametrize("name", ["conn.log", "dns.log", "conn.json", "dns.json", "eve.json"])
def test_gzipped_logs_read_like_the_plain_ones(tmp_path: Path, name: str) -> None:
    plain = DATA / name
    packed = tmp_path / f"{name}.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert _events_of(packed) == _events_of(plain)
    assert [document_id(e) for e in read_events(packed)] == [document_id(e) for e in read_events(plain)]


def _events_of(path: Path) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "log.file.path"} for e in read_events(path)]


def test_truncated_gzip_log_keeps_the_valid_prefix(tmp_path: Path) -> None:
    text = (DATA / "eve.json").read_bytes() * 40  # big enough to span several gzip blocks
    data = gzip.compress(text)
    cut = tmp_path / "eve.json.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=r"eve.json.gz:\d+: damaged gzip data after line \d+"):
        got.extend(read_events(cut))
    assert got  # the events decompressed before the damage


def test_zeek_log_archive_name(tmp_path: Path) -> None:
    """Zeek's archive names its files conn.09:00:00-10:00:00.log.gz; the name plays no role."""
    target = tmp_path / "conn.09_00_00-10_00_00.log.gz"
    with gzip.open(target, "wb") as fh, (DATA / "conn.log").open("rb") as src:
        shutil.copyfileobj(src, fh)
    assert len(_events_of(target)) == len(CONN_EXPECTED)
