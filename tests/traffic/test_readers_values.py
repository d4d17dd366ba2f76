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
from sectool.traffic.readers.values import Where

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


# ------------------------------------------------------------------- hostile numbers as text
WHERE = Where(Path("conn.log"), 7)

#: Text that int()/float() would take or choke on, and no sensor writes for a port or a count.
HOSTILE_DIGITS = [
    "++53", "+53", " 53", "53 ", "5_3", "٥٣", "0x35", "53.0", "1e2", "", "-1", "-0", "65536",
    "9" * 5000, "9" * 4301,
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE_DIGITS, ids=lambda t: repr(t[:12]))
def test_port_text_is_one_to_five_ascii_digits(text: str) -> None:
    with pytest.raises(InputError) as info:
        WHERE.port("id.resp_p", text)
    exc = info.value
    assert (exc.location.file, exc.location.line, exc.location.field) == ("conn.log", 7, "id.resp_p")
    assert exc.value == text
    assert exc.expected == PORT


@pytest.mark.parametrize(
    ("text", "number"), [("0", 0), ("53", 53), ("00053", 53), ("65535", 65535), (53, 53), (53.0, 53)]
)
def test_good_ports(text: Any, number: int) -> None:
    assert WHERE.port("id.resp_p", text) == number


@pytest.mark.parametrize(
    ("text", "number"),
    [("0", 0), ("9223372036854775807", 2**63 - 1), (2**63 - 1, 2**63 - 1), ("000000000000000000012", None)],
)
def test_count_digits_are_bounded(text: Any, number: int | None) -> None:
    if number is None:  # 21 digits: beyond a long's 19, refused before int() sees it
        with pytest.raises(InputError, match="expected a non-negative integer"):
            WHERE.count("orig_pkts", text)
    else:
        assert WHERE.count("orig_pkts", text) == number


@pytest.mark.parametrize(
    "text", ["9223372036854775808", "9" * 20, "9" * 5000, "+1", "1_000", "١٢", 2**63, -1, True]
)
def test_bad_counts(text: Any) -> None:
    with pytest.raises(InputError, match="field 'orig_pkts': bad value"):
        WHERE.count("orig_pkts", text)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1_705_312_800", "bad value"),
        ("nan", "bad value"),
        ("inf", "bad value"),
        ("1e9", "bad value"),
        ("9" * 5000, "bad value"),
        (float("nan"), "bad value"),
        (10**400, "bad value"),
        (1e11, "timestamp outside 1678..2261, the years sectool keeps"),  # the year 5138
        ("3000-01-01T00:00:00Z", "timestamp outside 1678..2261, the years sectool keeps"),
        ("1677-12-31T23:59:59Z", "timestamp outside 1678..2261, the years sectool keeps"),
        ("9999-12-31T23:59:59-00:01", "bad value"),  # beyond datetime itself
    ],
)
def test_bad_times(value: Any, reason: str) -> None:
    with pytest.raises(InputError) as info:
        WHERE.time("ts", value)
    assert info.value.reason == reason
    assert info.value.expected == TS
    assert info.value.location.field == "ts"


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("1705312800.5", "2024-01-15T10:00:00.500000+00:00"),
        (" 1705312800 ", "2024-01-15T10:00:00+00:00"),
        (1705312800, "2024-01-15T10:00:00+00:00"),
        ("2261-12-31T23:59:59Z", "2261-12-31T23:59:59+00:00"),
        ("1678-01-01T00:00:00+00:00", "1678-01-01T00:00:00+00:00"),
    ],
)
def test_good_times(value: Any, iso: str) -> None:
    assert WHERE.time("ts", value).isoformat() == iso


@pytest.mark.parametrize(
    ("value", "good"),
    [("0.5", 0.5), ("1e-05", 1e-05), (3, 3.0), ("1_0", None), ("nan", None), (10**400, None), (True, None)],
)
def test_seconds(value: Any, good: float | None) -> None:
    if good is None:
        with pytest.raises(InputError, match="expected a non-negative number of seconds"):
            WHERE.seconds("duration", value)
    else:
        assert WHERE.seconds("duration", value) == good


HOSTILE_ROWS: list[tuple[str, dict[str, Any], str, Any, str]] = [
    ("zeek", ZEEK_CONN, "id.resp_p", "++53", PORT),
    ("zeek", ZEEK_CONN, "id.resp_p", "9" * 5000, PORT),
    ("zeek", ZEEK_CONN, "orig_pkts", "9" * 5000, COUNT),
    ("eve", EVE_FLOW, "src_port", "+53", PORT),
    ("eve", EVE_FLOW, "dest_port", "٥٣", PORT),
    ("eve", EVE_FLOW, "flow.bytes_toserver", "9" * 5000, COUNT),
    ("eve", EVE_FLOW, "flow.pkts_toclient", 2**63, COUNT),
]


@pytest.mark.parametrize(("fmt", "base", "field", "value", "expected"), HOSTILE_ROWS)
def test_hostile_numbers_in_logs_exit_2_with_the_prefix(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    base: dict[str, Any],
    field: str,
    value: Any,
    expected: str,
) -> None:
    """The known reproducers (issue 11): a port ``++53`` and 5,000-digit numbers ended in an
    internal error (exit 1, int()'s ValueError); now exit 2 naming line and field, prefix kept."""
    path = _write(tmp_path, fmt, base, _set(base, field, value))
    other = tmp_path / "other.json"
    other.write_text(json.dumps(EVE_FLOW) + "\n")
    out = tmp_path / "out.jsonl"
    rc = main(["traffic", "ingest", str(path), str(other), "--to", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{path.name}:3, field '{field}'" in err
    assert f"expected {expected}" in err
    assert "internal error" not in err
    assert "Traceback" not in err
    written = [json.loads(line)["log.file.path"] for line in out.read_text().splitlines()]
    assert written.count(str(path)) == 2  # the valid lines before the damage
    assert str(other) in written  # the other file of the run is still read
