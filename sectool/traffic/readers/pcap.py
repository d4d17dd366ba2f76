"""pcap and pcapng captures -> connection, DNS and authentication events.

scapy's raw readers (``RawPcapReader``, which hands pcapng files to ``RawPcapNgReader``) open
the file (plain or gzip), recognise the format and parse the file header. The records after
it are read here in 1 MiB chunks with ``struct.unpack_from`` on the chunk, for two reasons:
speed (no per-packet objects) and damage reporting. scapy's readers end silently at a
truncated record or a block whose trailing length is wrong; sectool reports the byte offset.

Damage (truncated record, implausible length, corrupt block): every flow that ended before it
(and every finished DNS transaction) is yielded; flows still open at the damage point are
incomplete and are dropped, not exported half-counted (their number is in the error and in
:attr:`ReadReport.incomplete`), so that the repaired file later adds them whole under the same
ids. Then :class:`InputError` names the byte offset. Unknown pcapng block types are not damage:
the pcapng specification tells readers to skip them, so sectool skips them with a warning in
the :class:`ReadReport`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic.flows import FlowTable
from sectool.traffic.readers.community_id import community_id
from sectool.traffic.readers.conn import TRANSPORTS, _ip, auth_event, flow_event, ns_to_datetime
from sectool.traffic.readers.dns import DnsTracker, question_fields
from sectool.traffic.readers.identity import derived, identified, source_id
from sectool.traffic.readers.options import DirectionClassifier, ReaderOptions, ReadReport
from sectool.traffic.readers.packet import LINKTYPES, decode

__all__ = ["read_capture"]

_CHUNK = 1 << 20
#: Largest record sectool accepts (Wireshark's limit for most link types, or the snap length).
_MAX_CAPLEN = 262_144
#: Largest pcapng block.
_MAX_BLOCK = 16 << 20
#: pcapng block types that carry no packets and are skipped without a warning.
_KNOWN_BLOCKS = frozenset({4, 5, 7, 8, 9, 10, 0x00000BAD, 0x40000BAD, 0x80000001})
_SHB = 0x0A0D0D0A
#: Ethernet + IPv4 (no options) + ports: ethertype, ver/ihl, total length, fragment field,
#: protocol, source, destination, source port, destination port.
_ETH_IP4 = struct.Struct("!12xHBxH2xHxB2x4s4sHH").unpack_from


class _Folder:
    """Turns decoded packets into events (flows, DNS transactions, auth heuristic)."""

    def __init__(self, options: ReaderOptions, labels: dict[str, Any], report: ReadReport) -> None:
        self.flows = FlowTable(
            int(options.idle_timeout * 1e9),
            int(options.active_timeout * 1e9),
            int(options.tcp_close_linger * 1e9),
        )
        self.directions = DirectionClassifier(options.internal)
        self.labels = labels
        self.report = report
        self.events: list[dict[str, Any]] = []
        self.dns = DnsTracker(self._dns_event)
        self.skipped = 0
        self.last_ts = 0
        self._bad_links: set[int] = set()

    def packet(self, buf: bytes, off: int, end: int, linktype: int, ts: int) -> None:
        # The common case (Ethernet, IPv4 without options, TCP or UDP) is decoded inline with one
        # unpack; everything else goes through the general decoder.
        if linktype == 1 and end - off >= 42:
            etype, vihl, total, frag, proto, src, dst, sport, dport = _ETH_IP4(buf, off)
            if etype == 0x0800 and vihl == 0x45 and not frag & 0x1FFF and (proto == 6 or proto == 17):
                if proto == 6:
                    if end - off < 48:
                        self.skipped += 1
                        return
                    flags = buf[off + 47]
                    pstart = off + 34 + (buf[off + 46] >> 4) * 4
                else:
                    flags = 0
                    pstart = off + 42
                self.flows.add(ts, proto, src, sport, dst, dport, flags, total)
                if sport == 53 or dport == 53:
                    pend = min(end, off + 14 + total)
                    if pend > pstart:
                        self.dns.packet(ts, proto, src, sport, dst, dport, bytes(buf[pstart:pend]))
                return
        d = decode(buf, off, end, linktype)
        if d is None:
            self.skipped += 1
            if linktype not in LINKTYPES and linktype not in self._bad_links:
                self._bad_links.add(linktype)
                self.report.warn(f"link type {linktype} is not supported; its packets are skipped")
            return
        proto, src, dst, sport, dport, flags, size, pstart, pend = d
        self.flows.add(ts, proto, src, sport, dst, dport, flags, size)
        if (sport == 53 or dport == 53) and (proto == 17 or proto == 6) and pend > pstart:
            self.dns.packet(ts, proto, src, sport, dst, dport, bytes(buf[pstart:pend]))

    def _dns_event(self, key: Any, query: Any, response: dict[str, Any] | None, ts: int) -> None:
        client, cport, server, sport, proto, msg_id = key
        src, dst = _ip(client), _ip(server)
        name = query.name if query is not None else (response or {}).get("name", "")
        qtype = query.qtype if query is not None else (response or {}).get("qtype")
        event: dict[str, Any] = {
            "@timestamp": ns_to_datetime(ts),
            "event.kind": "event",
            "event.category": "network",
            "event.type": "protocol",
            "event.dataset": "sectool.dns",
            "event.module": "sectool",
            "source.ip": src,
            "source.port": cport,
            "destination.ip": dst,
            "destination.port": sport,
            "network.transport": TRANSPORTS[proto],
            "network.type": "ipv4" if len(client) == 4 else "ipv6",
            "network.protocol": "dns",
            "network.direction": self.directions.direction(src, dst),
            "network.community_id": community_id(proto, client, server, cport, sport),
            "dns.id": str(msg_id),
            "dns.type": "answer" if response is not None else "query",
            **question_fields(name, qtype),
        }
        if response is not None:
            event["dns.response_code"] = response["rcode"]
            event["dns.answers.data"] = response["answers"] or None
        event.update(self.labels)
        doc_id = source_id("sectool.dns", event["network.community_id"], ts, msg_id)
        self.events.append(identified(event, doc_id))

    def drain(self, final: bool = False) -> list[dict[str, Any]]:
        if final:
            self.flows.flush()
            self.dns.flush()
        for flow in self.flows.ready:
            first = flow.first if flow.first is not None else flow.last
            plain = flow_event(flow, self.directions, self.labels)
            conn = identified(plain, source_id("sectool.flow", plain["network.community_id"], first))
            self.events.append(conn)
            auth = auth_event(conn)
            if auth is not None:
                self.events.append(derived(conn, "auth", auth))
        self.flows.ready.clear()
        out, self.events = self.events, []
        return out


def read_capture(
    path: Path, options: ReaderOptions, labels: dict[str, Any], report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Events of a pcap or pcapng capture (see the module docstring for damage handling)."""
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapNgReader, RawPcapReader

    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot open capture: {exc.strerror}", file=path) from exc
    try:
        # Handing scapy an open file (not a name) lets sectool close it when scapy rejects it.
        reader = RawPcapReader(fh)  # type: ignore[arg-type]  # scapy accepts file objects
    except (Scapy_Exception, OSError, EOFError) as exc:
        fh.close()
        raise InputError(f"not a readable pcap or pcapng capture: {exc}", file=path) from exc
    folder = _Folder(options, labels, report)
    try:
        if isinstance(reader, RawPcapNgReader):
            records = _pcapng_records(reader.f, reader.endian, folder, path)
        else:
            records = _pcap_records(reader, folder, path)
        try:
            for _ in records:  # one step per chunk read
                report.position = fh.tell()  # bytes read from disk (compressed ones for gzip)
                yield from folder.drain()
        except InputError as exc:
            # Flows (and DNS queries) still open at the damage point are incomplete: the rest of
            # their packets may lie behind the damage. They are not exported, so that a repaired
            # file later adds them whole (same ids), instead of half-counted copies now.
            flows, queries = folder.flows.discard(), folder.dns.discard()
            yield from folder.drain()  # the flows that ended before the damage
            if flows or queries:
                report.incomplete += flows
                dropped = f"{flows} incomplete flows"
                if queries:
                    dropped += f" and {queries} unanswered DNS queries"
                raise InputError(
                    f"{exc.reason}; {dropped} at the damage point were not indexed",
                    file=exc.location.file,
                    line=exc.location.line,
                    field=exc.location.field,
                    value=exc.value,
                    expected=exc.expected,
                ) from exc
            raise
        yield from folder.drain(final=True)
    finally:
        report.skipped += folder.skipped
        if folder.dns.errors:
            report.warn(f"{folder.dns.errors} DNS packets could not be decoded and were skipped")
        reader.close()
        fh.close()


