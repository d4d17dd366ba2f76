"""ARP from captures: requests and replies as ``sectool.arp`` events.

ARP packets are aggregated per (operation, sender MAC, sender IP, target MAC for replies, target
IP) and second: a host that repeats a request five times in a second is one event with
``network.packets: 5``; an ARP scan of a /24 stays one event per target, so the scanner is seen
asking for ~255 addresses. Only Ethernet/IPv4 ARP (hardware type 1, protocol 0x0800) is read.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import Any

from sectool.traffic.readers.identity import identified, source_id

__all__ = ["ArpTracker", "mac_text", "parse_frame"]

_ARP = struct.Struct("!HHBBH6s4s6s4s").unpack_from
_U16 = struct.Struct("!H").unpack_from
_VLAN = frozenset({0x8100, 0x88A8, 0x9100})
_NS = 1_000_000_000

#: (operation, sender MAC, sender IP, target MAC, target IP), addresses packed.
Arp = tuple[int, bytes, bytes, bytes, bytes]


def mac_text(raw: bytes) -> str:
    """ECS form of a MAC address: upper case, hyphen separated (``00-00-5E-00-53-23``)."""
    return "-".join(f"{b:02X}" for b in raw)


def parse_frame(buf: bytes | memoryview, off: int, end: int, linktype: int) -> Arp | None:
    """The ARP packet in an Ethernet (1) or Linux cooked (113, 276) frame, else ``None``."""
    if linktype == 1:
        if end - off < 14:
            return None
        etype = _U16(buf, off + 12)[0]
        off += 14
        while etype in _VLAN and end - off >= 4:
            etype = _U16(buf, off + 2)[0]
            off += 4
    elif linktype == 113:
        if end - off < 16:
            return None
        etype = _U16(buf, off + 14)[0]
        off += 16
    elif linktype == 276:
        if end - off < 20:
            return None
        etype = _U16(buf, off)[0]
        off += 20
    else:
        return None
    if etype != 0x0806 or end - off < 28:
        return None
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP(buf, off)
    if htype != 1 or ptype != 0x0800 or hlen != 6 or plen != 4 or op not in (1, 2):
        return None
    return op, bytes(sha), bytes(spa), bytes(tha), bytes(tpa)


class ArpTracker:
    """Aggregates ARP packets per key and second; finished seconds go to ``emit``."""

    def __init__(self, labels: dict[str, Any], emit: Callable[[dict[str, Any]], None]) -> None:
        self._labels = labels
        self._emit = emit
        self._second = -1
        self._open: dict[Arp, list[int]] = {}  # key -> [first ts, packets]

    def packet(self, ts: int, arp: Arp) -> None:
        second = ts // _NS
        if second != self._second:
            self.flush()
            self._second = second
        op, sha, spa, tha, tpa = arp
        key = (op, sha, spa, tha if op == 2 else b"", tpa)
        entry = self._open.get(key)
        if entry is None:
            self._open[key] = [ts, 1]
        else:
            entry[1] += 1

    def flush(self) -> None:
        """Emit the open second's events."""
        for key, (ts, count) in self._open.items():
            self._emit(self._event(key, ts, count))
        self._open.clear()

    def _event(self, key: Arp, ts: int, count: int) -> dict[str, Any]:
        from sectool.traffic.readers.conn import ns_to_datetime

        op, sha, spa, tha, tpa = key
        sender, target = socket.inet_ntoa(spa), socket.inet_ntoa(tpa)
        tags = []
        if spa == tpa:
            tags.append("gratuitous")  # an announcement of the sender's own address
        elif spa == b"\x00\x00\x00\x00":
            tags.append("probe")  # RFC 5227 address conflict detection
        event: dict[str, Any] = {
            "@timestamp": ns_to_datetime(ts),
            "event.kind": "event",
            "event.category": "network",
            "event.type": "info",
            "event.action": "arp-request" if op == 1 else "arp-reply",
            "event.dataset": "sectool.arp",
            "event.module": "sectool",
            "source.mac": mac_text(sha),
            "source.ip": sender,
            "destination.ip": target,
            "destination.mac": mac_text(tha) if op == 2 else None,
            "network.protocol": "arp",
            "network.type": "ipv4",
            "network.packets": count,
            "related.ip": sorted({sender, target}),
            "tags": tags or None,
        }
        event.update(self._labels)
        doc_id = source_id(
            "sectool.arp", ts // _NS, op, sha.hex(), sender, tha.hex() if op == 2 else "", target
        )
        return identified(event, doc_id)
