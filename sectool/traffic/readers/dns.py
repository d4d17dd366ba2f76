"""DNS: names split by the public suffix list, and DNS messages from captures paired into
transactions (one event per query, with its response when one was seen), as Zeek's dns.log.

DNS messages are decoded by a small hand-written wire-format parser (RFC 1035 with name
compression, RFC 3596 AAAA, RFC 3597 names for unknown types). scapy's ``DNS`` layer would do,
but costs about 150 µs per message, which alone would cap a DNS-heavy capture far below the
reader's throughput target; the parser here takes a few µs. DNS over TCP is decoded when a
segment carries whole length-prefixed messages (no stream reassembly).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = ["QTYPES", "RCODES", "DnsMessage", "DnsTracker", "parse_message", "question_fields", "split_name"]

#: DNS RCODE names as Zeek writes them (``rcode_name``) and ECS ``dns.response_code`` expects.
RCODES: dict[int, str] = {
    0: "NOERROR",
    1: "FORMERR",
    2: "SERVFAIL",
    3: "NXDOMAIN",
    4: "NOTIMP",
    5: "REFUSED",
    6: "YXDOMAIN",
    7: "YXRRSET",
    8: "NXRRSET",
    9: "NOTAUTH",
    10: "NOTZONE",
}

#: DNS RR type names (IANA); other types are written ``TYPE<n>`` (RFC 3597).
QTYPES: dict[int, str] = {
    1: "A",
    2: "NS",
    5: "CNAME",
    6: "SOA",
    10: "NULL",
    12: "PTR",
    13: "HINFO",
    15: "MX",
    16: "TXT",
    17: "RP",
    18: "AFSDB",
    24: "SIG",
    25: "KEY",
    28: "AAAA",
    29: "LOC",
    33: "SRV",
    35: "NAPTR",
    36: "KX",
    37: "CERT",
    39: "DNAME",
    41: "OPT",
    43: "DS",
    44: "SSHFP",
    46: "RRSIG",
    47: "NSEC",
    48: "DNSKEY",
    50: "NSEC3",
    51: "NSEC3PARAM",
    52: "TLSA",
    59: "CDS",
    60: "CDNSKEY",
    64: "SVCB",
    65: "HTTPS",
    99: "SPF",
    249: "TKEY",
    250: "TSIG",
    251: "IXFR",
    252: "AXFR",
    255: "ANY",
    256: "URI",
    257: "CAA",
}

_psl: Any = None


def _suffix_list() -> Any:
    global _psl
    if _psl is None:
        from publicsuffixlist import PublicSuffixList

        _psl = PublicSuffixList()  # the list bundled with the package: no network
    return _psl


@lru_cache(maxsize=262_144)
def split_name(name: str) -> tuple[str, str | None, str | None, str | None]:
    """Split a DNS name: ``(name, registered_domain, subdomain, top_level_domain)``.

    ``name`` and ``subdomain`` keep the case as seen on the wire (Filebeat keeps it too, and case
    carries information: tunnelling tools encode data in mixed-case labels); only the trailing
    root dot is removed. ``registered_domain`` and ``top_level_domain`` (the effective TLD,
    ``co.uk``, as ECS defines it) are looked up case-insensitively and given in lower case, so that
    ``Example.COM`` and ``example.com`` aggregate together. Parts that do not exist are ``None``.
    """
    name = name.rstrip(".")
    if not name:
        return name, None, None, None
    folded = name.lower()
    psl = _suffix_list()
    tld = psl.publicsuffix(folded)
    registered = psl.privatesuffix(folded)
    subdomain = None
    if registered and folded != registered and folded.endswith("." + registered):
        subdomain = name[: -len(registered) - 1]
    return name, registered, subdomain, tld


def question_fields(name: str, qtype: str | None) -> dict[str, Any]:
    """The ``dns.question.*`` fields of a query name and type."""
    norm, registered, subdomain, tld = split_name(name)
    return {
        "dns.question.name": norm or None,
        "dns.question.registered_domain": registered,
        "dns.question.subdomain": subdomain,
        "dns.question.top_level_domain": tld,
        "dns.question.type": qtype,
    }


class _Query:
    __slots__ = ("flags", "id", "name", "qclass", "qtype", "ts")

    def __init__(
        self,
        ts: int,
        msg_id: int,
        name: str,
        qtype: str | None,
        qclass: str | None = None,
        flags: tuple[str, ...] = (),
    ) -> None:
        self.ts = ts
        self.id = msg_id
        self.name = name
        self.qtype = qtype
        self.qclass = qclass
        self.flags = flags


#: (client ip, client port, server ip, server port, transport, dns id)
_Key = tuple[bytes, int, bytes, int, int, int]
#: Called with (key, query or None, response fields or None, timestamp ns) for each transaction.
Emit = Callable[[_Key, "_Query | None", "dict[str, Any] | None", int], None]


class DnsTracker:
    """Pairs DNS queries with responses; unanswered queries are emitted after ``timeout`` ns."""

    def __init__(self, emit: Emit, timeout: int = 30_000_000_000) -> None:
        self._emit = emit
        self._timeout = timeout
        self._pending: dict[_Key, _Query] = {}
        self.errors = 0

    def packet(
        self, ts: int, proto: int, src: bytes, sport: int, dst: bytes, dport: int, payload: bytes
    ) -> None:
        if proto == 6:
            for msg in _tcp_messages(payload):
                self._message(ts, proto, src, sport, dst, dport, msg)
        else:
            self._message(ts, proto, src, sport, dst, dport, payload)
        if self._pending:
            self._expire(ts)

    def _message(
        self, ts: int, proto: int, src: bytes, sport: int, dst: bytes, dport: int, data: bytes
    ) -> None:
        try:
            msg = parse_message(data)
        except (ValueError, IndexError, struct.error):
            self.errors += 1
            return
        if not msg.response:
            key: _Key = (src, sport, dst, dport, proto, msg.id)
            old = self._pending.pop(key, None)
            if old is not None:  # a retransmission or a reused id: the earlier one went unanswered
                self._emit(key, old, None, old.ts)
            self._pending[key] = _Query(ts, msg.id, msg.qname, msg.qtype, msg.qclass, msg.flags)
            return
        key = (dst, dport, src, sport, proto, msg.id)
        query = self._pending.pop(key, None)
        response = {
            "name": msg.qname,
            "qtype": msg.qtype,
            "qclass": msg.qclass,
            "rcode": msg.rcode,
            "answers": msg.answers,
            "flags": msg.flags,
        }
        self._emit(key, query, response, query.ts if query else ts)

    def _expire(self, now: int) -> None:
        limit = now - self._timeout
        pending = self._pending
        while pending:
            key = next(iter(pending))  # insertion order ~ time order
            query = pending[key]
            if query.ts > limit:
                break
            del pending[key]
            self._emit(key, query, None, query.ts)

    def flush(self) -> None:
        for key, query in list(self._pending.items()):
            self._emit(key, query, None, query.ts)
        self._pending.clear()

    def discard(self) -> int:
        """Drop the queries still waiting for an answer (input damaged: the answer may follow the
        damage); returns how many."""
        dropped = len(self._pending)
        self._pending.clear()
        return dropped


def _tcp_messages(payload: bytes) -> list[bytes]:
    out = []
    pos = 0
    while pos + 2 <= len(payload):
        (size,) = struct.unpack_from("!H", payload, pos)
        if pos + 2 + size > len(payload):
            break  # message continues in a later segment: not reassembled
        out.append(payload[pos + 2 : pos + 2 + size])
        pos += 2 + size
    return out


class DnsMessage(NamedTuple):
    """The parts of a DNS message sectool keeps."""

    id: int
    response: bool
    rcode: str
    qname: str
    qtype: str | None
    answers: list[str]
    #: Header flags set (``dns.header_flags``: AA TC RD RA AD CD).
    flags: tuple[str, ...] = ()
    #: Class of the first question (``IN``, ``CH``, ...; mDNS's unicast-response bit masked).
    qclass: str | None = None


_HEADER = struct.Struct("!HHHHHH").unpack_from
#: Header flag bits and their ECS ``dns.header_flags`` names.
_FLAGS = ((0x0400, "AA"), (0x0200, "TC"), (0x0100, "RD"), (0x0080, "RA"), (0x0020, "AD"), (0x0010, "CD"))
_CLASSES = {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}
_RR = struct.Struct("!HHIH").unpack_from  # type, class, ttl, rdlength
_NAME_RDATA = frozenset({2, 5, 12, 39})  # NS, CNAME, PTR, DNAME


def _name(data: bytes, pos: int) -> tuple[str, int]:
    """Decode a (possibly compressed) name at ``pos``; returns it and the position after it."""
    labels: list[str] = []
    end = -1
    jumps = 0
    total = 0
    while True:
        length = data[pos]
        if length & 0xC0 == 0xC0:
            if jumps > 64:
                raise ValueError("DNS name compression loop")
            target = ((length & 0x3F) << 8) | data[pos + 1]
            if end < 0:
                end = pos + 2
            if target >= len(data):
                raise ValueError("DNS compression pointer out of range")
            pos = target
            jumps += 1
            continue
        if length & 0xC0:
            raise ValueError("unsupported DNS label type")
        pos += 1
        if length == 0:
            break
        label = data[pos : pos + length]
        if len(label) != length:
            raise ValueError("DNS label runs past the message")
        total += length + 1
        if total > 255:
            raise ValueError("DNS name longer than 255 bytes")
        labels.append(label.decode("ascii", "backslashreplace"))
        pos += length
    return ".".join(labels), (end if end >= 0 else pos)


def _rdata(data: bytes, pos: int, rtype: int, rdlen: int) -> str | None:
    rd = data[pos : pos + rdlen]
    if len(rd) != rdlen:
        raise ValueError("DNS record data runs past the message")
    if rtype == 1 and rdlen == 4:
        return socket.inet_ntop(socket.AF_INET, rd)
    if rtype == 28 and rdlen == 16:
        return socket.inet_ntop(socket.AF_INET6, rd)
    if rtype in _NAME_RDATA:
        return _name(data, pos)[0]
    if rtype == 15 and rdlen > 2:  # MX: preference, exchange
        return _name(data, pos + 2)[0]
    if rtype == 33 and rdlen > 6:  # SRV: priority, weight, port, target
        return _name(data, pos + 6)[0]
    if rtype == 6:  # SOA: the primary name server
        return _name(data, pos)[0]
    if rtype == 16 or rtype == 99:  # TXT: character-strings, joined (long values are split at 255)
        parts = []
        i = 0
        while i < rdlen:
            n = rd[i]
            parts.append(rd[i + 1 : i + 1 + n].decode("utf-8", "backslashreplace"))
            i += 1 + n
        return "".join(parts)
    return f"\\# {rdlen} {rd.hex()}"  # RFC 3597 generic form


def parse_message(data: bytes) -> DnsMessage:
    """Parse a DNS message (header, first question, answer section).

    Raises:
        ValueError: (or IndexError / struct.error) on a malformed message.
    """
    msg_id, flags, qdcount, ancount, _ns, _ar = _HEADER(data, 0)
    pos = 12
    qname, qtype, qclass = "", None, None
    for i in range(qdcount):
        name, pos = _name(data, pos)
        t, c = struct.unpack_from("!HH", data, pos)
        pos += 4
        if i == 0:
            qname, qtype = name, QTYPES.get(t, f"TYPE{t}")
            qclass = _CLASSES.get(c & 0x7FFF, str(c & 0x7FFF))
    answers: list[str] = []
    for _ in range(ancount):
        _rrname, pos = _name(data, pos)
        rtype, _cls, _ttl, rdlen = _RR(data, pos)
        pos += 10
        value = _rdata(data, pos, rtype, rdlen)
        if value is not None:
            answers.append(value)
        pos += rdlen
    return DnsMessage(
        msg_id,
        bool(flags & 0x8000),
        RCODES.get(flags & 0x0F, str(flags & 0x0F)),
        qname,
        qtype,
        answers,
        tuple(name for bit, name in _FLAGS if flags & bit),
        qclass,
    )
