"""TLS handshake parsing: JA3 / JA3S / JA4 against published vectors and tshark, hostile bytes."""

from __future__ import annotations

import random
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sectool.traffic.readers import read_events, tls

# The ClientHello of Chrome 143 as browserleaks.com reported it (ja4_ro / ja3_text): ciphers,
# extensions and signature algorithms in wire order, with the fingerprints it computed.
CHROME_CIPHERS = [4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156, 157, 47, 53]
CHROME_EXTS = [45, 51, 16, 65037, 23, 17613, 0, 11, 10, 43, 65281, 35, 18, 5, 13, 27]
CHROME_SIGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
CHROME_GROUPS = [4588, 29, 23, 24]
CHROME_JA4 = "t13d1516h2_8daaf6152771_d8a2da3f94cd"
CHROME_JA3 = (
    "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
    "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"
)
CHROME_JA3_MD5 = "98487aa16281980e7d1120d399efb6a4"


def _u16s(values: list[int]) -> bytes:
    raw = b"".join(struct.pack("!H", v) for v in values)
    return struct.pack("!H", len(raw)) + raw


def _ext_body(etype: int, *, sni: str, alpn: list[bytes], groups: list[int], versions: list[int]) -> bytes:
    if etype == 0:
        name = sni.encode()
        return struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    if etype == 10:
        return _u16s(groups)
    if etype == 11:
        return b"\x01\x00"
    if etype == 13:
        return _u16s(CHROME_SIGS)
    if etype == 16:
        inner = b"".join(bytes([len(p)]) + p for p in alpn)
        return struct.pack("!H", len(inner)) + inner
    if etype == 43:
        inner = b"".join(struct.pack("!H", v) for v in versions)
        return bytes([len(inner)]) + inner
    return b"\x00" if etype == 65281 else b""


def client_hello(
    *,
    ciphers: list[int] = CHROME_CIPHERS,
    exts: list[int] = CHROME_EXTS,
    sni: str = "www.example.org",
    alpn: tuple[bytes, ...] = (b"h2", b"http/1.1"),
    groups: list[int] = CHROME_GROUPS,
    versions: tuple[int, ...] = (0x0304, 0x0303),
    padding: int = 0,
) -> bytes:
    """A ClientHello record with the given lists (extensions in the order given)."""
    body_exts = b"".join(
        struct.pack("!HH", e, len(b)) + b
        for e in exts
        for b in [_ext_body(e, sni=sni, alpn=list(alpn), groups=groups, versions=list(versions))]
    )
    if padding:
        body_exts += struct.pack("!HH", 21, padding) + bytes(padding)
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\x20" + bytes(32) + _u16s(ciphers) + b"\x01\x00"
    body += struct.pack("!H", len(body_exts)) + body_exts
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16" + struct.pack("!HH", 0x0301, len(hs)) + hs


def server_hello(cipher: int = 0x1301, *, tls13: bool = True, alpn: bytes | None = None) -> bytes:
    exts = b""
    if tls13:
        exts += struct.pack("!HHH", 43, 2, 0x0304) + struct.pack("!HHHH", 51, 36, 29, 32) + bytes(32)
    if alpn is not None:
        inner = bytes([len(alpn)]) + alpn
        exts += struct.pack("!HHH", 16, len(inner) + 2, len(inner)) + inner
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\x00" + struct.pack("!HB", cipher, 0)
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16" + struct.pack("!HH", 0x0303, len(hs)) + hs


def test_ja3_and_ja4_of_chrome_match_the_published_values() -> None:
    hello = tls.parse_client_hello(client_hello())
    assert hello is not None
    assert hello.server_name == "www.example.org"
    assert tls.ja3(hello) == (CHROME_JA3, CHROME_JA3_MD5)
    assert tls.ja4(hello) == CHROME_JA4


def test_grease_is_ignored() -> None:
    grease = client_hello(
        ciphers=[0x2A2A, *CHROME_CIPHERS],
        exts=[0x0A0A, *CHROME_EXTS, 0x1A1A],
        groups=[0x3A3A, *CHROME_GROUPS],
        versions=(0x5A5A, 0x0304, 0x0303),
    )
    hello = tls.parse_client_hello(grease)
    assert hello is not None
    assert tls.ja3(hello) == (CHROME_JA3, CHROME_JA3_MD5)
    assert tls.ja4(hello) == CHROME_JA4


