from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.traffic.readers import read_events

CONN_FIELDS = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
]
CONN_TYPES = [
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "enum",
    "string",
    "interval",
    "count",
    "count",
    "string",
    "bool",
    "bool",
    "count",
    "string",
    "count",
    "count",
    "count",
    "count",
    "set[string]",
]
DNS_FIELDS = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "trans_id",
    "rtt",
    "query",
    "qclass",
    "qclass_name",
    "qtype",
    "qtype_name",
    "rcode",
    "rcode_name",
    "AA",
    "TC",
    "RD",
    "RA",
    "Z",
    "answers",
    "TTLs",
    "rejected",
]


def _tsv(path_name: str, fields: list[str], rows: list[list[str]]) -> str:
    head = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        f"#path\t{path_name}",
        "#open\t2026-03-03-09-00-00",
        "#fields\t" + "\t".join(fields),
    ]
    if path_name == "conn":
        head.append("#types\t" + "\t".join(CONN_TYPES))
    return "\n".join(head + ["\t".join(r) for r in rows] + ["#close\t2026-03-03-10-00-00"]) + "\n"


CONN_ROW = [
    "1772530000.123456",
    "CAbc123",
    "10.0.0.5",
    "40000",
    "93.184.216.34",
    "443",
    "tcp",
    "ssl,http",
    "1.500000",
    "120",
    "900",
    "SF",
    "T",
    "F",
    "0",
    "ShADadFf",
    "5",
    "332",
    "3",
    "1060",
    "(empty)",
]


def test_conn_tsv_mapping(tmp_path: Path) -> None:
    log = tmp_path / "conn.log"
    log.write_text(_tsv("conn", CONN_FIELDS, [CONN_ROW]))
    (e,) = list(read_events(log, site="dc"))
    assert e["@timestamp"].isoformat() == "2026-03-03T09:26:40.123456+00:00"
    assert e["event.id"] == "CAbc123"
    assert (e["source.ip"], e["source.port"], e["destination.ip"], e["destination.port"]) == (
        "10.0.0.5",
        40000,
        "93.184.216.34",
        443,
    )
    assert e["source.bytes"] == 332  # orig_ip_bytes, not orig_bytes (as Filebeat)
    assert e["destination.bytes"] == 1060
    assert (e["source.packets"], e["destination.packets"]) == (5, 3)
    assert e["network.bytes"] == 1392
    assert e["network.packets"] == 8
    assert e["event.duration"] == 1_500_000_000
    assert e["network.protocol"] == "tls"  # first service, Zeek's ssl named as ECS/Packetbeat do
    assert e["sectool.connection.state"] == "SF"
    assert e["network.direction"] == "outbound"
    assert e["event.dataset"] == "zeek.connection"
    assert e["zeek.connection.history"] == "ShADadFf"  # what ECS has no field for, under zeek.<log>
    assert e["zeek.connection.local_orig"] is True  # typed by #types, as Zeek's JSON writer types it
    assert e["zeek.connection.service"] == "ssl,http"  # a string in Zeek (TSV and JSON alike)
    assert e["event.module"] == "zeek"
    assert e["network.community_id"].startswith("1:")
    assert e["sectool.site"] == "dc"


def test_dns_tsv_mapping_with_sets_escapes_and_unset(tmp_path: Path) -> None:
    row = [
        "1772530000.5",
        "Cdns1",
        "10.0.0.5",
        "5555",
        "8.8.8.8",
        "53",
        "udp",
        "4242",
        "0.012",
        "tun\\x09nel.a.b.example.co.uk",
        "1",
        "C_INTERNET",
        "16",
        "TXT",
        "0",
        "NOERROR",
        "F",
        "F",
        "T",
        "T",
        "0",
        "v=1,192.0.2.7",
        "60.0,60.0",
        "F",
    ]
    unset = [*row]
    unset[0] = "1772530001.0"
    unset[9] = "-"
    unset[13] = "-"
    unset[15] = "-"
    unset[21] = "-"
    log = tmp_path / "dns.log"
    log.write_text(_tsv("dns", DNS_FIELDS, [row, unset]))
    first, second = list(read_events(log))
    assert first["dns.question.name"] == "tun\tnel.a.b.example.co.uk"
    assert first["dns.question.registered_domain"] == "example.co.uk"
    assert first["dns.question.type"] == "TXT"
    assert first["dns.response_code"] == "NOERROR"
    assert first["dns.answers.data"] == ["v=1", "192.0.2.7"]
    assert first["dns.id"] == "4242"
    assert first["network.protocol"] == "dns"
    assert first["event.dataset"] == "zeek.dns"
    assert "dns.question.name" not in second
    assert "dns.answers.data" not in second
    assert second["dns.type"] == "query"


