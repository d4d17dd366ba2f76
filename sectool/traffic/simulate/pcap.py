"""A fast classic-pcap writer for the simulated flows.

Packets are built with :mod:`struct` (Ethernet II, IPv4 or IPv6, TCP or UDP) from each flow's
endpoints and payload sizes, and written in time order through a heap (flows overlap in time;
memory holds only the packets of flows still in progress). TCP payload bytes are not stored:
a record holds the headers (``caplen`` < ``len``) while the IP length field carries the real
size, as a header-only capture does; DNS messages are stored whole so readers can decode them.

The writer is hand-written rather than scapy's ``RawPcapWriter`` because it is the hot loop
of the benchmark captures (well over a million packets a minute).
"""

from __future__ import annotations

import hashlib
import heapq
import ipaddress
import struct
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from sectool.traffic.simulate.record import MSS

__all__ = ["write_pcap"]

_GLOBAL = struct.Struct("<IHHiIII")
_REC = struct.Struct("<IIII")
_IP4 = struct.Struct("!BBHHHBBH4s4s")
_IP6 = struct.Struct("!IHBB16s16s")
_TCP = struct.Struct("!HHIIBBHHH")
_UDP = struct.Struct("!HHHH")

_FIN, _SYN, _RST, _PSH, _ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def _mac(ip: bytes) -> bytes:
    return b"\x02" + hashlib.blake2b(ip, digest_size=5).digest()


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class _Endpoints:
    """Pre-built link and network header parts of one flow (both directions)."""

    def __init__(self, src: str, dst: str) -> None:
        a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
        self.v6 = a.version == 6
        self.a, self.b = a.packed, b.packed
        ether = b"\x86\xdd" if self.v6 else b"\x08\x00"
        self.eth_ab = _mac(self.b) + _mac(self.a) + ether
        self.eth_ba = _mac(self.a) + _mac(self.b) + ether

    def ip(self, forward: bool, proto: int, l4_len: int, ident: int) -> bytes:
        src, dst = (self.a, self.b) if forward else (self.b, self.a)
        if self.v6:
            return _IP6.pack(0x60000000, l4_len, proto, 64, src, dst)
        total = 20 + l4_len
        hdr = _IP4.pack(0x45, 0, total, ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst)
        return hdr[:10] + struct.pack("!H", _checksum(hdr)) + hdr[12:]


def _tcp_packets(r: dict[str, Any]) -> Iterator[tuple[int, bytes, int]]:
    """(timestamp µs, captured bytes, wire length) of one TCP flow."""
    ep = _Endpoints(r["source.ip"], r["destination.ip"])
    sport, dport, state = r["source.port"], r["destination.port"], r["sectool.connection.state"]
    s_pay, d_pay = r["_s_payload"] or 0, r["_d_payload"] or 0
    seed = hashlib.blake2b(f"{r['network.community_id']}{r['ts']}".encode(), digest_size=8).digest()
    isn_s, isn_d = struct.unpack("!II", seed)
    # (forward?, flags, payload length)
    plan: list[tuple[bool, int, int]] = [(True, _SYN, 0)]
    if state == "REJ":
        plan.append((False, _RST | _ACK, 0))
    elif state != "S0":
        plan += [(False, _SYN | _ACK, 0), (True, _ACK, 0)]
        for total, fwd in ((s_pay, True), (d_pay, False)):
            left = total
            while left > 0:
                n = min(MSS, left)
                plan.append((fwd, _PSH | _ACK, n))
                left -= n
        plan += [(True, _FIN | _ACK, 0), (False, _FIN | _ACK, 0), (True, _ACK, 0)]
    ts0 = r["ts"]
    dur = r["event.duration"] // 1000
    times = _times(ts0, dur, len(plan), closing=state not in ("S0", "REJ"))
    seq = {True: isn_s, False: isn_d}
    for i, (fwd, flags, size) in enumerate(plan):
        ts = times[i]
        ack = seq[not fwd] if flags & _ACK else 0
        tcp = _TCP.pack(
            sport if fwd else dport,
            dport if fwd else sport,
            seq[fwd] & 0xFFFFFFFF,
            ack & 0xFFFFFFFF,
            0x50,
            flags,
            64240,
            0,
            0,
        )
        ip = ep.ip(fwd, 6, 20 + size, i)
        frame = (ep.eth_ab if fwd else ep.eth_ba) + ip + tcp
        seq[fwd] += size + (1 if flags & (_SYN | _FIN) else 0)
        yield ts, frame, len(frame) + size