def test_ja4_vector_from_the_foxio_readme() -> None:
    # JA4.md's example: the hash parts of t13d1516h2_8daaf6152771_e5627efa2ab1 (ja4_r given there).
    exts = [0x0005, 0x000A, 0x000B, 0x000D, 0x0012, 0x0015, 0x0017, 0x001B, 0x0023, 0x002B, 0x002D]
    exts += [0x0033, 0x4469, 0xFF01, 0x0000, 0x0010]
    hello = tls.parse_client_hello(client_hello(exts=exts))
    assert hello is not None
    assert tls.ja4(hello) == "t13d1516h2_8daaf6152771_e5627efa2ab1"


@pytest.mark.parametrize(
    ("kwargs", "head"),
    [
        ({"alpn": ()}, "t13d151600"),  # an empty ALPN extension
        ({"exts": [e for e in CHROME_EXTS if e != 16]}, "t13d151500"),  # no ALPN extension
        ({"exts": [e for e in CHROME_EXTS if e != 0]}, "t13i1515h2"),  # no SNI: "i"
        ({"alpn": (b"http/1.1",)}, "t13d1516h1"),
        ({"alpn": (b"\xab\xcd",)}, "t13d1516ad"),  # not alphanumeric: hex digits
        ({"exts": [e for e in CHROME_EXTS if e != 43]}, "t12d1515h2"),  # no supported_versions
    ],
)
def test_ja4_head(kwargs: dict[str, Any], head: str) -> None:
    hello = tls.parse_client_hello(client_hello(**kwargs))
    assert hello is not None
    assert tls.ja4(hello).split("_")[0] == head


def test_server_hello_fields() -> None:
    hello = tls.parse_server_hello(server_hello())
    assert hello is not None
    assert tls.version_name(hello.selected_version or hello.version) == "1.3"
    assert tls.CIPHERS[hello.cipher] == "TLS_AES_128_GCM_SHA256"
    assert tls.GROUPS[hello.group or 0] == "x25519"
    assert tls.ja3s(hello)[0] == "771,4865,43-51"
    old = tls.parse_server_hello(server_hello(0xC02F, tls13=False, alpn=b"http/1.1"))
    assert old is not None
    assert (old.selected_version, old.version, old.alpn) == (None, 0x0303, "http/1.1")


def test_every_truncation_and_mutation_is_survived() -> None:
    record = client_hello()
    for cut in range(len(record)):
        assert tls.parse_client_hello(record[:cut]) is None  # the record is not whole
    rng = random.Random(7)  # test data, not cryptography
    for _ in range(3000):
        data = bytearray(record)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        hello = tls.parse_client_hello(bytes(data))
        if hello is not None:  # still parseable: the fingerprints are computable
            tls.ja3(hello)
            tls.ja4(hello)
        tls.parse_server_hello(bytes(data))


T0 = Decimal("1772530000")


def _tls_capture(tmp_path: Path, tcp_exchange: Any) -> Path:
    from scapy.utils import wrpcap

    hello = client_hello(padding=2000)  # longer than a segment: read across two
    packets = tcp_exchange(
        "10.0.0.5",
        50000,
        "192.0.2.10",
        8443,
        [(True, hello[:1200]), (True, hello[1200:]), (False, server_hello(alpn=None))],
        T0,
    )
    path = tmp_path / "tls.pcap"
    wrpcap(str(path), packets)
    return path


def test_tls_event_from_a_capture(tmp_path: Path, tcp_exchange: Any) -> None:
    events = list(read_events(_tls_capture(tmp_path, tcp_exchange)))
    (flow,) = [e for e in events if e["event.dataset"] == "sectool.flow"]
    (event,) = [e for e in events if e["event.dataset"] == "sectool.tls"]
    assert flow["network.protocol"] == "tls"
    assert "tags" not in flow  # identified from the payload, not guessed from the port
    assert event["tls.client.server_name"] == "www.example.org"
    assert event["tls.client.ja4"].startswith("t13d1517h2_8daaf6152771_")  # + padding extension
    assert event["tls.version"] == "1.3"
    assert event["tls.version_protocol"] == "tls"
    assert event["tls.cipher"] == "TLS_AES_128_GCM_SHA256"
    assert event["tls.curve"] == "x25519"
    assert event["event.type"] == "protocol"
    assert event["network.community_id"] == flow["network.community_id"]
    assert (event["source.ip"], event["destination.port"]) == ("10.0.0.5", 8443)


def test_ja3_and_ja3s_agree_with_tshark(tmp_path: Path, tcp_exchange: Any, tshark: Any) -> None:
    path = _tls_capture(tmp_path, tcp_exchange)
    (event,) = [e for e in read_events(path) if e["event.dataset"] == "sectool.tls"]
    rows = tshark(path, ["tls.handshake.ja3", "tls.handshake.ja3s"], "tls.handshake")
    assert {v for row in rows for v in row if v} == {event["tls.client.ja3"], event["tls.server.ja3s"]}
