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


def _line(event_type: Any, **extra: Any) -> str:
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


def test_stats_are_sensor_health_events_not_skipped(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    stats = json.dumps(
        {
            "timestamp": "2026-03-03T09:26:40.000000+0000",
            "event_type": "stats",
            "host": "suricata-dc-1",
            "stats": {"uptime": 8, "capture": {"kernel_packets": 900, "kernel_drops": 100}},
        }
    )
    eve.write_text(stats + "\n" + ALERT + "\n")
    report = ReadReport()
    metric, alert = list(read_events(eve, report=report))
    assert report.skipped == 0
    assert report.warnings == []
    assert (metric["event.kind"], metric["observer.name"]) == ("metric", "suricata-dc-1")
    assert metric["suricata.eve.stats.capture.kernel_drops"] == 100
    assert metric["suricata.eve.stats.capture.kernel_packets"] == 900
    assert alert["event.kind"] == "alert"


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


#: A valid line to put before a bad one: it must be kept.
GOOD = ALERT


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        pytest.param(
            '{"timestamp":"2026-03-03T09:26:40+0000","event_type":"x","a":'
            + "[" * 100_000
            + "]" * 100_000
            + "}",
            r"eve.json:2: not valid JSON: nested too deeply",
            id="nested-100000",
        ),
        pytest.param(
            _line("smb", smb=json.loads('{"a":' * 16 + "1" + "}" * 16)),
            r"eve.json:2, field 'smb(\.a){15}': nested too deeply; expected at most 16 levels",
            id="nested-17",
        ),
        pytest.param(
            _line("x", x={"l": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}),
            r"eve.json:2, field 'x.l': nested too deeply",
            id="nested-in-list",
        ),
        pytest.param(
            '[{"event_type": "flow"}]', r"eve.json:2: an EVE line must hold a JSON object", id="array"
        ),
        pytest.param('"flow"', r"eve.json:2: an EVE line must hold a JSON object", id="string"),
        pytest.param(
            _line("stats", stats={"x": 10**30}),
            r"eve.json:2: not valid JSON: integer beyond 64 bits",
            id="huge-int",
        ),
        pytest.param(
            _line("stats").replace("}", ',"n":1e999}'),
            r"eve.json:2: not valid JSON: number beyond",
            id="huge-float",
        ),
        pytest.param(_line("stats").replace("}", ',"n":NaN}'), r"eve.json:2: not valid JSON: NaN", id="nan"),
        pytest.param(json.dumps({"event_type": "flow"}), r"eve.json:2: not an EVE record", id="no-timestamp"),
        pytest.param(
            _line(5), r"field 'event_type': bad value \(got 5\); expected an event type name", id="type-int"
        ),
        pytest.param(_line(""), r"field 'event_type': bad value", id="type-empty"),
        pytest.param(_line("flow", timestamp=None), r"field 'timestamp': bad value", id="timestamp-null"),
        pytest.param(
            _line("flow", timestamp="yesterday"), r"field 'timestamp': bad value", id="timestamp-text"
        ),
        pytest.param(_line("flow", flow_id="abc"), r"field 'flow_id': bad value", id="flow-id-text"),
        pytest.param(_line("flow", flow_id={}), r"field 'flow_id': bad value", id="flow-id-object"),
        pytest.param(_line("flow", src_ip=["10.0.0.1"]), r"field 'src_ip': bad value", id="ip-list"),
        pytest.param(_line("flow", dest_port=70000), r"field 'dest_port': bad value", id="port-range"),
        pytest.param(_line("flow", proto={"n": 6}), r"field 'proto': bad value", id="proto-object"),
        pytest.param(_line("flow", host=["a"]), r"field 'host': bad value", id="host-list"),
        pytest.param(
            _line("flow", community_id=1), r"field 'community_id': bad value", id="community-id-int"
        ),
        pytest.param(_line("flow", app_proto={}), r"field 'app_proto': bad value", id="app-proto-object"),
        pytest.param(_line("flow", flow="x"), r"field 'flow': bad value", id="flow-text"),
        pytest.param(
            _line("flow", flow={"bytes_toserver": "many"}), r"field 'flow.bytes_toserver'", id="bytes-text"
        ),
        pytest.param(_line("flow", flow={"start": 5e20}), r"field 'flow.start'", id="start-huge"),
        pytest.param(_line("flow", tcp=[]), r"field 'tcp': bad value", id="tcp-list"),
        pytest.param(_line("flow", ether="x"), r"field 'ether': bad value", id="ether-text"),
        pytest.param(_line("flow", ether={"src_mac": 1}), r"field 'ether.src_mac'", id="mac-int"),
        pytest.param(_line("dns", dns=[]), r"field 'dns': bad value", id="dns-list"),
        pytest.param(_line("dns"), r"dns record without a 'dns' object", id="dns-missing"),
        pytest.param(_line("alert"), r"alert record without an 'alert' object", id="alert-missing"),
        pytest.param(_line("alert", alert={"action": "maybe"}), r"field 'alert.action'", id="alert-action"),
        pytest.param(
            _line("alert", alert={"signature_id": "x"}), r"field 'alert.signature_id'", id="sid-text"
        ),
        pytest.param(_line("alert", alert={"rev": -1}), r"field 'alert.rev'", id="rev-negative"),
        pytest.param(
            _line("alert", alert={"severity": None, "signature": 7}), r"field 'alert.signature'", id="sig-int"
        ),
        pytest.param(_line("alert", alert={"category": {}}), r"field 'alert.category'", id="category-object"),
        pytest.param(_line("http", http="GET /"), r"field 'http': bad value", id="http-text"),
        pytest.param(_line("http", http={"status": "OK"}), r"field 'http.status'", id="status-text"),
        pytest.param(_line("http", http={"status": 1000}), r"field 'http.status'", id="status-range"),
        pytest.param(_line("http", http={"url": ["/"]}), r"field 'http.url'", id="url-list"),
        pytest.param(_line("http", http={"http_port": -1}), r"field 'http.http_port'", id="http-port"),
        pytest.param(_line("http", http={"length": 1.5}), r"field 'http.length'", id="length-float"),
        pytest.param(_line("tls", tls={"notafter": "soon"}), r"field 'tls.notafter'", id="notafter-text"),
        pytest.param(_line("tls", tls={"notbefore": 3}), r"field 'tls.notbefore'", id="notbefore-int"),
        pytest.param(
            _line("tls", tls={"notafter": "0001-01-01T00:00:00"}),
            r"field 'tls.notafter': bad value .*expected a time within 1678..2261",
            id="notafter-year-1",
        ),
        pytest.param(_line("tls", tls={"ja3": "abc"}), r"field 'tls.ja3': bad value", id="ja3-text"),
        pytest.param(
            _line("tls", tls={"session_resumed": "yes"}), r"field 'tls.session_resumed'", id="resumed"
        ),
        pytest.param(_line("fileinfo", fileinfo={"size": "big"}), r"field 'fileinfo.size'", id="size-text"),
        pytest.param(_line("fileinfo", fileinfo={"sha256": 5}), r"field 'fileinfo.sha256'", id="sha256-int"),
        pytest.param(
            _line("ssh", ssh={"client": "x"}), r"field 'ssh.client': bad value", id="ssh-client-text"
        ),
        pytest.param(_line("krb5", krb5={"cname": ["a"]}), r"field 'krb5.cname'", id="cname-list"),
        pytest.param(_line("krb5", krb5={"error_code": 24}), r"field 'krb5.error_code'", id="krb-error-int"),
        pytest.param(_line("flow", proto="ICMP", icmp_type=300), r"field 'icmp_type'", id="icmp-type"),
    ],
)
def test_bad_input_is_an_input_error_after_the_good_lines(tmp_path: Path, bad: str, message: str) -> None:
    eve = tmp_path / "eve.json"
    eve.write_text(GOOD + "\n" + bad + "\n" + GOOD + "\n")
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=message):
        got.extend(read_events(eve))
    assert [e["event.kind"] for e in got] == ["alert"]


def test_deep_nesting_through_the_cli_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    eve = tmp_path / "eve.json"
    deep = (
        '{"timestamp":"2026-03-03T09:26:40+0000","event_type":"x","a":'
        + '{"a":' * 100_000
        + "1"
        + "}" * 100_001
    )
    eve.write_text(FLOW + "\n" + deep + "\n")
    assert main(["traffic", "ingest", str(eve), "--to", str(tmp_path / "ev.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "eve.json:2" in err
    assert "nested too deeply" in err
    assert "Traceback" not in err
    assert "internal error" not in err
