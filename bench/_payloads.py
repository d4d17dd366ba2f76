"""A simulated capture with its TCP payloads filled in, for timing the protocol identification.

The simulator writes TCP records as headers only (``caplen`` < ``len``), so a reader never sees
a payload in them. :func:`with_payloads` copies such a classic pcap and writes every TCP record
whole (``caplen`` = ``len``): the first payload of each direction of a flow starts the way its
protocol does (by the server port: a TLS ClientHello / ServerHello on 443 and 8443, an HTTP
request / response on 80 and 8080, SSH banners on 22), the rest is zero bytes. Flows on other
ports carry zeros only: the reader inspects their first payload packets, identifies nothing and
gives up, which is the costliest case per flow.
"""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["with_payloads"]

_GLOBAL = 24
_RECORD = struct.Struct("<IIII")


def _u16s(values: list[int]) -> bytes:
    raw = b"".join(struct.pack("!H", v) for v in values)
    return struct.pack("!H", len(raw)) + raw


def _client_hello() -> bytes:
    ciphers = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014]
    name = b"www.example.org"
    exts = [
        (0, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name),
        (10, _u16s([29, 23, 24])),
        (11, b"\x01\x00"),
        (13, _u16s([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501])),
        (16, b"\x00\x0c\x02h2\x08http/1.1"),
        (43, b"\x04\x03\x04\x03\x03"),
        (51, struct.pack("!HHH", 36, 29, 32) + bytes(32)),
    ]
    ext_bytes = b"".join(struct.pack("!HH", t, len(b)) + b for t, b in exts)
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\x20" + bytes(32) + _u16s(ciphers) + b"\x01\x00"
    body += struct.pack("!H", len(ext_bytes)) + ext_bytes
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def _server_hello() -> bytes:
    exts = struct.pack("!HHH", 43, 2, 0x0304) + struct.pack("!HHHH", 51, 36, 29, 32) + bytes(32)
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\x00" + struct.pack("!HB", 0x1301, 0)
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


#: server port -> (what the client sends first, what the server sends first)
OPENERS: dict[int, tuple[bytes, bytes]] = {
    443: (_client_hello(), _server_hello()),
    8443: (_client_hello(), _server_hello()),
    80: (
        b"GET /index.html HTTP/1.1\r\nHost: www.example.org\r\nUser-Agent: bench/1.0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n",
    ),
    22: (b"SSH-2.0-OpenSSH_9.6\r\n", b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n"),
}
OPENERS[8080] = OPENERS[80]


def _tcp_ends(frame: bytes) -> tuple[bytes, int, bytes, int] | None:
    """(source address, port, destination address, port) of an Ethernet/IP/TCP frame."""
    if len(frame) < 14:
        return None
    etype = struct.unpack_from("!H", frame, 12)[0]
    if etype == 0x0800 and len(frame) >= 34 and frame[23] == 6:
        l4, src, dst = 14 + (frame[14] & 0x0F) * 4, frame[26:30], frame[30:34]
    elif etype == 0x86DD and len(frame) >= 54 and frame[20] == 6:
        l4, src, dst = 54, frame[22:38], frame[38:54]
    else:
        return None
    if len(frame) < l4 + 20:
        return None
    sport, dport = struct.unpack_from("!HH", frame, l4)
    return src, sport, dst, dport


def with_payloads(src: Path, dst: Path) -> Path:
    """Copy the classic pcap ``src`` to ``dst`` with whole TCP records (module docstring)."""
    if dst.exists():
        return dst
    tmp = dst.with_suffix(".part")
    started: set[tuple[bytes, int, bytes, int]] = set()  # (sender, port, receiver, port)
    with src.open("rb") as fin, tmp.open("wb") as fout:
        fout.write(fin.read(_GLOBAL))
        while True:
            head = fin.read(16)
            if len(head) < 16:
                break
            sec, usec, caplen, wirelen = _RECORD.unpack(head)
            frame = fin.read(caplen)
            tcp = _tcp_ends(frame) if wirelen > caplen else None
            if tcp is not None:
                key = tcp
                _, sport, _, dport = tcp
                missing = wirelen - caplen
                from_server = sport in OPENERS
                server = sport if from_server else dport
                payload = bytes(missing)
                if key not in started:
                    started.add(key)
                    opener = OPENERS.get(server, (b"", b""))[1 if from_server else 0]
                    payload = (opener + payload)[:missing]
                frame += payload
                caplen = wirelen
            fout.write(_RECORD.pack(sec, usec, caplen, wirelen) + frame)
    tmp.rename(dst)
    return dst
