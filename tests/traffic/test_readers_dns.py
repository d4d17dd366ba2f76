from __future__ import annotations

import struct
from typing import Any

import pytest

from sectool.traffic.readers.dns import DnsTracker, parse_message, split_name


def _scapy_bytes(**kw: Any) -> bytes:
    from scapy.layers.dns import DNS

    return bytes(DNS(**kw))


def test_parse_answers_of_many_types() -> None:
    from scapy.layers.dns import DNSQR, DNSRR, DNSRRMX, DNSRRSRV

    data = _scapy_bytes(
        id=99,
        qr=1,
        rcode=0,
        qd=DNSQR(qname="www.Example.com", qtype="A"),
        an=[
            DNSRR(rrname="www.example.com", type="CNAME", rdata="web.example.com"),
            DNSRR(rrname="web.example.com", type="A", rdata="192.0.2.1"),
            DNSRR(rrname="web.example.com", type="AAAA", rdata="2001:db8::1"),
            DNSRR(rrname="web.example.com", type="TXT", rdata=[b"v=spf1 ", b"-all"]),
            DNSRRMX(rrname="example.com", exchange="mail.example.com"),
            DNSRRSRV(rrname="_sip._tcp.example.com", target="sip.example.com", port=5060),
        ],
    )
    msg = parse_message(data)
    assert msg.id == 99
    assert msg.response
    assert (msg.qname, msg.qtype, msg.rcode) == ("www.Example.com", "A", "NOERROR")
    assert msg.answers == [
        "web.example.com",
        "192.0.2.1",
        "2001:db8::1",
        "v=spf1 -all",
        "mail.example.com",
        "sip.example.com",
    ]


def test_compressed_names() -> None:
    # Hand-built: question www.example.com, answer name is a pointer to offset 12, CNAME rdata
    # "cdn" + pointer to "example.com" (offset 16).
    header = struct.pack("!HHHHHH", 1, 0x8183, 1, 1, 0, 0)
    question = b"\x03www\x07example\x03com\x00" + struct.pack("!HH", 5, 1)
    rdata = b"\x03cdn\xc0\x10"
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, len(rdata)) + rdata
    msg = parse_message(header + question + answer)
    assert msg.rcode == "NXDOMAIN"
    assert msg.qtype == "CNAME"
    assert msg.answers == ["cdn.example.com"]


@pytest.mark.parametrize(
    "data",
    [
        b"\x00" * 5,  # shorter than a header
        struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\x05ab",  # label past the end
        struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c",  # pointer loop to itself
        struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\xff",  # pointer out of range
    ],
)
def test_malformed_messages_raise(data: bytes) -> None:
    with pytest.raises((ValueError, IndexError, struct.error)):
        parse_message(data)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.b.example.co.uk.", ("a.b.example.co.uk", "example.co.uk", "a.b", "co.uk")),
        ("WWW.Example.COM", ("WWW.Example.COM", "example.com", "WWW", "com")),
        (
            "aGVsbG8.t.Exfil.Example.CO.UK.",
            ("aGVsbG8.t.Exfil.Example.CO.UK", "example.co.uk", "aGVsbG8.t.Exfil", "co.uk"),
        ),
        ("example.com", ("example.com", "example.com", None, "com")),
        ("com", ("com", None, None, "com")),
        ("", ("", None, None, None)),
    ],
)
def test_split_name(name: str, expected: tuple[Any, ...]) -> None:
    assert split_name(name) == expected


def test_tracker_pairs_and_expires() -> None:
    from scapy.layers.dns import DNSQR

    seen: list[tuple[Any, Any, Any, int]] = []
    tracker = DnsTracker(lambda k, q, r, ts: seen.append((k, q, r, ts)), timeout=10)
    c, s = b"\x0a\x00\x00\x01", b"\x08\x08\x08\x08"
    q1 = _scapy_bytes(id=1, qd=DNSQR(qname="x.example.com"))
    q2 = _scapy_bytes(id=2, qd=DNSQR(qname="y.example.com", qtype="TXT"))
    r1 = _scapy_bytes(id=1, qr=1, rcode=3, qd=DNSQR(qname="x.example.com"))
    tracker.packet(100, 17, c, 5000, s, 53, q1)
    tracker.packet(101, 17, c, 5001, s, 53, q2)
    tracker.packet(105, 17, s, 53, c, 5000, r1)
    assert len(seen) == 1
    _key, query, response, ts = seen[0]
    assert ts == 100
    assert query.name == "x.example.com"
    assert response["rcode"] == "NXDOMAIN"
    tracker.packet(200, 17, c, 5002, s, 53, b"\x00\x01")  # garbage: counted, not fatal
    assert tracker.errors == 1
    tracker.flush()
    assert len(seen) == 2
    assert seen[1][2] is None
    assert seen[1][1].qtype == "TXT"


def test_dns_over_tcp_whole_messages_only() -> None:
    from scapy.layers.dns import DNSQR

    seen: list[Any] = []
    tracker = DnsTracker(lambda k, q, r, ts: seen.append((k, q, r)))
    c, s = b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x35"
    q = _scapy_bytes(id=5, qd=DNSQR(qname="big.example.com", qtype="AXFR"))
    r = _scapy_bytes(id=5, qr=1, qd=DNSQR(qname="big.example.com", qtype="AXFR"))
    tracker.packet(1, 6, c, 6000, s, 53, struct.pack("!H", len(q)) + q)
    tracker.packet(2, 6, s, 53, c, 6000, struct.pack("!H", len(r) + 100) + r)  # continues later: skipped
    tracker.packet(3, 6, s, 53, c, 6000, struct.pack("!H", len(r)) + r)
    assert len(seen) == 1
    key, query, response = seen[0]
    assert key[4] == 6
    assert query.qtype == "AXFR"
    assert response["rcode"] == "NOERROR"
