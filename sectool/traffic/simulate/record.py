"""Columnar recording of simulated flows, DNS exchanges and authentication events.

Each record keeps what the ECS event needs *and* what the pcap writer needs to rebuild the
same packets (payload sizes, DNS wire messages), so that the events and the capture describe
the same traffic. Byte counts follow Zeek's ``orig_ip_bytes``/``resp_ip_bytes`` (IP header
included, link layer excluded), which is how the Filebeat Zeek module fills ``source.bytes``.

TCP flows are drawn as: SYN, SYN-ACK, ACK, the data segments (MSS 1460, no options) of each
side, FIN-ACK from each side and a final ACK (state ``SF``); a scan probe to a closed port is
SYN then RST-ACK (``REJ``), to a filtered port a lone SYN (``S0``). UDP is one datagram each way.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
import struct
from collections import defaultdict
from typing import Any

from sectool.traffic.readers.options import PORT_PROTOCOLS

__all__ = ["MSS", "Recorder", "community_id", "dns_message", "tcp_packet_counts"]

MSS = 1460
_EPHEMERAL_LO, _EPHEMERAL_N = 32768, 28232  # Linux's default ip_local_port_range
MAX_GAP_US = 45_000_000
MAX_FLOW_US = 1_700_000_000


def _hdr(ip: str) -> int:
    return 40 if ":" in ip else 20


def tcp_packet_counts(s_payload: int, d_payload: int, state: str) -> tuple[int, int]:
    """(source packets, destination packets) of a TCP flow as this module draws it."""
    if state == "S0":
        return 1, 0
    if state == "REJ":
        return 1, 1
    n_s = -(-s_payload // MSS)
    n_d = -(-d_payload // MSS)
    return n_s + 4, n_d + 2


@functools.lru_cache(maxsize=65536)
def _packed(ip: str) -> bytes:
    return ipaddress.ip_address(ip).packed


def community_id(src: str, sport: int, dst: str, dport: int, proto: int, seed: int = 0) -> str:
    """Community ID v1 (https://github.com/corelight/community-id-spec) of a flow."""
    a = _packed(src)
    b = _packed(dst)
    if (a, sport) > (b, dport):
        a, b, sport, dport = b, a, dport, sport
    data = struct.pack("!H", seed) + a + b + struct.pack("!BBHH", proto, 0, sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


_QTYPES = {"A": 1, "NULL": 10, "TXT": 16, "AAAA": 28}
_RCODES = {"NOERROR": 0, "NXDOMAIN": 3}


def _qname_wire(name: str) -> bytes:
    out = b""
    for label in name.split("."):
        raw = label.encode("ascii")
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def dns_message(
    qid: int, qname: str, qtype: str, *, response: bool, rcode: str = "NOERROR", answers: tuple[str, ...] = ()
) -> bytes:
    """A DNS message in wire format (query, or response with its answers)."""
    flags = 0x0100 if not response else 0x8180 | _RCODES[rcode]
    an = answers if response else ()
    msg = struct.pack("!HHHHHH", qid, flags, 1, len(an), 0, 0)
    msg += _qname_wire(qname) + struct.pack("!HH", _QTYPES[qtype], 1)
    for a in an:
        if qtype == "A":
            rdata = ipaddress.IPv4Address(a).packed
        elif qtype == "AAAA":
            rdata = ipaddress.IPv6Address(a).packed
        elif qtype == "TXT":
            raw = a.encode("ascii")[:255]
            rdata = bytes([len(raw)]) + raw
        else:
            rdata = a.encode("ascii")
        msg += struct.pack("!HHHIH", 0xC00C, _QTYPES[qtype], 1, 60, len(rdata)) + rdata
    return msg


_PROTO = {"tcp": 6, "udp": 17}


def _answer_text(qtype: str, answer: str) -> str:
    """How a decoder shows the answer: NULL data in the RFC 3597 generic form."""
    if qtype == "NULL":
        raw = answer.encode("ascii")
        return f"\\# {len(raw)} {raw.hex()}"
    return answer


class Recorder:
    """Collects events column by column (memory: a few hundred bytes per event)."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = defaultdict(list)
        self.n = 0
        self._ports: dict[str, int] = {}

    def eport(self, ip: str) -> int:
        """The next ephemeral port of ``ip``: sequential from a per-host start, as operating
        systems allocate them, so a 5-tuple is not reused within the capture's timeouts."""
        port = self._ports.get(ip)
        if port is None:
            port = (
                _EPHEMERAL_LO
                + int.from_bytes(hashlib.blake2b(ip.encode(), digest_size=4).digest()) % _EPHEMERAL_N
            )
        nxt = _EPHEMERAL_LO + (port - _EPHEMERAL_LO + 1) % _EPHEMERAL_N
        self._ports[ip] = nxt
        return port

    def _add(self, values: dict[str, Any]) -> None:
        # Columns are padded lazily: a column only catches up (with None) when it is written,
        # so an event costs its own fields, not every column there is.
        n = self.n
        cols = self.cols
        for key, value in values.items():
            col = cols[key]
            if len(col) < n:
                col.extend([None] * (n - len(col)))
            col.append(value)
        self.n = n + 1

    def conn(
        self,
        ts_us: int,
        src: str,
        sport: int | None,
        dst: str,
        dport: int,
        *,
        protocol: str | None,
        s_payload: int,
        d_payload: int,
        duration_us: int,
        observer: str,
        site: str,
        state: str = "SF",
        transport: str = "tcp",
        direction: str = "internal",
    ) -> None:
        """One TCP (or UDP, one datagram each way) flow."""
        if sport is None:
            sport = self.eport(src)
        hs, hd = _hdr(src) + (20 if transport == "tcp" else 8), _hdr(dst) + (20 if transport == "tcp" else 8)
        if transport == "tcp":
            if state in ("S0", "REJ"):
                s_payload = d_payload = 0
                duration_us = 0 if state == "S0" else min(duration_us, 2000)
            sp, dp = tcp_packet_counts(s_payload, d_payload, state)
        else:
            sp, dp = 1, (1 if d_payload > 0 else 0)
        # Packets are spread evenly over the flow; keep their gaps below the readers' idle
        # timeout (60 s) and the flow below their active timeout (30 min), so a reader of the
        # capture sees one flow per event.
        n = sp + dp
        gaps = n - 5 if transport == "tcp" and n >= 7 else n - 1  # handshake/teardown are 1 ms apart
        duration_us = min(duration_us, max(0, gaps) * MAX_GAP_US, MAX_FLOW_US)
        sb = sp * hs + s_payload
        db = dp * hd + d_payload
        self._add(
            {
                "ts": ts_us,
                "event.category": "network",
                "event.type": "connection",
                "source.ip": src,
                "source.port": sport,
                "destination.ip": dst,
                "destination.port": dport,
                "network.transport": transport,
                "network.protocol": protocol if protocol is not None else PORT_PROTOCOLS.get(dport),
                "network.direction": direction,
                "network.community_id": community_id(src, sport, dst, dport, _PROTO[transport]),
                "source.bytes": sb,
                "destination.bytes": db,
                "source.packets": sp,
                "destination.packets": dp,
                "network.bytes": sb + db,
                "network.packets": sp + dp,
                "event.duration": duration_us * 1000,
                "sectool.connection.state": state,
                "observer.name": observer,
                "sectool.site": site,
                "_s_payload": s_payload,
                "_d_payload": d_payload,
            }
        )

    def probe(
        self,
        ts_us: int,
        src: str,
        dst: str,
        dport: int,
        *,
        state: str,
        duration_us: int,
        observer: str,
        site: str,
    ) -> None:
        """One scan probe: a TCP connection attempt without payload."""
        self.conn(
            ts_us,
            src,
            None,
            dst,
            dport,
            protocol=None,
            s_payload=0,
            d_payload=0,
            duration_us=duration_us,
            state=state,
            observer=observer,
            site=site,
        )

    def dns(
        self,
        ts_us: int,
        src: str,
        sport: int | None,
        resolver: str,
        *,
        qid: int,
        subdomain: str,
        registered: str,
        qtype: str,
        observer: str,
        site: str,
        rcode: str = "NOERROR",
        answers: tuple[str, ...] = (),
        rtt_us: int = 800,
    ) -> None:
        """One DNS query and its response over UDP: a flow event, as a flow meter reports
        the datagrams, and a DNS event with the question and the answers (as Zeek's
        ``conn.log`` and ``dns.log`` do, and as sectool's capture reader does)."""
        if sport is None:
            sport = self.eport(src)
        name = f"{subdomain}.{registered}" if subdomain else registered
        q = dns_message(qid, name, qtype, response=False)
        r = dns_message(qid, name, qtype, response=True, rcode=rcode, answers=answers)
        hs, hd = _hdr(src) + 8, _hdr(resolver) + 8
        cid = community_id(src, sport, resolver, 53, 17)
        common = {
            "ts": ts_us,
            "event.category": "network",
            "source.ip": src,
            "source.port": sport,
            "destination.ip": resolver,
            "destination.port": 53,
            "network.transport": "udp",
            "network.protocol": "dns",
            "network.direction": "internal",
            "network.community_id": cid,
            "observer.name": observer,
            "sectool.site": site,
        }
        self._add(
            common
            | {
                "event.type": "connection",
                "source.bytes": hs + len(q),
                "destination.bytes": hd + len(r),
                "source.packets": 1,
                "destination.packets": 1,
                "network.bytes": hs + len(q) + hd + len(r),
                "network.packets": 2,
                "event.duration": rtt_us * 1000,
                "sectool.connection.state": "SF",
                "_dns_q": q,
                "_dns_r": r,
            }
        )
        shown = tuple(_answer_text(qtype, a) for a in answers)
        self._add(
            common
            | {
                "event.type": "protocol",
                "dns.id": str(qid),
                "dns.type": "answer",
                "dns.question.name": name,
                "dns.question.registered_domain": registered,
                "dns.question.subdomain": subdomain or None,
                "dns.question.top_level_domain": registered.rsplit(".", 1)[-1],
                "dns.question.type": qtype,
                "dns.response_code": rcode,
                "dns.answers.data": list(shown) if shown else None,
            }
        )

    def auth(
        self,
        ts_us: int,
        src: str,
        dst: str,
        dport: int,
        *,
        user: str,
        outcome: str,
        protocol: str,
        observer: str,
        site: str,
    ) -> None:
        """An authentication attempt as the target's log reports it (not in the capture)."""
        self._add(
            {
                "ts": ts_us,
                "event.category": "authentication",
                "event.type": "start",
                "event.outcome": outcome,
                "source.ip": src,
                "destination.ip": dst,
                "destination.port": dport,
                "network.protocol": protocol,
                "user.name": user,
                "observer.name": observer,
                "sectool.site": site,
            }
        )

    def alert(
        self,
        ts_us: int,
        src: str,
        dst: str,
        dport: int,
        *,
        signature: str,
        sid: str,
        severity: int,
        category: str,
        observer: str,
        site: str,
    ) -> None:
        """An IDS alert as Suricata's EVE reports it (a sensor's verdict, not in the capture)."""
        self._add(
            {
                "ts": ts_us,
                "event.kind": "alert",
                "event.module": "suricata",
                "event.dataset": "suricata.eve",
                "event.category": "intrusion_detection",
                "event.type": "info",
                "event.severity": severity,
                "source.ip": src,
                "destination.ip": dst,
                "destination.port": dport,
                "network.transport": "tcp",
                "rule.name": signature,
                "rule.id": sid,
                "rule.category": category,
                "observer.name": observer,
                "sectool.site": site,
            }
        )

    def columns(self) -> dict[str, list[Any]]:
        """The columns, all padded to the same length."""
        for col in self.cols.values():
            if len(col) < self.n:
                col.extend([None] * (self.n - len(col)))
        return dict(self.cols)
