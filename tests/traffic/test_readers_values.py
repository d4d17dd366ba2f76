"""Hostile values in Zeek and EVE logs: an InputError naming file, line, field, value and what is
expected (exit 2), with every valid event before the bad line kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.traffic.readers import read_events

ZEEK_CONN = {
    "_path": "conn",
    "ts": 1705312800.5,
    "uid": "CHhAvVGS1DHFjwGM9",
    "id.orig_h": "10.0.0.8",
    "id.orig_p": 51000,
    "id.resp_h": "8.8.8.8",
    "id.resp_p": 53,
    "proto": "udp",
    "service": "dns",
    "duration": 0.01,
    "orig_ip_bytes": 60,
    "resp_ip_bytes": 120,
    "orig_pkts": 1,
    "resp_pkts": 1,
    "conn_state": "SF",
}
EVE_FLOW = {
    "timestamp": "2024-01-15T10:00:06.000000+0000",
    "flow_id": 1234567,
    "event_type": "flow",
    "src_ip": "10.0.0.8",
    "src_port": 51000,
    "dest_ip": "8.8.8.8",
    "dest_port": 53,
    "proto": "UDP",
    "flow": {"pkts_toserver": 1, "pkts_toclient": 1, "bytes_toserver": 60, "bytes_toclient": 120},
}
EVE_DNS = {
    "timestamp": "2024-01-15T10:00:06.000000+0000",
    "flow_id": 1234567,
    "event_type": "dns",
    "src_ip": "10.0.0.8",
    "src_port": 51000,
    "dest_ip": "8.8.8.8",
    "dest_port": 53,
    "proto": "UDP",
    "dns": {"type": "query", "id": 4242, "rrname": "example.com", "rrtype": "A", "tx_id": 0},
}


def _set(doc: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(doc))
    node = out
    *parents, last = dotted.split(".") if dotted.startswith(("flow.", "dns.")) else [dotted]
    for part in parents:
        node = node[part]
    node[last] = value
    return out


PORT = "an integer port 0..65535"
COUNT = "a non-negative integer"
IP = "an IPv4 or IPv6 address"
TS = "epoch seconds or an ISO 8601 timestamp with a timezone"

BAD: list[tuple[str, dict[str, Any], str, Any, str]] = [
    ("zeek", ZEEK_CONN, "id.orig_p", 99999, PORT),
    ("zeek", ZEEK_CONN, "id.resp_p", -1, PORT),
    ("zeek", ZEEK_CONN, "id.resp_p", "http", PORT),
    ("zeek", ZEEK_CONN, "id.resp_p", 53.5, PORT),
    ("zeek", ZEEK_CONN, "orig_pkts", -3, COUNT),
    ("zeek", ZEEK_CONN, "resp_ip_bytes", True, COUNT),
    ("zeek", ZEEK_CONN, "id.orig_h", "not-an-ip", IP),
    ("zeek", ZEEK_CONN, "id.resp_h", "300.1.1.1", IP),
    ("zeek", ZEEK_CONN, "id.resp_h", 167772161, IP),
    ("zeek", ZEEK_CONN, "ts", "yesterday", TS),
    ("zeek", ZEEK_CONN, "ts", "2024-01-15T10:00:00", TS),
    ("zeek", ZEEK_CONN, "ts", 1e300, TS),
    ("zeek", ZEEK_CONN, "duration", -2, "a non-negative number of seconds"),
    ("eve", EVE_FLOW, "src_port", 70000, PORT),
    ("eve", EVE_FLOW, "dest_port", "x", PORT),
    ("eve", EVE_FLOW, "src_ip", "10.0.0.256", IP),
    ("eve", EVE_FLOW, "dest_ip", None, None),  # unset: not an error (see the good table)
    ("eve", EVE_FLOW, "flow.pkts_toserver", -1, COUNT),
    ("eve", EVE_FLOW, "flow.bytes_toclient", "many", COUNT),
    ("eve", EVE_FLOW, "timestamp", "2024-13-45T10:00:00Z", TS),
    ("eve", EVE_DNS, "dns.id", 70000, "a DNS transaction id 0..65535"),
    ("eve", EVE_DNS, "dns.rrname", {"x": 1}, "text"),
    ("eve", EVE_DNS, "dns.rrtype", 1, "text"),
]
BAD = [b for b in BAD if b[4] is not None]


def _write(tmp_path: Path, fmt: str, good: dict[str, Any], bad: dict[str, Any]) -> Path:
    path = tmp_path / ("conn.json" if fmt == "zeek" else "eve.json")
    second = dict(good)
    second["uid" if fmt == "zeek" else "flow_id"] = "C2" if fmt == "zeek" else 99
    path.write_text("\n".join(json.dumps(d) for d in (good, second, bad)) + "\n")
    return path


@pytest.mark.parametrize(("fmt", "base", "field", "value", "expected"), BAD)
def test_bad_value_is_input_error_after_the_valid_prefix(
    tmp_path: Path, fmt: str, base: dict[str, Any], field: str, value: Any, expected: str
) -> None:
    path = _write(tmp_path, fmt, base, _set(base, field, value))
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError) as info:
        got.extend(read_events(path))
    exc = info.value
    assert exc.location.file == str(path)
    assert exc.location.line == 3
    assert exc.location.field == field
    assert exc.value == value
    assert exc.expected == expected
    assert len([e for e in got if e.get("event.type") in ("connection", "protocol")]) == 2


@pytest.mark.parametrize(("fmt", "base", "field", "value", "expected"), BAD[:1] + BAD[13:14] + BAD[6:7])
def test_bad_value_cli_exit_2_and_prefix_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    base: dict[str, Any],
    field: str,
    value: Any,
    expected: str,
) -> None:
    path = _write(tmp_path, fmt, base, _set(base, field, value))
    out = tmp_path / "out.jsonl"
    rc = main(["traffic", "ingest", str(path), "--to", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{path.name}:3, field '{field}'" in err
    assert f"expected {expected}" in err
    assert "internal error" not in err
    assert len(out.read_text().splitlines()) == 2


def test_tsv_bad_port_names_the_column(tmp_path: Path) -> None:
    fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"]
    head = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    rows = [
        "1705312800.5\tC1\t10.0.0.1\t1\t10.0.0.2\t22\ttcp",
        "1705312801.5\tC2\t10.0.0.1\t1\t10.0.0.2\t65536\ttcp",
    ]
    log = tmp_path / "conn.log"
    log.write_text(head + "#fields\t" + "\t".join(fields) + "\n" + "\n".join(rows) + "\n")
    got: list[dict[str, Any]] = []
    with pytest.raises(
        InputError,
        match=r"conn.log:8, field 'id.resp_p': bad value \(got '65536'\); expected an integer port",
    ):
        got.extend(read_events(log))
    assert [e["destination.port"] for e in got if e["event.type"] == "connection"] == [22]


@pytest.mark.parametrize(
    ("value", "canonical"),
    [("2001:DB8:0:0::1", "2001:db8::1"), ("10.1.2.3", "10.1.2.3"), ("::ffff:10.0.0.1", "::ffff:10.0.0.1")],
)
def test_good_ips_are_canonical(tmp_path: Path, value: str, canonical: str) -> None:
    path = tmp_path / "eve.json"
    path.write_text(json.dumps(_set(EVE_FLOW, "src_ip", value)) + "\n")
    (event,) = list(read_events(path))
    assert event["source.ip"] == canonical


def test_icmp_without_ports_and_huge_port_never_crash_community_id(tmp_path: Path) -> None:
    rec = _set(EVE_FLOW, "proto", "ICMP")
    rec.pop("src_port")
    rec.pop("dest_port")
    path = tmp_path / "eve.json"
    path.write_text(json.dumps(rec) + "\n")
    (event,) = list(read_events(path))
    assert event["network.community_id"].startswith("1:")
