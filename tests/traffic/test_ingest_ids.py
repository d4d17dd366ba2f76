"""Document ids come from the source record's identity: labels, options and paths never change
them, and re-ingesting the same input with other labels adds nothing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.traffic.localstore import document_id
from sectool.traffic.readers import ReaderOptions, read_events

DATA = Path(__file__).parent / "data"

NDJSON = [
    {"@timestamp": "2024-01-15T10:00:00Z", "source": {"ip": "10.0.0.1"}, "destination": {"ip": "10.0.0.2"}},
    {"@timestamp": "2024-01-15T10:00:01Z", "event": {"id": "abc", "dataset": "zeek.conn"}},
    {"@timestamp": "2024-01-15T10:00:02Z", "event": {"id": "abc", "dataset": "zeek.dns"}},
]


def _input(kind: str, tmp_path: Path, sample_packets: list[Any]) -> Path:
    if kind == "pcap":
        from scapy.utils import wrpcap

        path = tmp_path / "sample.pcap"
        wrpcap(str(path), sample_packets)
        return path
    if kind == "ndjson":
        path = tmp_path / "events.ndjson"
        path.write_text("".join(json.dumps(d) + "\n" for d in NDJSON))
        return path
    path = tmp_path / kind
    shutil.copy(DATA / kind, path)
    return path


def _ids(path: Path, **kw: Any) -> list[str]:
    return [document_id(e) for e in read_events(path, **kw)]


KINDS = ["conn.log", "dns.log", "conn.json", "dns.json", "eve.json", "ndjson", "pcap"]


@pytest.mark.parametrize("kind", KINDS)
def test_labels_and_paths_do_not_change_ids(tmp_path: Path, sample_packets: list[Any], kind: str) -> None:
    path = _input(kind, tmp_path, sample_packets)
    plain = _ids(path)
    moved = tmp_path / "elsewhere" / path.name
    moved.parent.mkdir()
    shutil.copy(path, moved)
    labelled = _ids(moved, site="branch-7", options=ReaderOptions(internal=("192.168.0.0/16",)))
    assert plain == labelled
    assert len(plain) > 1
    assert len(set(plain)) == len(plain), "two records of one file share an id"


@pytest.mark.parametrize(("tsv", "json_lines"), [("conn.log", "conn.json"), ("dns.log", "dns.json")])
def test_zeek_tsv_and_json_of_the_same_log_have_the_same_ids(tsv: str, json_lines: str) -> None:
    assert _ids(DATA / tsv) == _ids(DATA / json_lines)


def test_ids_do_not_depend_on_derived_fields(tmp_path: Path) -> None:
    """A reader change that adds or corrects a derived field must not create new documents."""
    events = list(read_events(DATA / "conn.log"))
    changed = [{**e, "network.protocol": "changed", "network.direction": "external"} for e in events]
    from sectool.traffic.readers.identity import SourceEvent

    rewrapped = [SourceEvent(c, e.doc_id) for c, e in zip(changed, events, strict=True)]  # type: ignore[attr-defined]
    assert [document_id(e) for e in rewrapped] == [document_id(e) for e in events]


def _summary(text: str) -> dict[str, int]:
    found = re.findall(r"(read|indexed|present|rejected) ([\d,]+)", text)
    return {k: int(v.replace(",", "")) for k, v in found}


def test_reingest_with_other_labels_adds_nothing(
    es_url: str, es_prefix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(DATA / "conn.log"), str(DATA / "dns.log"), str(DATA / "eve.json")]
    base = ["traffic", "ingest", *files, "--es", es_url, "--index-prefix", es_prefix]
    assert main(base) == 0
    first = _summary(capsys.readouterr().out)
    assert first["indexed"] == first["read"] > 10
    moved = tmp_path / "conn.log"
    shutil.copy(DATA / "conn.log", moved)
    again = [*base[:2], str(moved), *files[1:], *base[5:], "--site", "X", "--internal", "192.168.0.0/16"]
    assert main(again) == 0
    second = _summary(capsys.readouterr().out)
    assert (second["indexed"], second["present"], second["rejected"]) == (0, first["read"], 0)


def _capture(tmp_path: Path) -> tuple[Path, Path]:
    """full.pcap: a DNS flow, then 100 s later a TCP flow of 10 packets; cut.pcap: cut inside the
    TCP flow's 6th packet (the DNS flow ended by idle timeout before the damage)."""
    from decimal import Decimal

    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    t0 = Decimal("1705312800.000000")
    dns = Ether() / IP(src="10.0.0.5", dst="10.0.0.53") / UDP(sport=5353, dport=53) / (b"q" * 30)
    dns.time = t0
    packets = [dns]
    for i in range(10):
        if i % 2 == 0:
            pkt = Ether() / IP(src="10.0.0.5", dst="93.184.216.34") / TCP(sport=40000, dport=443, flags="PA")
        else:
            pkt = Ether() / IP(src="93.184.216.34", dst="10.0.0.5") / TCP(sport=443, dport=40000, flags="PA")
        pkt = pkt / (b"x" * 100)
        pkt.time = t0 + 100 + Decimal(i) / 10
        packets.append(pkt)
    full = tmp_path / "full.pcap"
    wrpcap(str(full), packets)
    data = full.read_bytes()
    sixth_tcp = 24 + (16 + len(packets[0])) + 5 * (16 + len(packets[1]))
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: sixth_tcp + 20])
    return full, cut


def test_repaired_capture_adds_the_incomplete_flow_whole(
    es_url: str, es_prefix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from elasticsearch import Elasticsearch

    full, cut = _capture(tmp_path)
    base = ["traffic", "ingest", "--es", es_url, "--index-prefix", es_prefix]
    assert main([*base, str(cut)]) == 2
    captured = capsys.readouterr()
    assert "1 incomplete flows at the damage point were not indexed" in captured.err
    assert _summary(captured.out)["indexed"] == 1  # the DNS flow that ended before the damage
    assert main([*base, str(full)]) == 0
    second = _summary(capsys.readouterr().out)
    assert (second["indexed"], second["present"]) == (1, 1)
    hits = Elasticsearch(es_url).search(
        index=f"{es_prefix}-*", query={"term": {"destination.port": 443}}, size=10
    )["hits"]["hits"]
    assert len(hits) == 1
    assert hits[0]["_source"]["network"]["packets"] == 10  # whole, not the 5 before the damage
