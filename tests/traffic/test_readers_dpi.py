"""Protocol identification from payload and the protocol events of captures (SSH, HTTP, Kerberos,
ARP, ICMP), bad input included. TLS has its own module (test_readers_tls.py)."""

from __future__ import annotations

import random
import struct
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sectool.traffic.readers import ReadReport, http, read_events
from sectool.traffic.readers.dpi import identify

T0 = Decimal("1772530000")
MACS = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}


def _write(path: Path, packets: list[Any]) -> Path:
    from scapy.utils import wrpcap

    wrpcap(str(path), packets)
    return path


def _by(events: list[dict[str, Any]], dataset: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event.dataset"] == dataset]


# ------------------------------------------------------------------------------ identification
@pytest.mark.parametrize(
    ("tcp", "orig", "resp", "expected"),
    [
        (True, b"SSH-2.0-OpenSSH_9.6\r\n", b"", "ssh"),
        (True, b"", b"SSH-2.0-dropbear\r\n", "ssh"),
        (True, b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", b"", "tls"),
        (True, b"", b"\x16\x03\x03\x00\x05\x02\x00\x00\x01\x00", "tls"),
        (True, b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n", b"", "http"),
        (True, b"", b"HTTP/1.0 404 Not Found\r\n\r\n", "http"),
        (True, b"\x00\x00\x00\x20\xffSMBr\x00\x00\x00", b"", "smb"),
        (True, b"\x00\x00\x00\x40\xfeSMB@\x00", b"", "smb"),
        (True, b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00", b"", "rdp"),
        (True, b"EHLO mail01\r\n", b"220 mail02 ESMTP Postfix\r\n", "smtp"),
        (True, b"USER anonymous\r\n", b"220 (vsFTPd 3.0.3)\r\n", "ftp"),
        (True, b"", b"220 mail.example ESMTP ready\r\n", "smtp"),
        (True, b"", b"+OK POP3 ready\r\n", "pop3"),
        (True, b"", b"* OK [CAPABILITY IMAP4rev1] ready\r\n", "imap"),
        (True, b"", b"220 something\r\n", None),  # a 220 banner alone does not tell SMTP from FTP
        (True, b"xxxxxxxxxxxx", b"yyyyyyyy", None),
        (True, b"GET", b"", None),  # cut off: not yet
        (True, b"FOO / HTTP/1.1\r\n", b"", None),  # not a method
        (True, b"\x16\x03\x01\x00\x05\x02", b"", None),  # a ServerHello from the client
        (True, b"\x16\x07\x01\x00\x05\x01", b"", None),  # not version 3.x
        (False, b"SSH-2.0-x\r\n", b"", None),  # SSH, TLS and HTTP are TCP only
        (
            False,
            b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03foo\x03bar\x00\x00\x01\x00\x01",
            b"",
            "dns",
        ),
        (False, b"\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", b"", None),  # no question
        (False, b"\x00" * 40, b"", None),
    ],
)
def test_identify(tcp: bool, orig: bytes, resp: bytes, expected: str | None) -> None:
    assert identify(tcp, orig, resp) == expected


# ----------------------------------------------------------------------------------------- HTTP
@pytest.mark.parametrize(
    ("head", "fields"),
    [
        (
            b"GET /a/b?q=1&r=2 HTTP/1.1\r\nHost: www.example.org:8080\r\nUser-Agent: curl/8.5\r\n"
            b"Referer: http://x/\r\n\r\n",
            {
                "http.request.method": "GET",
                "url.original": "/a/b?q=1&r=2",
                "url.path": "/a/b",
                "url.query": "q=1&r=2",
                "url.domain": "www.example.org",
                "url.port": 8080,
                "user_agent.original": "curl/8.5",
                "http.request.referrer": "http://x/",
                "http.version": "1.1",
            },
        ),
        (
            b"POST /login HTTP/1.0\r\nhost: [2001:db8::1]:81\r\ncontent-length: 17\r\n\r\nuser=a",
            {
                "url.domain": "2001:db8::1",
                "url.port": 81,
                "http.request.body.bytes": 17,
                "http.version": "1.0",
            },
        ),
        (
            b"GET http://proxy.example/p?x HTTP/1.1\r\nHost: proxy.example\r\n\r\n",
            {"url.path": "/p", "url.query": "x", "url.domain": "proxy.example", "url.port": None},
        ),
        (b"GET / HTTP/1.1\r\nHost: a:99999\r\n", {"url.domain": "a", "url.port": None}),  # port out of range
        (b"GET / HTTP/1.1\r\n", {"url.domain": None, "user_agent.original": None}),  # no headers (yet)
    ],
)
def test_http_request_fields(head: bytes, fields: dict[str, Any]) -> None:
    req = http.parse_request(head)
    assert req is not None
    got = http.request_fields(req)
    assert {k: got[k] for k in fields} == fields


@pytest.mark.parametrize(
    "head",
    [
        b"GET /x HTTP/2.0\r\n",  # not HTTP/1.x
        b"GET  /x HTTP/1.1\r\n",  # two spaces
        b"get /x HTTP/1.1\r\n",
        b"GET /x y HTTP/1.1\r\n",
        b"GET /x\r\n",  # HTTP/0.9
        b"\x00\x01\x02",
        b"",
    ],
)
def test_http_bad_request_lines(head: bytes) -> None:
    assert http.parse_request(head) is None


@pytest.mark.parametrize(
    ("head", "status", "mime", "size"),
    [
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/HTML; charset=utf-8\r\nContent-Length: 12\r\n\r\n",
            200,
            "text/html",
            12,
        ),
        (b"HTTP/1.0 302\r\n\r\n", 302, None, None),
        (b"HTTP/1.1 500 x\r\nContent-Length: -1\r\n\r\n", 500, None, None),
    ],
)
def test_http_response_fields(head: bytes, status: int, mime: str | None, size: int | None) -> None:
    resp = http.parse_response(head)
    assert resp is not None
    got = http.response_fields(resp)
    assert (got["http.response.status_code"], got["http.response.mime_type"]) == (status, mime)
    assert got["http.response.body.bytes"] == size


@pytest.mark.parametrize("head", [b"HTTP/1.1 20 OK\r\n", b"HTTP/3 200\r\n", b"HTTP/1.1 700 x\r\n", b"HTTX"])
def test_http_bad_status_lines(head: bytes) -> None:
    assert http.parse_response(head) is None


def test_http_transactions_pipelined_and_retransmitted(tmp_path: Path, tcp_exchange: Any) -> None:
    req1 = b"GET /one HTTP/1.1\r\nHost: a.example\r\nUser-Agent: t\r\n\r\n"
    req2 = b"GET /two HTTP/1.1\r\nHost: a.example\r\n\r\n"
    packets = tcp_exchange(
        "10.0.0.5",
        40000,
        "10.0.0.80",
        8000,  # not an HTTP port: identified from the payload
        [
            (True, req1),
            (True, req2),
            (False, b"HTTP/1.1 100 Continue\r\n\r\n"),  # interim: not an answer
            (False, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody"),
            (False, b"HTTP/1.1 404 Not Found\r\n\r\n"),
        ],
        T0,
    )
    packets.insert(5, packets[3].copy())  # the first request again: a retransmission
    events = list(read_events(_write(tmp_path / "h.pcap", packets)))
    got = [(e["url.original"], e.get("http.response.status_code")) for e in _by(events, "sectool.http")]
    assert got == [("/one", 200), ("/two", 404)]
    first = _by(events, "sectool.http")[0]
    assert (first["url.domain"], first["user_agent.original"], first["network.protocol"]) == (
        "a.example",
        "t",
        "http",
    )
    assert _by(events, "sectool.flow")[0]["network.protocol"] == "http"
    assert len({e.doc_id for e in events}) == len(events)  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------------------- SSH
def _ssh_packets(tcp_exchange: Any, port: int, t0: Decimal) -> list[Any]:
    return tcp_exchange(
        "2001:db8::7" if port == 902 else "10.0.0.7",
        41000,
        "2001:db8::9" if port == 902 else "10.0.0.9",
        port,
        [
            (False, b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n"),
            (True, b"SSH-2.0-libssh_0.9.6\r\n"),
            (True, b"\x00" * 600),
            (False, b"\x00" * 900),
        ],
        t0,
    )


def test_ssh_on_another_port_feeds_the_login_heuristic(tmp_path: Path, tcp_exchange: Any) -> None:
    # The honeypot's case (corpus zeek/006): SSH on port 902, over IPv6.
    v4 = _ssh_packets(tcp_exchange, 902, T0)
    events = list(read_events(_write(tmp_path / "ssh.pcap", v4)))
    (flow,) = _by(events, "sectool.flow")
    assert flow["network.protocol"] == "ssh"
    assert flow["destination.port"] == 902
    (ssh,) = _by(events, "sectool.ssh")
    assert ssh["sectool.ssh.client"] == "SSH-2.0-libssh_0.9.6"
    assert ssh["sectool.ssh.server"] == "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3"
    (auth,) = [e for e in events if e["event.category"] == "authentication"]
    assert (auth["event.outcome"], auth["destination.port"], auth["network.protocol"]) == (
        "failure",
        902,
        "ssh",
    )


def test_port_guess_only_without_identifying_payload(tmp_path: Path, tcp_exchange: Any) -> None:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    syn = Ether(**MACS) / IP(src="10.0.0.5", dst="10.0.0.10") / TCP(sport=40001, dport=3389, flags="S")
    syn.time = T0
    web = tcp_exchange("10.0.0.5", 40002, "10.0.0.11", 22, [(True, b"GET / HTTP/1.1\r\n\r\n")], T0 + 1)
    events = list(read_events(_write(tmp_path / "p.pcap", [syn, *web])))
    flows = {e["destination.port"]: e for e in _by(events, "sectool.flow")}
    assert (flows[3389]["network.protocol"], flows[3389]["tags"]) == ("rdp", ["port-guess"])
    assert flows[22]["network.protocol"] == "http"  # the payload wins over the port
    assert "tags" not in flows[22]
    assert not [e for e in events if e["event.category"] == "authentication"]  # not SSH after all


# ----------------------------------------------------------------------------------- ARP, ICMP
def test_arp_events(tmp_path: Path) -> None:
    from scapy.layers.l2 import ARP, Ether

    packets = []
    for i in range(3):  # the same request three times in one second: one event
        packets.append(
            Ether(src="aa:bb:cc:00:00:01", dst="ff:ff:ff:ff:ff:ff")
            / ARP(op=1, hwsrc="aa:bb:cc:00:00:01", psrc="10.0.0.1", pdst="10.0.0.2")
        )
        packets[-1].time = T0 + Decimal(i) / 10
    reply = Ether(src="aa:bb:cc:00:00:02", dst="aa:bb:cc:00:00:01") / ARP(
        op=2, hwsrc="aa:bb:cc:00:00:02", psrc="10.0.0.2", hwdst="aa:bb:cc:00:00:01", pdst="10.0.0.1"
    )
    reply.time = T0 + Decimal("0.5")
    again = packets[0].copy()
    again.time = T0 + 2  # another second: another event
    events = list(read_events(_write(tmp_path / "arp.pcap", [*packets, reply, again])))
    arp = _by(events, "sectool.arp")
    assert [(e["event.action"], e["network.packets"], e["source.ip"], e["destination.ip"]) for e in arp] == [
        ("arp-request", 3, "10.0.0.1", "10.0.0.2"),
        ("arp-reply", 1, "10.0.0.2", "10.0.0.1"),
        ("arp-request", 1, "10.0.0.1", "10.0.0.2"),
    ]
    assert (arp[1]["source.mac"], arp[1]["destination.mac"]) == ("AA-BB-CC-00-00-02", "AA-BB-CC-00-00-01")
    assert arp[0]["destination.mac"] is None
    assert (arp[0]["event.category"], arp[0]["event.type"]) == ("network", "info")
    assert len({e.doc_id for e in arp}) == 3  # type: ignore[attr-defined]


def test_arp_scan_from_the_corpus(corpus: Path) -> None:
    # Slips' ARP scan of a /24 (corpus README): one sender asks for about 255 targets.
    events = list(read_events(corpus / "attack" / "arp-scan.pcap"))
    requests = [e for e in _by(events, "sectool.arp") if e["event.action"] == "arp-request"]
    by_sender = Counter(e["source.ip"] for e in requests)
    scanner, _ = by_sender.most_common(1)[0]
    targets = {e["destination.ip"] for e in requests if e["source.ip"] == scanner}
    assert scanner == "192.168.1.247"
    assert 250 <= len(targets) <= 256


def test_icmp_type_and_code(tmp_path: Path, sample_packets: list[Any]) -> None:
    events = list(read_events(_write(tmp_path / "s.pcap", sample_packets)))
    (icmp,) = [e for e in _by(events, "sectool.flow") if e["network.transport"] == "icmp"]
    assert (icmp["sectool.icmp.type"], icmp["sectool.icmp.code"]) == (8, 0)
    others = [e for e in _by(events, "sectool.flow") if e["network.transport"] != "icmp"]
    assert others
    assert not [e for e in others if "sectool.icmp.type" in e]


# ----------------------------------------------------------------------------------- bad input
def test_hostile_payloads_on_every_protocol_are_survived(tmp_path: Path, tcp_exchange: Any) -> None:
    rng = random.Random(5)  # test data, not cryptography
    seeds = [
        b"SSH-2.0-",
        b"\x16\x03\x01\x40\x00\x01",
        b"GET / HTTP/1.1\r\n",
        b"\x00\x00\x00\x10\x6a\x81",
        b"\x6a\x82\xff\xff",
        b"HTTP/1.1 200",
    ]
    packets = []
    for i in range(60):
        head = seeds[i % len(seeds)]
        junk = [
            (rng.random() < 0.5, head + rng.randbytes(rng.randrange(0, 300)))
            for _ in range(rng.randint(1, 5))
        ]
        packets += tcp_exchange(
            "10.2.0.1", 30000 + i, "10.2.0.2", rng.choice([22, 80, 88, 443, 902, 3389]), junk, T0 + i
        )
    report = ReadReport()
    events = list(read_events(_write(tmp_path / "junk.pcap", packets), report=report))
    assert len(_by(events, "sectool.flow")) == 60


def _pcapng(ts_units: list[int]) -> bytes:
    def block(btype: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        return struct.pack("<II", btype, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 65535))
    for i, ts in enumerate(ts_units):
        frame = bytes(Ether(**MACS) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000 + i, dport=9))
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    return out


def test_pcapng_timestamp_past_what_sectool_keeps_is_skipped_with_a_warning(tmp_path: Path) -> None:
    good = 1_772_530_000_000_000  # microseconds
    late = 300_000_000_000 * 1_000_000  # the year 11476: no date holds it
    stored = 9_300_000_000 * 1_000_000  # the year 2264: past the local store's nanoseconds (2262)
    data = _pcapng([good, late, good + 1, stored])
    path = tmp_path / "late.pcapng"
    path.write_bytes(data)
    report = ReadReport()
    events = list(read_events(path, report=report))
    assert sorted(e["source.port"] for e in events) == [1000, 1002]  # the packets after it are read
    assert report.packets == 4
    assert report.skipped == 2
    second_block = 28 + 20 + (len(data) - 48) // 4  # SHB, IDB, then four blocks of one size
    assert any(
        f"2 packets with a timestamp after 2262-01-01 were skipped (the first at byte {second_block})" in w
        for w in report.warnings
    )


# ------------------------------------------------------------------------------------------ DNS
def test_dns_on_other_ports_header_flags_and_class(tmp_path: Path) -> None:
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    def udp(src: str, dst: str, sport: int, dport: int, msg: Any, t: Decimal) -> Any:
        pkt = Ether(**MACS) / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / msg
        pkt.time = t
        return pkt

    q = DNS(id=7, rd=1, qd=DNSQR(qname="odd.example.com", qtype="TXT"))
    r = DNS(
        id=7, qr=1, rd=1, ra=1, aa=1, qd=q.qd, an=DNSRR(rrname="odd.example.com", type="TXT", rdata=["v=1"])
    )
    mdns = DNS(id=0, qd=DNSQR(qname="_googlecast._tcp.local", qtype="PTR", qclass=0x8001))
    packets = [
        udp("10.0.0.5", "10.0.0.53", 40000, 5300, q, T0),  # DNS on port 5300: identified from the payload
        udp("10.0.0.53", "10.0.0.5", 5300, 40000, r, T0 + Decimal("0.01")),
        udp("10.0.0.5", "224.0.0.251", 5353, 5353, mdns, T0 + 1),
        udp("10.0.0.5", "10.0.0.9", 40001, 5301, b"\x00" * 30, T0 + 2),  # not DNS
    ]
    events = list(read_events(_write(tmp_path / "dns.pcap", packets)))
    dns = {e["dns.question.name"]: e for e in _by(events, "sectool.dns")}
    odd = dns["odd.example.com"]
    assert (odd["dns.answers.data"], odd["dns.type"], odd["destination.port"]) == (["v=1"], "answer", 5300)
    assert odd["dns.header_flags"] == ["AA", "RD", "RA"]
    assert odd["dns.question.class"] == "IN"
    assert dns["_googlecast._tcp.local"]["dns.question.class"] == "IN"  # the unicast-response bit masked
    protocols = {e["destination.port"]: e["network.protocol"] for e in _by(events, "sectool.flow")}
    assert protocols == {5300: "dns", 5353: "dns", 5301: None}


def test_heads_join_in_sequence_order_and_end_at_a_gap() -> None:
    from sectool.traffic.flows import DPI_DONE, Flow
    from sectool.traffic.readers.dpi import Inspector

    records: list[tuple[Any, ...]] = []
    flow = Flow(6, b"\x0a\x00\x00\x01", 40000, b"\x0a\x00\x00\x02", 2222, 0)
    inspector = Inspector(True, lambda *record: records.append(record), lambda *_: None)
    flow.dpi = inspector
    inspector.feed(flow, True, 1, 100, b"SSH-2.0-cli")
    inspector.feed(flow, True, 2, 100, b"SSH-2.0-cli")  # a retransmission: not joined twice
    inspector.feed(flow, True, 3, 105, b".0-client\r\n")  # overlaps: only the new bytes count
    inspector.feed(flow, False, 4, 5000, b"SSH-2.0-se")
    inspector.feed(flow, False, 5, 5020, b"xx")  # a segment is missing: the head ends
    inspector.feed(flow, False, 6, 5010, b"rver\r\n")  # too late
    assert flow.service == "ssh"
    assert inspector.heads == [b"SSH-2.0-se", b"SSH-2.0-client\r\n"]
    inspector.finish(flow)
    assert flow.dpi is DPI_DONE
    ((_, ts, dataset, number, fields),) = records
    assert (ts, dataset, number) == (1, "sectool.ssh", 0)
    assert fields == {"sectool.ssh.client": "SSH-2.0-client", "sectool.ssh.server": None}