def _times(ts0: int, dur: int, n: int, *, closing: bool) -> list[int]:
    """Packet times: the handshake and the teardown 1 ms apart, as on a LAN, the data spread
    evenly in between (so readers see the FINs and the last ACK close together)."""
    if n == 1:
        return [ts0]
    if not closing or n < 7 or dur < 10_000:
        return [ts0 + dur * i // (n - 1) for i in range(n)]
    head = [ts0, ts0 + 1000, ts0 + 2000]
    tail = [ts0 + dur - 2000, ts0 + dur - 1000, ts0 + dur]
    middle = n - 6
    lo, hi = ts0 + 2000, ts0 + dur - 2000
    body = [lo + (hi - lo) * (i + 1) // (middle + 1) for i in range(middle)]
    return head + body + tail


def _udp_packets(r: dict[str, Any]) -> Iterator[tuple[int, bytes, int]]:
    ep = _Endpoints(r["source.ip"], r["destination.ip"])
    sport, dport = r["source.port"], r["destination.port"]
    q, resp = r["_dns_q"], r["_dns_r"]
    if q is None:  # a non-DNS datagram pair (NTP, ...): zero payload of the recorded IP size
        q = bytes(int(r["_s_payload"] or 0))
        resp = bytes(int(r["_d_payload"] or 0))
    out = [(True, q, r["ts"]), (False, resp, r["ts"] + r["event.duration"] // 1000)]
    for i, (fwd, payload, ts) in enumerate(out):
        udp = _UDP.pack(sport if fwd else dport, dport if fwd else sport, 8 + len(payload), 0)
        ip = ep.ip(fwd, 17, 8 + len(payload), i)
        frame = (ep.eth_ab if fwd else ep.eth_ba) + ip + udp + payload
        yield ts, frame, len(frame)


def write_pcap(
    path: Path, columns: Mapping[str, Sequence[Any]], order: Sequence[int], fh: IO[bytes] | None = None
) -> int:
    """Write the network events of ``columns`` (a :class:`Recorder`'s columns) as pcap.

    Args:
        path: Target file (written atomically), unless ``fh`` is given.
        columns: Recorder columns; authentication events (no capture) are skipped.
        order: Row indices in time order.
        fh: An open binary file to write to instead of ``path``.

    Returns:
        The number of packets written.
    """
    from sectool.fileio import atomic_open

    if fh is None:
        with atomic_open(path, "wb") as out:
            return write_pcap(path, columns, order, out)
    fh.write(_GLOBAL.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    keys = (
        "ts",
        "event.type",
        "source.ip",
        "destination.ip",
        "source.port",
        "destination.port",
        "network.transport",
        "sectool.connection.state",
        "_s_payload",
        "_d_payload",
        "_dns_q",
        "_dns_r",
        "network.community_id",
        "event.duration",
    )
    cols = {k: columns[k] for k in keys}
    heap: list[tuple[int, int, bytes, int]] = []
    counter = 0
    written = 0
    rec_pack = _REC.pack
    write = fh.write

    def flush(upto: int | None) -> int:
        done = 0
        while heap and (upto is None or heap[0][0] < upto):
            ts, _, frame, wire = heapq.heappop(heap)
            write(rec_pack(ts // 1_000_000, ts % 1_000_000, len(frame), wire))
            write(frame)
            done += 1
        return done

    for idx in order:
        if cols["event.type"][idx] != "connection":
            continue  # DNS protocol events and logons share their flow's packets / have none
        r = {k: cols[k][idx] for k in keys}
        written += flush(r["ts"])
        gen = _tcp_packets(r) if r["network.transport"] == "tcp" else _udp_packets(r)
        for ts, frame, wire in gen:
            heapq.heappush(heap, (ts, counter, frame, wire))
            counter += 1
    written += flush(None)
    return written
