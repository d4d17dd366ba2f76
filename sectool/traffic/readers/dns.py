"""DNS: names split by the public suffix list, and DNS messages from captures paired into
transactions (one event per query, with its response when one was seen), as Zeek's dns.log.

Only DNS packets are decoded with scapy (``scapy.layers.dns.DNS``); the rest of the capture
stays on the hand-written fast path. DNS over TCP is decoded when a segment carries whole
length-prefixed messages (no stream reassembly).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from functools import lru_cache
from typing import Any

__all__ = ["RCODES", "DnsTracker", "split_name"]

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

_psl: Any = None
_NAME_TYPES = frozenset({2, 5, 12, 39})  # NS, CNAME, PTR, DNAME


def _suffix_list() -> Any:
    global _psl
    if _psl is None:
        from publicsuffixlist import PublicSuffixList

        _psl = PublicSuffixList()  # the list bundled with the package: no network
    return _psl


@lru_cache(maxsize=262_144)
def split_name(name: str) -> tuple[str, str | None, str | None, str | None]:
    """Normalise a DNS name and split it: ``(name, registered_domain, subdomain, top_level_domain)``.

    The name is lower-cased without its trailing dot. ``top_level_domain`` is the effective TLD
    (``co.uk``), as ECS defines it. Parts that do not exist are ``None``.
    """
    name = name.rstrip(".").lower()
    if not name:
        return name, None, None, None
    psl = _suffix_list()
    tld = psl.publicsuffix(name)
    registered = psl.privatesuffix(name)
    subdomain = None
    if registered and name != registered and name.endswith("." + registered):
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


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, (list, tuple)):
        return " ".join(_text(v) for v in value)
    return str(value)


def _rdata(rr: Any) -> str | None:
    for attr in ("rdata", "exchange", "target", "mname"):
        value = getattr(rr, attr, None)
        if value is not None and value != b"":
            text = _text(value)
            # Names (CNAME, NS, PTR, MX, SRV, SOA targets) lose their root dot; A/AAAA/TXT stay.
            if attr != "rdata" or getattr(rr, "type", 0) in _NAME_TYPES:
                text = text.rstrip(".")
            return text
    return None


class _Query:
    __slots__ = ("id", "name", "qtype", "ts")

    def __init__(self, ts: int, msg_id: int, name: str, qtype: str | None) -> None:
        self.ts = ts
        self.id = msg_id
        self.name = name
        self.qtype = qtype


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
        from scapy.layers.dns import DNS, dnstypes

        if len(data) < 12:
            self.errors += 1
            return
        try:
            msg = DNS(data)
        except Exception:  # scapy raises many types on hostile bytes; a bad DNS packet is skipped
            self.errors += 1
            return
        qname, qtype = "", None
        if msg.qd:
            question = msg.qd[0]
            qname = _text(question.qname)
            qtype = dnstypes.get(question.qtype, str(question.qtype))
        if not msg.qr:
            key: _Key = (src, sport, dst, dport, proto, msg.id)
            old = self._pending.pop(key, None)
            if old is not None:  # a retransmission or a reused id: the earlier one went unanswered
                self._emit(key, old, None, old.ts)
            self._pending[key] = _Query(ts, msg.id, qname, qtype)
            return
        key = (dst, dport, src, sport, proto, msg.id)
        query = self._pending.pop(key, None)
        answers = []
        for i in range(msg.ancount or 0):
            try:
                rr = msg.an[i]
            except (IndexError, TypeError):
                break
            data_text = _rdata(rr)
            if data_text is not None:
                answers.append(data_text)
        response = {
            "name": qname,
            "qtype": qtype,
            "rcode": RCODES.get(msg.rcode, str(msg.rcode)),
            "answers": answers,
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