def test_json_lines(tmp_path: Path) -> None:
    rec = dict(zip(CONN_FIELDS, CONN_ROW, strict=True))
    nested: dict[str, Any] = {
        "_path": "conn",
        "ts": 1772530000.123456,
        "uid": "CAbc123",
        "id": {"orig_h": "10.0.0.5", "orig_p": 40000, "resp_h": "93.184.216.34", "resp_p": 443},
        "proto": "tcp",
        "service": "ssl",
        "duration": 1.5,
        "orig_ip_bytes": 332,
        "resp_ip_bytes": 1060,
        "orig_pkts": 5,
        "resp_pkts": 3,
        "conn_state": "SF",
        "orig_bytes": 120,
        "resp_bytes": 900,
        "local_orig": True,
        "local_resp": False,
        "missed_bytes": 0,
        "history": "ShADadFf",
        "tunnel_parents": [],
    }
    rec["service"] = "ssl"
    log = tmp_path / "conn.json"
    log.write_text(json.dumps(nested) + "\n")
    tsv = tmp_path / "conn.log"
    tsv.write_text(_tsv("conn", list(rec), [list(rec.values())]))
    (from_json,) = list(read_events(log))
    (from_tsv,) = list(read_events(tsv))
    skip = {"log.file.path"}
    assert {k: v for k, v in from_json.items() if k not in skip} == {
        k: v for k, v in from_tsv.items() if k not in skip
    }


def test_missing_column_keeps_the_valid_prefix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = [*CONN_ROW]
    second[3] = "40001"
    broken = CONN_ROW[:-3]  # a data line missing three columns
    text = _tsv("conn", CONN_FIELDS, [CONN_ROW, second, broken, CONN_ROW])
    log = tmp_path / "conn.log"
    log.write_text(text)
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError) as exc:
        got.extend(read_events(log))
    assert len(got) == 2
    assert "conn.log:11" in str(exc.value)
    assert "18 columns where #fields names 21" in str(exc.value)
    out = tmp_path / "ev.jsonl"
    assert main(["traffic", "ingest", str(log), "--to", str(out)]) == 2
    assert "conn.log:11" in capsys.readouterr().err
    assert len(out.read_text().splitlines()) == 2


def test_header_without_a_required_column(tmp_path: Path) -> None:
    fields = [f for f in CONN_FIELDS if f != "id.resp_h"]
    log = tmp_path / "conn.log"
    log.write_text(_tsv("conn", fields, []))
    with pytest.raises(InputError, match=r"conn.log:7, field 'id.resp_h': missing Zeek column"):
        list(read_events(log))


def test_bad_value_names_line_and_field(tmp_path: Path) -> None:
    row = [*CONN_ROW]
    row[17] = "lots"
    log = tmp_path / "conn.log"
    log.write_text(_tsv("conn", CONN_FIELDS, [row]))
    with pytest.raises(InputError, match=r"conn.log:9, field 'orig_ip_bytes': bad value \(got 'lots'\)"):
        list(read_events(log))


def _ip_len(pkt: Any) -> int:
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6

    return len(pkt[IP]) if IP in pkt else len(pkt[IPv6])


