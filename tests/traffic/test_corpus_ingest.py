"""Every file and folder of the real corpus (../shared/corpus, see its README for sources and
licences) ingests: to a local file one by one, and into the real node all at once. The one damaged
file (line 21 of Slips' test10 notice.log has spaces where three tabs belong) ends the command with
exit 2 naming the line, after everything else was stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sectool.cli import main
from sectool.traffic.localstore import read_events as read_local

#: Every entry of the corpus (files, and folders as a sensor writes them).
ENTRIES = [
    "zeek/001-njrat",
    "zeek/003-android-rat",
    "zeek/004-ssh-json",
    "zeek/005-simda-dga",
    "zeek/006-ssh-honeypot",
    "zeek/slips-test10-mixed-zeek-dir",
    "zeek/slips-test13-malicious-dhcpscan-zeek-dir",
    "zeek/slips-test14-malicious-zeek-dir",
    "zeek/slips-test15-malicious-zeek-dir",
    "zeek/slips-test16-malicious-zeek-dir",
    "zeek/slips-test9-mixed-zeek-dir",
    "suricata/slips-test6-eve.json",
    "attack/arp-poison.pcapng",
    "attack/arp-scan.pcap",
    "attack/cryptowall4-c2.pcapng",
    "attack/dns-isp-hijack.pcapng",
    "attack/http-sqlinjection.pcapng",
    "attack/icmp-sweep.pcap",
    "attack/nmap-os-fingerprinting.pcapng",
    "attack/session-hijacking.pcapng",
    "attack/slips-test7-malicious.pcap",
    "benign/008-ctu-normal-40-day1",
    "benign/010-ctu-normal-42-day2",
    "benign/dhcp_nolease_initialization.pcapng",
    "benign/dns.pcap",
    "benign/dns_axfr.pcapng",
    "benign/dns_lab.pcapng",
    "benign/dns_tcp.pcapng",
    "benign/http_espn.pcapng",
    "benign/http_google.pcapng",
    "benign/http_ip4and6.pcapng",
    "benign/http_post.pcapng",
    "benign/icmp_traceroute.pcapng",
    "benign/ip_frag_source.pcapng",
    "benign/ipv6_fragments.pcapng",
    "benign/mail_receiver_server_3.pcapng",
    "benign/mail_sender_attachment.pcapng",
    "benign/tcp_handshake.pcapng",
    "benign/tcp_retransmissions.pcapng",
    "benign/tickedoffdeveloper.pcapng",
]
DAMAGED = {"zeek/slips-test10-mixed-zeek-dir": "notice.log:21: 23 columns where #fields names 26"}


def _count(text: str, word: str) -> int:
    match = re.search(rf"{word} ([\d,]+)", text)
    assert match, text
    return int(match.group(1).replace(",", ""))


def test_the_list_is_the_corpus(corpus: Path) -> None:
    on_disk = sorted(
        f"{top}/{p.name}"
        for top in ("zeek", "suricata", "attack", "benign")
        for p in (corpus / top).iterdir()
    )
    assert on_disk == sorted(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_entry_ingests_to_a_local_file(
    corpus: Path, entry: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "events.parquet"
    code = main(["traffic", "ingest", str(corpus / entry), "--to", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "internal error" not in captured.err
    if entry in DAMAGED:
        assert code == 2
        assert DAMAGED[entry] in captured.err
    else:
        assert code == 0, captured.err
    read = _count(captured.out, "read")
    assert read > 0
    assert _count(captured.out, "written") == read == len(read_local([out]))


def test_the_whole_corpus_into_the_node(
    corpus: Path, es_url: str, es_prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from elasticsearch import Elasticsearch

    args = [
        "traffic",
        "ingest",
        *(str(corpus / e) for e in ENTRIES),
        "--es",
        es_url,
        "--index-prefix",
        es_prefix,
    ]
    assert main(args) == 2  # the damaged notice.log; everything else is stored
    captured = capsys.readouterr()
    assert DAMAGED["zeek/slips-test10-mixed-zeek-dir"] in captured.err
    read = _count(captured.out, "read")
    assert read > 25_000
    assert _count(captured.out, "rejected") == 0
    assert _count(captured.out, "indexed") + _count(captured.out, "already present") == read
    assert "events per dataset:" in captured.out
    client = Elasticsearch(es_url)
    client.indices.refresh(index=f"{es_prefix}-*")
    assert client.count(index=f"{es_prefix}-*")["count"] == _count(captured.out, "indexed")
    # every reader's datasets are there, and Kibana can search the free namespaces
    for dataset in (
        "zeek.connection",
        "zeek.ssh",
        "zeek.notice",
        "suricata.eve",
        "sectool.flow",
        "sectool.arp",
    ):
        assert client.count(index=f"{es_prefix}-*", q=f"event.dataset:{dataset}")["count"] > 0, dataset
    assert client.count(index=f"{es_prefix}-*", q="labels.label:Malicious")["count"] > 0
    # again: nothing new (ids are the source records')
    assert main(args) == 2
    assert _count(capsys.readouterr().out, "indexed") == 0
