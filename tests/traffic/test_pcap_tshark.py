"""The capture reader against tshark, on every capture of the corpus (benign and attack).

tshark (Wireshark's dissectors) is the independent oracle: per capture the same TCP/UDP
conversations with the same packet and IP byte counts, the same DNS questions, TLS server names
and HTTP requests. Differences that are by design, and how they are compared:

* a conversation may be several sectool flows (idle/active timeouts, a new SYN on an ended
  5-tuple; Zeek does the same): packets and bytes are summed per 5-tuple before comparing;
* packets inside ICMP errors (a quoted IP/UDP header) are no conversation for sectool (nor for
  Zeek): tshark's rows are filtered with ``not icmp``;
* segmentation offload (an IPv4 total length of 0 in mail_sender_attachment): both take the
  captured length, as the NIC would have filled it in;
* IP fragments: tshark reassembles and reports the transport header on the last fragment, sectool
  reads it from the first fragment and skips the others; both count one packet per datagram;
* DNS: sectool keeps the first question of a message (as Zeek's dns.log), tshark lists all: the
  first one is compared; mDNS (5353) and LLMNR (5355) are DNS's wire format and are read as DNS;
* HTTP ``Host`` of an IPv6 literal: sectool's ``url.domain`` is the address without brackets.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sectool.traffic.readers import read_events

CAPTURES = [
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
    "attack/arp-poison.pcapng",
    "attack/arp-scan.pcap",
    "attack/cryptowall4-c2.pcapng",
    "attack/dns-isp-hijack.pcapng",
    "attack/http-sqlinjection.pcapng",
    "attack/icmp-sweep.pcap",
    "attack/nmap-os-fingerprinting.pcapng",
    "attack/session-hijacking.pcapng",
    "attack/slips-test7-malicious.pcap",
]

Key = tuple[str, frozenset[tuple[str, int]]]
Events = dict[str, list[dict[str, Any]]]
Packets = dict[str, list[dict[str, list[str]]]]


_SEP = "\x1e"  # joins repeated values (a URI or a DNS name may hold a comma)
_FIELDS = (
    "frame.protocols",
    "ip.src",
    "ipv6.src",
    "ip.dst",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "ip.len",
    "ipv6.plen",
    "dns.qry.name",
    "tls.handshake.type",
    "tls.handshake.extensions_server_name",
    "tls.handshake.ja3",
    "http.request.method",
    "http.host",
    "http.request.uri",
)


@pytest.fixture(scope="module")
def events(corpus: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: list(read_events(corpus / name)) for name in CAPTURES}


@pytest.fixture(scope="module")
def packets(corpus: Path, tshark: Any) -> dict[str, list[dict[str, list[str]]]]:
    """tshark's view of each capture: per packet, field -> its values (one tshark run each)."""
    out = {}
    for name in CAPTURES:
        rows = tshark(corpus / name, _FIELDS, aggregator=_SEP)
        out[name] = [
            {f: v.split(_SEP) if v else [] for f, v in zip(_FIELDS, row, strict=True)} for row in rows
        ]
    return out


def test_every_capture_is_compared(corpus: Path) -> None:
    found = {str(p.relative_to(corpus)) for p in corpus.glob("*/*.pcap*")}
    assert found == set(CAPTURES)


def _by(events: list[dict[str, Any]], dataset: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event.dataset"] == dataset]


@pytest.mark.parametrize("name", CAPTURES)
def test_conversations_packets_and_bytes(name: str, events: Events, packets: Packets) -> None:
    ours: Counter[Key] = Counter()
    ours_bytes: Counter[Key] = Counter()
    for e in _by(events[name], "sectool.flow"):
        if e["network.transport"] not in ("tcp", "udp"):
            continue
        key = (
            e["network.transport"],
            frozenset({(e["source.ip"], e["source.port"]), (e["destination.ip"], e["destination.port"])}),
        )
        ours[key] += e["network.packets"]
        ours_bytes[key] += e["network.bytes"]
    theirs: Counter[Key] = Counter()
    theirs_bytes: Counter[Key] = Counter()
    for p in packets[name]:
        layers = p["frame.protocols"][0].split(":")
        if "icmp" in layers or "icmpv6" in layers or not ("tcp" in layers or "udp" in layers):
            continue
        src, dst = (p["ip.src"] or p["ipv6.src"])[0], (p["ip.dst"] or p["ipv6.dst"])[0]
        tcp = bool(p["tcp.srcport"])
        sport, dport = (p["tcp.srcport"], p["tcp.dstport"]) if tcp else (p["udp.srcport"], p["udp.dstport"])
        key = ("tcp" if tcp else "udp", frozenset({(src, int(sport[0])), (dst, int(dport[0]))}))
        theirs[key] += 1
        # A reassembled IPv4 datagram lists every fragment's length: the first is what sectool sees.
        theirs_bytes[key] += int(p["ip.len"][0]) if p["ip.len"] else int(p["ipv6.plen"][0]) + 40
    assert set(ours) == set(theirs)
    assert ours == theirs
    assert ours_bytes == theirs_bytes


@pytest.mark.parametrize("name", CAPTURES)
def test_dns_questions(name: str, events: Events, packets: Packets) -> None:
    ours = {e["dns.question.name"] for e in _by(events[name], "sectool.dns") if e["dns.question.name"]}
    theirs = {
        p["dns.qry.name"][0]
        for p in packets[name]
        if p["dns.qry.name"] and "icmp" not in p["frame.protocols"][0]
    }
    # dns_axfr: the zone transfer's answer spans TCP segments (tshark reassembles, sectool does
    # not: a warning counts them), but its question is the query's, which sectool read.
    assert ours == theirs


@pytest.mark.parametrize("name", CAPTURES)
def test_tls_server_names(name: str, events: Events, packets: Packets) -> None:
    ours = [(e["tls.client.server_name"], e["tls.client.ja3"]) for e in _by(events[name], "sectool.tls")]
    theirs = [
        ((p["tls.handshake.extensions_server_name"] or [None])[0], p["tls.handshake.ja3"][0])
        for p in packets[name]
        if "1" in p["tls.handshake.type"]
    ]
    assert sorted(ours, key=str) == sorted(theirs, key=str)


def _host(value: str) -> str | None:
    if value.startswith("["):
        return value[1 : value.index("]")]
    return value.split(":")[0] or None


@pytest.mark.parametrize("name", CAPTURES)
def test_http_requests(name: str, events: Events, packets: Packets) -> None:
    ours = [
        (e["http.request.method"], e["url.domain"], e["url.original"])
        for e in _by(events[name], "sectool.http")
    ]
    theirs = [
        (method, _host(host), uri)
        for p in packets[name]
        for method, host, uri in zip(
            p["http.request.method"], p["http.host"], p["http.request.uri"], strict=True
        )
    ]
    assert sorted(ours, key=str) == sorted(theirs, key=str)


def test_the_corpus_holds_what_is_compared(events: Events) -> None:
    # Guards against a vacuous pass: the comparisons above cover real protocol records.
    totals = Counter(e["event.dataset"] for name in CAPTURES for e in events[name])
    assert totals["sectool.http"] >= 100
    assert totals["sectool.dns"] >= 150
    assert totals["sectool.tls"] >= 1
    assert totals["sectool.ssh"] == 2
    assert totals["sectool.arp"] >= 500