def _conn_log_from_sample(sample_flows: list[Any]) -> str:
    """The conn.log Zeek writes for the sample traffic, computed from the packets themselves."""
    rows: list[list[str]] = []
    for f in sample_flows:
        orig = [p for p, d in zip(f.packets, f.orig_dirs, strict=True) if d]
        resp = [p for p, d in zip(f.packets, f.orig_dirs, strict=True) if not d]
        first, last = f.packets[0].time, f.packets[-1].time
        rows.append(
            [
                f"{first:.6f}",
                f"C{len(rows)}",
                f.orig[0],
                str(f.orig[1]),
                f.resp[0],
                str(f.resp[1]),
                f.transport,
                {"tls": "ssl"}.get(f.service, f.service) if f.service else "-",
                f"{last - first:.6f}",
                "0",
                "0",
                f.state,
                "T",
                "F",
                "0",
                "-",
                str(len(orig)),
                str(sum(_ip_len(p) for p in orig)),
                str(len(resp)),
                str(sum(_ip_len(p) for p in resp)),
                "(empty)",
            ]
        )
    return _tsv("conn", CONN_FIELDS, rows)


def test_pcap_pcapng_and_zeek_give_the_same_flows(
    tmp_path: Path, sample_flows: list[Any], sample_packets: list[Any]
) -> None:
    from scapy.utils import wrpcap, wrpcapng

    wrpcap(str(tmp_path / "s.pcap"), sample_packets)
    wrpcapng(str(tmp_path / "s.pcapng"), sample_packets)
    (tmp_path / "conn.log").write_text(_conn_log_from_sample(sample_flows))
    keys = (
        "@timestamp",
        "event.duration",
        "source.ip",
        "source.port",
        "destination.ip",
        "destination.port",
        "network.transport",
        "network.direction",
        "network.community_id",
        "source.bytes",
        "destination.bytes",
        "source.packets",
        "destination.packets",
        "sectool.connection.state",
    )

    def flows(path: Path) -> list[tuple[Any, ...]]:
        evs = [e for e in read_events(path) if e["event.type"] == "connection"]
        return sorted(tuple(e.get(k) for k in keys) for e in evs)

    def auths(path: Path) -> list[tuple[Any, ...]]:
        evs = [e for e in read_events(path) if e["event.category"] == "authentication"]
        return sorted((e["source.ip"], e["destination.ip"], e["event.outcome"]) for e in evs)

    from_pcap = flows(tmp_path / "s.pcap")
    assert len(from_pcap) == len(sample_flows)
    assert flows(tmp_path / "s.pcapng") == from_pcap
    assert flows(tmp_path / "conn.log") == from_pcap

    # network.protocol: Zeek carries only what its analysers recognised (``service``), Filebeat
    # leaves the field unset otherwise and so does sectool; the pcap reader classifies by port.
    def protocols(path: Path) -> dict[tuple[str, int], str | None]:
        evs = [e for e in read_events(path) if e["event.type"] == "connection"]
        return {(e["source.ip"], e["source.port"]): e.get("network.protocol") for e in evs}

    from_zeek, by_port = protocols(tmp_path / "conn.log"), protocols(tmp_path / "s.pcap")
    assert from_zeek == {(f.orig[0], f.orig[1]): f.service for f in sample_flows}
    assert {k: v for k, v in by_port.items() if from_zeek[k] is not None} == {
        k: v for k, v in from_zeek.items() if v is not None
    }
    assert (from_zeek[("fd00::1", 50000)], by_port[("fd00::1", 50000)]) == (None, "ssh")  # service -
    assert (from_zeek[("10.0.0.5", 40001)], by_port[("10.0.0.5", 40001)]) == (None, "rdp")
    assert auths(tmp_path / "conn.log") == auths(tmp_path / "s.pcap") == [("10.0.0.7", "10.0.0.9", "failure")]


def test_last_line_cut_inside_its_last_value(tmp_path: Path) -> None:
    text = _tsv("conn", CONN_FIELDS, [CONN_ROW, CONN_ROW])
    text = text[: text.index("\n#close")]  # no #close, and ...
    cut = text[:-4]  # ... the last value "(empty)" cut to "(em": the field count is still right
    log = tmp_path / "conn.log"
    log.write_text(cut)
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=r"conn.log:10: the last line is cut off"):
        got.extend(read_events(log))
    assert len(got) == 1
    log.write_text(text + "\n")  # a live log without #close is fine
    assert len(list(read_events(log))) == 2