def _refill(f: Any, buf: bytes, off: int, base: int) -> tuple[bytes, int, bool]:
    chunk = f.read(_CHUNK)
    return (buf[off:] + chunk if chunk else buf[off:]), base + off, not chunk


def _pcap_records(reader: Any, folder: _Folder, path: Path) -> Iterator[None]:
    f = reader.f
    head = struct.Struct(reader.endian + "IIII").unpack_from
    frac_ns = 1 if reader.nano else 1000
    linktype = reader.linktype
    max_cap = max(_MAX_CAPLEN, reader.snaplen)
    packet = folder.packet
    report = folder.report
    base = f.tell()
    buf, off, eof = b"", 0, False
    while not eof:
        buf, base, eof = _refill(f, buf, off, base)
        off = 0
        n = len(buf)
        count = 0
        try:
            while off + 16 <= n:
                sec, frac, caplen, _wirelen = head(buf, off)
                if caplen > max_cap:
                    raise InputError(
                        f"corrupt pcap record at byte {base + off}: "
                        f"captured length {caplen} exceeds {max_cap}",
                        file=path,
                    )
                end = off + 16 + caplen
                if end > n:
                    break
                packet(buf, off + 16, end, linktype, sec * 1_000_000_000 + frac * frac_ns)
                count += 1
                off = end
        finally:
            report.packets += count
        yield None
    if off < len(buf):
        raise InputError(
            f"truncated pcap: the record at byte {base + off} is cut off "
            f"({len(buf) - off} bytes left at end of file); the {report.packets} packets before it were read",
            file=path,
        )


