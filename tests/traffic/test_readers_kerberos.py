"""Kerberos from captures: KDC messages parsed (bad bytes included), logins as authentication
events, the test messages checked against tshark."""

from __future__ import annotations

import random
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sectool.traffic.readers import kerberos, read_events

T0 = Decimal("1772530000")
MACS = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}


def _write(path: Path, packets: list[Any]) -> Path:
    from scapy.utils import wrpcap

    wrpcap(str(path), packets)
    return path


def _by(events: list[dict[str, Any]], dataset: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event.dataset"] == dataset]


# ---------------------------------------------------------------------------------- DER builders
def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    size = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + size + content


def _ctx(n: int, content: bytes) -> bytes:
    return _der(0xA0 | n, content)


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def _str(text: str) -> bytes:
    return _der(0x1B, text.encode())


def _principal(kind: int, parts: list[str]) -> bytes:
    return _der(0x30, _ctx(0, _int(kind)) + _ctx(1, _der(0x30, b"".join(_str(p) for p in parts))))


def as_req(user: str, realm: str, msg_type: int = 10) -> bytes:
    body = _der(
        0x30,
        _ctx(0, _der(0x03, b"\x00\x40\x81\x00\x10"))
        + _ctx(1, _principal(1, [user]))
        + _ctx(2, _str(realm))
        + _ctx(3, _principal(2, ["krbtgt", realm]))
        + _ctx(5, _der(0x18, b"20370913024805Z"))
        + _ctx(7, _int(123456))
        + _ctx(8, _der(0x30, _int(18) + _int(23))),
    )
    return _der(0x60 | msg_type, _der(0x30, _ctx(1, _int(5)) + _ctx(2, _int(msg_type)) + _ctx(4, body)))


def krb_error(code: int, realm: str) -> bytes:
    seq = (
        _ctx(0, _int(5))
        + _ctx(1, _int(30))
        + _ctx(4, _der(0x18, b"20260303092640Z"))
        + _ctx(5, _int(0))
        + _ctx(6, _int(code))
        + _ctx(9, _str(realm))
        + _ctx(10, _principal(2, ["krbtgt", realm]))
    )
    return _der(0x7E, _der(0x30, seq))


def as_rep(user: str, realm: str) -> bytes:
    enc = _der(0x30, _ctx(0, _int(18)) + _ctx(2, _der(0x04, bytes(48))))
    ticket = _der(
        0x61,
        _der(
            0x30,
            _ctx(0, _int(5))
            + _ctx(1, _str(realm))
            + _ctx(2, _principal(2, ["krbtgt", realm]))
            + _ctx(3, enc),
        ),
    )
    seq = (
        _ctx(0, _int(5))
        + _ctx(1, _int(11))
        + _ctx(3, _str(realm))
        + _ctx(4, _principal(1, [user]))
        + _ctx(5, ticket)
        + _ctx(6, enc)
    )
    return _der(0x6B, _der(0x30, seq))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (as_req("alice", "CLINIC.DK"), (10, "CLINIC.DK", "alice", None)),
        (as_req("bob", "CLINIC.DK", 12), (12, "CLINIC.DK", "bob", None)),
        (krb_error(24, "CLINIC.DK"), (30, "CLINIC.DK", None, 24)),
        (as_rep("alice", "CLINIC.DK"), (11, "CLINIC.DK", "alice", None)),
        (as_rep("alice", "CLINIC.DK")[:60], (11, "CLINIC.DK", "alice", None)),  # only the head captured
    ],
)
def test_kerberos_messages(message: bytes, expected: tuple[Any, ...]) -> None:
    assert tuple(kerberos.parse(message) or ()) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x6a",
        b"\x6a\x84\xff\xff\xff\xff",  # a length far past the data
        b"\x6a\x85\x01\x01\x01\x01\x01",  # a 5-byte length
        b"\x6a\x03\x30\x01\x00",
        bytes(as_req("a", "B")).replace(b"\xa1\x03\x02\x01\x05", b"\xa1\x03\x02\x01\x04"),  # pvno 4
        _der(0x6A, _der(0x30, _ctx(1, _int(5)) + _ctx(2, _int(12)))),  # AS tag, TGS type
        b"\x30\x03\x02\x01\x05",  # no application tag
    ],
)
def test_kerberos_rejects_what_is_not_a_kdc_message(data: bytes) -> None:
    assert kerberos.parse(data) is None


