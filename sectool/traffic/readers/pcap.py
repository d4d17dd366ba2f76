"""pcap and pcapng captures -> connection, DNS, protocol (TLS, HTTP, SSH, Kerberos, NTLM), ARP
and authentication events.

Packets fold into flows (:mod:`sectool.traffic.flows`); the payload of each flow's first packets
identifies its protocol and feeds the extractors (:mod:`.dpi`); DNS ports go to the DNS decoder
(:mod:`.dns`), ARP frames to :mod:`.arp`; :mod:`.capture_events` shapes the events.

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
the :class:`ReadReport`. So is a pcapng packet whose timestamp lies past what sectool keeps
(``common.TIME_RANGE``: the local store's nanosecond timestamps end in 2262; a date ends in 9999):
the block structure around it is sound, so it is skipped and counted in one warning. A damaged
gzip stream is damage like a truncated record: :class:`InputError` after the valid prefix.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from sectool.errors import InputError
from sectool.traffic.flows import DPI_DONE, Flow, FlowTable
from sectool.traffic.readers.arp import ArpTracker, parse_frame
from sectool.traffic.readers.capture_events import dns_event, flow_events, protocol_event
from sectool.traffic.readers.common import TIME_RANGE
from sectool.traffic.readers.dns import DnsTracker
from sectool.traffic.readers.dpi import Inspector
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
_SEQ = struct.Struct("!I").unpack_from
#: UDP ports of protocols in DNS's wire format: mDNS (RFC 6762) and LLMNR (RFC 4795).
_MDNS = frozenset({5353, 5355})
#: Link types whose frames may carry ARP (Ethernet, Linux cooked v1 and v2).
_ARP_LINKS = frozenset({1, 113, 276})
#: The first instant (ns since the epoch) past the timestamps sectool keeps (``TIME_RANGE``).
_MAX_NS = int(TIME_RANGE[1].timestamp()) * 1_000_000_000


class _Folder:
    """Turns decoded packets into events (flows, DNS transactions, protocol records, ARP)."""

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
        self.arp = ArpTracker(labels, lambda event: self.events.append(event))
        self.skipped = 0
        self.last_ts = 0
        #: Packets skipped for a timestamp past ``TIME_RANGE``, and the byte offset of the first.
        self.late = 0
        self.late_at = -1
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
                if not total:  # segmentation offload: the NIC fills the length in (as Wireshark)
                    total = end - off - 14
                flow = self.flows.add(ts, proto, src, sport, dst, dport, flags, total)
                if end > pstart:  # bytes after the headers (a payload, or Ethernet padding)
                    pend = min(end, off + 14 + total)
                    if pend <= pstart:
                        return
                    if sport == 53 or dport == 53 or (proto == 17 and (sport in _MDNS or dport in _MDNS)):
                        self._dns_packet(flow, ts, proto, src, sport, dst, dport, bytes(buf[pstart:pend]))
                    elif flow.dpi is not DPI_DONE:
                        self._inspect(flow, ts, proto, src, sport, buf, pstart, pend, off + 34)
                return
        d = decode(buf, off, end, linktype)
        if d is None:
            if linktype in _ARP_LINKS:
                arp = parse_frame(buf, off, end, linktype)
                if arp is not None:
                    self.arp.packet(ts, arp)
                    return
            self.skipped += 1
            if linktype not in LINKTYPES and linktype not in self._bad_links:
                self._bad_links.add(linktype)
                self.report.warn(f"link type {linktype} is not supported; its packets are skipped")
            return
        proto, src, dst, sport, dport, flags, size, pstart, pend, l4 = d
        flow = self.flows.add(ts, proto, src, sport, dst, dport, flags, size)
        if (proto == 17 or proto == 6) and pend > pstart:
            if sport == 53 or dport == 53 or (proto == 17 and (sport in _MDNS or dport in _MDNS)):
                self._dns_packet(flow, ts, proto, src, sport, dst, dport, bytes(buf[pstart:pend]))
            elif flow.dpi is not DPI_DONE:
                self._inspect(flow, ts, proto, src, sport, buf, pstart, pend, l4)

    def _dns_packet(
        self, flow: Flow, ts: int, proto: int, src: bytes, sport: int, dst: bytes, dport: int, data: bytes
    ) -> None:
        errors = self.dns.errors
        self.dns.packet(ts, proto, src, sport, dst, dport, data)
        flow.dpi = DPI_DONE  # DNS ports go to the DNS decoder, not to identification
        if self.dns.errors == errors and flow.service is None:
            flow.service = "dns"

    def _inspect(
        self,
        flow: Flow,
        ts: int,
        proto: int,
        src: bytes,
        sport: int,
        buf: bytes,
        start: int,
        end: int,
        l4: int,
    ) -> None:
        dpi = flow.dpi
        if dpi is None:
            dpi = flow.dpi = Inspector(proto == 6, self._protocol, self._dns_datagram)
        seq = _SEQ(buf, l4 + 4)[0] if proto == 6 else 0
        cast(Inspector, dpi).feed(
            flow, src == flow.orig and sport == flow.oport, ts, seq, bytes(buf[start:end])
        )

    def _protocol(self, flow: Flow, ts: int, dataset: str, number: int, fields: dict[str, Any]) -> None:
        self.events.append(protocol_event(flow, ts, dataset, number, fields, self.directions, self.labels))

    def _dns_datagram(self, flow: Flow, from_orig: bool, ts: int, data: bytes) -> None:
        if from_orig:
            self.dns.packet(ts, flow.proto, flow.orig, flow.oport, flow.resp, flow.rport, data)
        else:
            self.dns.packet(ts, flow.proto, flow.resp, flow.rport, flow.orig, flow.oport, data)

    def _dns_event(self, key: Any, query: Any, response: dict[str, Any] | None, ts: int) -> None:
        self.events.append(dns_event(key, query, response, ts, self.directions, self.labels))

    def drain(self, final: bool = False) -> list[dict[str, Any]]:
        if final:
            self.flows.flush()
            self.dns.flush()
            self.arp.flush()
        for flow in self.flows.ready:
            dpi = flow.dpi
            if isinstance(dpi, Inspector):
                dpi.finish(flow)  # its protocol records (partial ones too) come before the flow
            self.events.extend(flow_events(flow, self.directions, self.labels))
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
    except (Scapy_Exception, OSError, EOFError, zlib.error) as exc:
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
            folder.arp.flush()  # an ARP packet is whole in itself
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
        if folder.late:
            report.warn(
                f"{path}: {folder.late} packets with a timestamp after {TIME_RANGE[1]:%Y-%m-%d} were skipped "
                f"(the first at byte {folder.late_at})"
            )
        if folder.dns.errors:
            report.warn(f"{folder.dns.errors} DNS packets could not be decoded and were skipped")
        reader.close()
        fh.close()


class _Chunks:
    """Reads the records' bytes in chunks of about :data:`_CHUNK`.

    A damaged gzip stream raises in the middle of a read; the bytes decompressed before the damage
    are still returned (``read1`` piece by piece), and the error is raised at the next refill, so
    that the valid prefix is read first.
    """

    def __init__(self, f: Any, path: Path) -> None:
        self.f = f
        self.read = getattr(f, "read1", f.read)
        self.path = path
        self.error: InputError | None = None

    def refill(self, buf: bytes, off: int, base: int) -> tuple[bytes, int, bool]:
        """``(buf[off:] + next chunk, offset of the new buffer, end of file?)``."""
        if self.error is not None:
            raise self.error
        parts: list[bytes] = []
        size = 0
        while size < _CHUNK:
            try:
                piece = self.read(_CHUNK - size)
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                self.error = InputError(
                    f"damaged gzip stream after {base + len(buf) + size} decompressed bytes: {exc}",
                    file=self.path,
                )
                if not parts:
                    raise self.error from None
                break
            if not piece:
                break
            parts.append(piece)
            size += len(piece)
        chunk = b"".join(parts) if len(parts) != 1 else parts[0]
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
    refill = _Chunks(f, path).refill
    buf, off, eof = b"", 0, False
    while not eof:
        buf, base, eof = refill(buf, off, base)
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
    refill = _Chunks(f, path).refill
    buf, off, eof = b"", 0, False
    u32 = struct.Struct(endian + "I").unpack_from
    two = struct.Struct(endian + "II").unpack_from
    epb = struct.Struct(endian + "IIIII").unpack_from
    while not eof:
        buf, base, eof = refill(buf, off, base)
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
                    if ts >= _MAX_NS:  # beyond what sectool keeps: skipped with a warning, the rest is read
                        folder.skipped += 1
                        folder.late += 1
                        if folder.late_at < 0:
                            folder.late_at = base + off
                    else:
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
