from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.traffic.readers import ReadReport, read_events

BASE = {
    "src_ip": "10.0.0.5",
    "src_port": 5555,
    "dest_ip": "8.8.8.8",
    "dest_port": 53,
    "proto": "UDP",
    "host": "suricata-dc-1",
}


def _line(event_type: str, **extra: Any) -> str:
    rec = {"timestamp": "2026-03-03T09:26:40.123456+0000", "flow_id": 1, "event_type": event_type, **BASE}
    rec.update(extra)
    return json.dumps(rec)


FLOW = _line(
    "flow",
    app_proto="dns",
    flow={
        "pkts_toserver": 1,
        "pkts_toclient": 1,
        "bytes_toserver": 77,
        "bytes_toclient": 110,
        "start": "2026-03-03T09:26:40.000000+0000",
        "end": "2026-03-03T09:26:40.012000+0000",
        "state": "established",
    },
)
SSH_FLOW = _line(
    "flow",
    src_ip="10.0.0.7",
    src_port=41000,
    dest_ip="10.0.0.9",
    dest_port=22,
    proto="TCP",
    app_proto="ssh",
    flow={
        "pkts_toserver": 12,
        "pkts_toclient": 10,
        "bytes_toserver": 3000,
        "bytes_toclient": 3500,
        "start": "2026-03-03T09:26:41.000000+0000",
        "end": "2026-03-03T09:26:43.000000+0000",
    },
    tcp={"tcp_flags_ts": "1b", "tcp_flags_tc": "1b", "syn": True, "fin": True},
)
DNS_V1_QUERY = _line(
    "dns", dns={"type": "query", "id": 4242, "rrname": "a.b.example.co.uk", "rrtype": "A", "tx_id": 0}
)
DNS_V1_ANSWER = _line(
    "dns",
    dns={
        "type": "answer",
        "id": 4242,
        "rrname": "a.b.example.co.uk",
        "rrtype": "A",
        "ttl": 60,
        "rdata": "192.0.2.7",
    },
)
DNS_V2 = _line(
    "dns",
    dns={
        "version": 2,
        "type": "answer",
        "id": 7,
        "rrname": "x.example.com",
        "rrtype": "A",
        "rcode": "NOERROR",
        "answers": [{"rrname": "x.example.com", "rrtype": "A", "ttl": 5, "rdata": "192.0.2.1"}],
    },
)
DNS_V2_GROUPED = _line(
    "dns",
    dns={
        "version": 2,
        "type": "answer",
        "id": 8,
        "rrname": "y.example.com",
        "rrtype": "A",
        "rcode": "NOERROR",
        "grouped": {"A": ["192.0.2.2", "192.0.2.3"]},
    },
)
DNS_V3 = _line(
    "dns",
    dns={
        "version": 3,
        "type": "response",
        "id": 9,
        "rcode": "NXDOMAIN",
        "queries": [{"rrname": "z.example.org", "rrtype": "TXT"}],
    },
)
ALERT = _line(
    "alert",
    alert={
        "action": "allowed",
        "signature_id": 2027863,
        "signature": "ET INFO Observed DNS Query",
        "category": "Misc activity",
        "severity": 3,
    },
)


def test_flow_mapping(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_text(FLOW + "\n" + SSH_FLOW + "\n")
    dns_flow, ssh, auth = list(read_events(eve))
    assert dns_flow["event.dataset"] == "suricata.eve"
    assert dns_flow["@timestamp"].isoformat() == "2026-03-03T09:26:40+00:00"  # flow start
    assert dns_flow["event.duration"] == 12_000_000
    assert (dns_flow["source.bytes"], dns_flow["destination.bytes"]) == (77, 110)
    assert (dns_flow["source.packets"], dns_flow["destination.packets"]) == (1, 1)
    assert dns_flow["network.transport"] == "udp"
    assert dns_flow["network.protocol"] == "dns"
    assert dns_flow["sectool.connection.state"] == "SF"
    assert dns_flow["observer.name"] == "suricata-dc-1"
    assert dns_flow["network.community_id"].startswith("1:")
    assert ssh["sectool.connection.state"] == "SF"
    assert auth["event.category"] == "authentication"
    assert auth["event.outcome"] == "failure"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            DNS_V1_QUERY,
            {"dns.type": "query", "dns.question.name": "a.b.example.co.uk", "dns.question.subdomain": "a.b"},
        ),
        (DNS_V1_ANSWER, {"dns.type": "answer", "dns.answers.data": ["192.0.2.7"], "dns.id": "4242"}),
        (DNS_V2, {"dns.answers.data": ["192.0.2.1"], "dns.response_code": "NOERROR"}),
        (DNS_V2_GROUPED, {"dns.answers.data": ["192.0.2.2", "192.0.2.3"]}),
        (
            DNS_V3,
            {
                "dns.question.name": "z.example.org",
                "dns.question.type": "TXT",
                "dns.response_code": "NXDOMAIN",
            },
        ),
    ],
)
def test_dns_versions(tmp_path: Path, line: str, expected: dict[str, Any]) -> None:
    eve = tmp_path / "eve.json"
    eve.write_text(line + "\n")
    (event,) = list(read_events(eve))
    assert event["network.protocol"] == "dns"
    for key, value in expected.items():
        assert event[key] == value


def test_alert_mapping(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_text(ALERT + "\n")
    (a,) = list(read_events(eve))
    assert a["event.kind"] == "alert"
    assert a["event.category"] == "intrusion_detection"
    assert (a["rule.id"], a["rule.name"], a["rule.category"]) == (
        "2027863",
        "ET INFO Observed DNS Query",
        "Misc activity",
    )
    assert a["event.severity"] == 3


def test_other_event_types_are_skipped(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    stats = json.dumps({"timestamp": "2026-03-03T09:26:40.000000+0000", "event_type": "stats", "stats": {}})
    eve.write_text(stats + "\n" + ALERT + "\n")
    report = ReadReport()
    assert len(list(read_events(eve, report=report))) == 1
    assert report.skipped == 1


def test_line_that_is_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    eve = tmp_path / "eve.json"
    eve.write_text("\n".join([FLOW, ALERT, '{"timestamp": "2026-03-03T09:2', DNS_V2]) + "\n")
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=r"eve.json:3: not valid JSON"):
        got.extend(read_events(eve))
    assert [e["event.kind"] for e in got] == ["event", "alert"]
    out = tmp_path / "ev.parquet"
    assert main(["traffic", "ingest", str(eve), "--to", str(out)]) == 2
    err = capsys.readouterr().err
    assert "eve.json:3" in err
    assert "not valid JSON" in err
    from sectool.traffic.localstore import read_events as read_local

    assert len(read_local([out])) == 2


def test_record_with_bad_value(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    eve.write_text(_line("flow", src_port="http", flow={}) + "\n")
    with pytest.raises(
        InputError, match=r"eve.json:1, field 'src_port': bad value \(got 'http'\); expected an integer port"
    ):
        list(read_events(eve))