def test_kerberos_survives_mutations() -> None:
    rng = random.Random(11)  # test data, not cryptography
    sample = as_rep("alice", "CLINIC.DK") + krb_error(6, "X")
    for _ in range(3000):
        data = bytearray(sample[: rng.randrange(len(sample) + 1)])
        for _ in range(rng.randint(0, 4)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        kerberos.parse(bytes(data))
        kerberos.looks_like_kerberos(bytes(data), rng.random() < 0.5)


def _kerberos_capture(tmp_path: Path, tcp_exchange: Any) -> Path:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    def mark(message: bytes) -> bytes:
        return struct.pack("!I", len(message)) + message

    # TCP on port 88: a wrong password, then (new connection) an unknown user.
    wrong = tcp_exchange(
        "10.1.0.5",
        50000,
        "10.1.0.2",
        88,
        [(True, mark(as_req("alice", "CLINIC.DK"))), (False, mark(krb_error(24, "CLINIC.DK")))],
        T0,
    )
    unknown = tcp_exchange(
        "10.1.0.5",
        50001,
        "10.1.0.2",
        88,
        [(True, mark(as_req("mallory", "CLINIC.DK"))), (False, mark(krb_error(6, "CLINIC.DK")))],
        T0 + 1,
    )
    # UDP on a port that is not 88: pre-authentication required (not a failed login), then success.
    udp = []
    for i, (from_client, message) in enumerate(
        [
            (True, as_req("carol", "CLINIC.DK")),
            (False, krb_error(25, "CLINIC.DK")),
            (True, as_req("carol", "CLINIC.DK")),
            (False, as_rep("carol", "CLINIC.DK")),
        ]
    ):
        src, dst, sp, dp = (
            ("10.1.0.6", "10.1.0.2", 50002, 8888) if from_client else ("10.1.0.2", "10.1.0.6", 8888, 50002)
        )
        pkt = Ether(**MACS) / IP(src=src, dst=dst) / UDP(sport=sp, dport=dp) / message
        pkt.time = T0 + 2 + Decimal(i) / 100
        udp.append(pkt)
    return _write(tmp_path / "krb.pcap", sorted([*wrong, *unknown, *udp], key=lambda p: p.time))


def test_kerberos_logins(tmp_path: Path, tcp_exchange: Any) -> None:
    events = list(read_events(_kerberos_capture(tmp_path, tcp_exchange)))
    krb = _by(events, "sectool.kerberos")
    got = [
        (
            e["user.name"],
            e["user.domain"],
            e["event.category"],
            e.get("event.outcome"),
            e.get("sectool.kerberos.error"),
        )
        for e in krb
    ]
    assert sorted(got, key=str) == sorted(
        [
            ("alice", "CLINIC.DK", "authentication", "failure", "KDC_ERR_PREAUTH_FAILED"),
            ("mallory", "CLINIC.DK", "authentication", "failure", "KDC_ERR_C_PRINCIPAL_UNKNOWN"),
            ("carol", "CLINIC.DK", "network", "failure", "KDC_ERR_PREAUTH_REQUIRED"),
            ("carol", "CLINIC.DK", "authentication", "success", None),
        ],
        key=str,
    )
    for e in krb:
        assert e["event.action"] == "kerberos-as-req"
        assert e["sectool.kerberos.request_type"] == "AS"
        assert e["network.protocol"] == "kerberos"
        assert e["source.ip"].startswith("10.1.0.")  # the client
        assert e["destination.ip"] == "10.1.0.2"  # the KDC
        assert e["event.type"] == ("start" if e["event.category"] == "authentication" else "protocol")
    assert {f["network.protocol"] for f in _by(events, "sectool.flow")} == {"kerberos"}


def test_kerberos_test_messages_decode_alike_in_tshark(
    tmp_path: Path, tcp_exchange: Any, tshark: Any
) -> None:
    path = _kerberos_capture(tmp_path, tcp_exchange)
    # tshark decodes port 88 only; the UDP exchange on port 8888 only sectool identifies from payload.
    rows = tshark(path, ["kerberos.msg_type", "kerberos.CNameString", "kerberos.error_code"], "kerberos")
    assert sorted(tuple(r) for r in rows) == sorted(
        [("10", "alice", ""), ("30", "", "24"), ("10", "mallory", ""), ("30", "", "6")]
    )