def _tsresol(options: bytes, endian: str) -> tuple[int, int]:
    """(numerator, denominator) turning pcapng timestamp units into ns (if_tsresol, code 9)."""
    pos = 0
    while pos + 4 <= len(options):
        code, length = struct.unpack_from(endian + "HH", options, pos)
        if code == 0:
            break
        if code == 9 and length >= 1:
            v = options[pos + 4]
            if v & 0x80:
                return 1_000_000_000, 1 << (v & 0x7F)
            exp = v
            return (10 ** (9 - exp), 1) if exp <= 9 else (1, 10 ** (exp - 9))
        pos += 4 + length + (-length % 4)
    return 1000, 1  # default resolution: microseconds


def _pcapng_records(f: Any, endian: str, folder: _Folder, path: Path) -> Iterator[None]:
    packet = folder.packet
    report = folder.report
    interfaces: list[tuple[int, int, int, int]] = []  # (linktype, snaplen, num, den)
    unknown: set[int] = set()
    base = f.tell()
    buf, off, eof = b"", 0, False
    u32 = struct.Struct(endian + "I").unpack_from
    two = struct.Struct(endian + "II").unpack_from
    epb = struct.Struct(endian + "IIIII").unpack_from
    while not eof:
        buf, base, eof = _refill(f, buf, off, base)
        off = 0
        n = len(buf)
        count = 0
        try:
            while off + 12 <= n:
                btype, blen = two(buf, off)
                if btype == _SHB:
                    magic = buf[off + 8 : off + 12]
                    if magic == b"\x1a\x2b\x3c\x4d":
                        endian = ">"
                    elif magic == b"\x4d\x3c\x2b\x1a":
                        endian = "<"
                    else:
                        raise InputError(
                            f"corrupt pcapng section header at byte {base + off}: bad byte-order magic",
                            file=path,
                        )
                    u32 = struct.Struct(endian + "I").unpack_from
                    two = struct.Struct(endian + "II").unpack_from
                    epb = struct.Struct(endian + "IIIII").unpack_from
                    blen = u32(buf, off + 4)[0]
                    interfaces = []
                if blen < 12 or blen % 4 or blen > _MAX_BLOCK:
                    raise InputError(
                        f"corrupt pcapng block at byte {base + off}: invalid block length {blen}", file=path
                    )
                if off + blen > n:
                    break
                if u32(buf, off + blen - 4)[0] != blen:
                    raise InputError(
                        f"corrupt pcapng block at byte {base + off}: trailing length does not match {blen}",
                        file=path,
                    )
                body = off + 8
                if btype == 6 or btype == 2:  # enhanced packet block, obsolete packet block
                    if blen < 32:
                        raise InputError(
                            f"corrupt pcapng packet block at byte {base + off}: too short", file=path
                        )
                    intid, tsh, tsl, caplen, _wire = epb(buf, body)
                    if btype == 2:  # 16-bit interface id followed by a 16-bit drop count
                        intid = struct.unpack_from(endian + "H", buf, body)[0]
                    if intid >= len(interfaces) or 20 + caplen > blen - 12:
                        raise InputError(
                            f"corrupt pcapng packet block at byte {base + off}: "
                            + (
                                "unknown interface"
                                if intid >= len(interfaces)
                                else "captured length exceeds block"
                            ),
                            file=path,
                        )
                    linktype, _snap, num, den = interfaces[intid]
                    ts = ((tsh << 32) | tsl) * num // den
                    folder.last_ts = ts
                    packet(buf, body + 20, body + 20 + caplen, linktype, ts)
                    count += 1
                elif btype == 3:  # simple packet block: no timestamp, interface 0
                    if not interfaces:
                        raise InputError(
                            f"corrupt pcapng block at byte {base + off}: packet before any interface",
                            file=path,
                        )
                    linktype, snap, _num, _den = interfaces[0]
                    wire = u32(buf, body)[0]
                    caplen = min(wire, blen - 16, snap or wire)
                    packet(buf, body + 4, body + 4 + caplen, linktype, folder.last_ts)
                    count += 1
                elif btype == 1:  # interface description block
                    if blen < 20:
                        raise InputError(
                            f"corrupt pcapng interface block at byte {base + off}: too short", file=path
                        )
                    linktype = struct.unpack_from(endian + "H", buf, body)[0]
                    snap = u32(buf, body + 4)[0]
                    num, den = _tsresol(bytes(buf[body + 8 : off + blen - 4]), endian)
                    interfaces.append((linktype, snap, num, den))
                elif btype != _SHB and btype not in _KNOWN_BLOCKS:
                    report.skipped += 1
                    if btype not in unknown:
                        unknown.add(btype)
                        report.warn(
                            f"{path}: skipped pcapng block of unknown type 0x{btype:08x} "
                            f"at byte {base + off} "
                            "(readers skip unknown blocks, as the pcapng specification says)"
                        )
                off += blen
        finally:
            report.packets += count
        yield None
    if off < len(buf):
        raise InputError(
            f"truncated pcapng: the block at byte {base + off} is cut off "
            f"({len(buf) - off} bytes left at end of file); the {report.packets} packets before it were read",
            file=path,
        )
