"""Hand-written link, network and transport header parsing: the per-packet fast path.

Works on a buffer and an offset (no copies, no scapy objects). Supported link types:
Ethernet (with 802.1Q, 802.1ad/QinQ tags), Linux cooked capture v1 and v2, raw IP, BSD loopback.
IPv4 and IPv6 (hop-by-hop, routing, destination options, fragment and AH extension headers);
TCP, UDP, ICMP and ICMPv6 (type and code reported as ports).
"""

from __future__ import annotations

import struct

__all__ = ["LINKTYPES", "decode"]

_U16 = struct.Struct("!H").unpack_from
_IP4 = struct.Struct("!BxHxxHxBxx4s4s").unpack_from  # ver/ihl, total len, frag, proto, src, dst
_IP6 = struct.Struct("!4xHB1x16s16s").unpack_from  # payload len, next header, src, dst
_PORTS = struct.Struct("!HH").unpack_from

DLT_NULL = 0
DLT_EN10MB = 1
DLT_RAW = 101
DLT_RAW_BSD = 12
DLT_LOOP = 108
DLT_LINUX_SLL = 113
DLT_IPV4 = 228
DLT_IPV6 = 229
DLT_LINUX_SLL2 = 276

#: Link types the fast path understands.
LINKTYPES = frozenset(
    {DLT_NULL, DLT_EN10MB, DLT_RAW, DLT_RAW_BSD, DLT_LOOP, DLT_LINUX_SLL, DLT_IPV4, DLT_IPV6, DLT_LINUX_SLL2}
)

_VLAN = frozenset({0x8100, 0x88A8, 0x9100})
_IPV6_EXT = frozenset({0, 43, 60, 135})  # hop-by-hop, routing, destination options, mobility

#: (proto, src, dst, sport, dport, tcp_flags, ip_len, payload_start, payload_end, l4_start)
Decoded = tuple[int, bytes, bytes, int, int, int, int, int, int, int]


def decode(buf: bytes | memoryview, off: int, end: int, linktype: int) -> Decoded | None:
    """Decode one captured frame ``buf[off:end]``.

    Returns:
        ``None`` for frames that are not IP, are non-first fragments, or were captured too
        short to hold the headers; else the decoded headers (addresses packed).
    """
    # --- link layer -> (ethertype, ip offset)
    if linktype == DLT_EN10MB:
        if end - off < 14:
            return None
        etype = _U16(buf, off + 12)[0]
        off += 14
        while etype in _VLAN:
            if end - off < 4:
                return None
            etype = _U16(buf, off + 2)[0]
            off += 4
    elif linktype in (DLT_RAW, DLT_RAW_BSD, DLT_IPV4, DLT_IPV6):
        if end - off < 1:
            return None
        etype = 0x0800 if buf[off] >> 4 == 4 else 0x86DD
    elif linktype == DLT_LINUX_SLL:
        if end - off < 16:
            return None
        etype = _U16(buf, off + 14)[0]
        off += 16
    elif linktype == DLT_LINUX_SLL2:
        if end - off < 20:
            return None
        etype = _U16(buf, off)[0]
        off += 20
    elif linktype in (DLT_NULL, DLT_LOOP):
        if end - off < 5:
            return None
        off += 4
        etype = 0x0800 if buf[off] >> 4 == 4 else 0x86DD
    else:
        return None

    # --- network layer
    if etype == 0x0800:
        if end - off < 20:
            return None
        vihl, total, frag, proto, src, dst = _IP4(buf, off)
        if vihl >> 4 != 4:
            return None
        if frag & 0x1FFF:
            return None  # non-first fragment: no transport header
        if not total:  # segmentation offload (TSO): the capture holds the length the NIC fills in
            total = end - off
        ip_len = total
        l4 = off + (vihl & 0x0F) * 4
        l4_end = min(end, off + total)
    elif etype == 0x86DD:
        if end - off < 40:
            return None
        plen, proto, src, dst = _IP6(buf, off)
        if not plen:  # segmentation offload, or a jumbogram (RFC 2675): the captured length
            plen = end - off - 40
        ip_len = plen + 40
        l4 = off + 40
        l4_end = min(end, l4 + plen)
        while proto in _IPV6_EXT or proto == 44 or proto == 51:
            if l4_end - l4 < 8:
                return None
            nxt = buf[l4]
            if proto == 44:  # fragment header
                if _U16(buf, l4 + 2)[0] & 0xFFF8:
                    return None
                l4 += 8
            elif proto == 51:  # authentication header
                l4 += (buf[l4 + 1] + 2) * 4
            else:
                l4 += (buf[l4 + 1] + 1) * 8
            proto = nxt
    else:
        return None

    # --- transport layer
    if proto == 6:
        if l4_end - l4 < 14:
            return None
        sport, dport = _PORTS(buf, l4)
        data = l4 + (buf[l4 + 12] >> 4) * 4
        return (6, src, dst, sport, dport, buf[l4 + 13], ip_len, data, l4_end, l4)
    if proto == 17:
        if l4_end - l4 < 8:
            return None
        sport, dport = _PORTS(buf, l4)
        return (17, src, dst, sport, dport, 0, ip_len, l4 + 8, l4_end, l4)
    if proto == 1 or proto == 58:
        if l4_end - l4 < 2:
            return None
        return (proto, src, dst, buf[l4], buf[l4 + 1], 0, ip_len, l4_end, l4_end, l4)
    return (proto, src, dst, 0, 0, 0, ip_len, l4_end, l4_end, l4)
