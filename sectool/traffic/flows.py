"""Bidirectional flow table: packets fold into flows keyed by the canonical 5-tuple.

* Both directions of a conversation share one flow; the **originator** is the sender of the
  first packet seen, except that a first packet with SYN+ACK makes its receiver the
  originator (the SYN was missed), as Zeek does.
* A flow ends when no packet arrived for ``idle`` ns, or, for TCP, ``linger`` ns after a RST
  or after both sides sent FIN (the trailing ACKs still count, as Zeek's ``tcp_close_delay``).
  A SYN on a 5-tuple whose connection has ended starts a new flow.
* A flow longer than ``active`` ns is exported and continues in a new record with the same
  originator (NetFlow's active timeout); the continuation keeps the handshake flags.
* Bytes are IP bytes (IP header and payload, as Zeek's ``orig_ip_bytes``), taken from the IP
  length field, so a capture with a small snap length still counts what was on the wire.
* ICMP flows are keyed by the host pair; their ports are the first packet's type and code.

Expiry uses a heap of deadlines checked lazily (an entry is re-armed when the flow saw newer
packets), so the per-packet cost does not depend on the number of open flows.
"""

from __future__ import annotations

import heapq

__all__ = ["ACK", "DPI_DONE", "FIN", "RST", "SYN", "Flow", "FlowTable", "conn_state"]

FIN = 0x01
SYN = 0x02
RST = 0x04
ACK = 0x10

#: :attr:`Flow.dpi` of a flow whose payload is no longer inspected.
DPI_DONE = False

_TCP = 6
_ICMP = 1
_ICMP6 = 58


class Flow:
    """One bidirectional flow (timestamps in integer nanoseconds since the epoch)."""

    __slots__ = (
        "closing",
        "dpi",
        "first",
        "last",
        "obytes",
        "oflags",
        "opkts",
        "oport",
        "orig",
        "proto",
        "rbytes",
        "resp",
        "rflags",
        "rpkts",
        "rport",
        "service",
    )

    def __init__(self, proto: int, orig: bytes, oport: int, resp: bytes, rport: int, ts: int) -> None:
        self.proto = proto
        self.orig = orig
        self.oport = oport
        self.resp = resp
        self.rport = rport
        self.first: int | None = ts
        self.last = ts
        self.opkts = 0
        self.obytes = 0
        self.rpkts = 0
        self.rbytes = 0
        self.oflags = 0
        self.rflags = 0
        self.closing: int | None = None
        #: Application protocol identified from the payload (``network.protocol``), else ``None``.
        self.service: str | None = None
        #: Payload inspection state (:mod:`sectool.traffic.readers.dpi`): ``None`` before the
        #: first payload, then the flow's inspector, or :data:`DPI_DONE` when inspection ended.
        self.dpi: object = None

    def copy(self) -> Flow:
        """A snapshot for an active-timeout export; the inspector stays with the live flow."""
        other = Flow(self.proto, self.orig, self.oport, self.resp, self.rport, self.last)
        for name in Flow.__slots__:
            setattr(other, name, getattr(self, name))
        other.dpi = DPI_DONE
        return other

    @property
    def state(self) -> str:
        return conn_state(self)


def conn_state(flow: Flow) -> str:
    """Zeek's ``conn_state`` vocabulary from the TCP flags each side sent.

    UDP and ICMP: ``SF`` when both sides sent, ``S0`` when only the originator did.
    """
    if flow.proto != _TCP:
        return "SF" if flow.rpkts else "S0"
    o, r = flow.oflags, flow.rflags
    o_syn, r_syn = o & SYN, r & SYN
    if o_syn and r_syn:
        if o & RST:
            return "RSTO"
        if r & RST:
            return "RSTR"
        if o & FIN and r & FIN:
            return "SF"
        if o & FIN:
            return "S2"
        if r & FIN:
            return "S3"
        return "S1"
    if o_syn:
        if o & RST:
            return "RSTOS0"
        if r & RST:
            return "REJ"
        if o & FIN:
            return "SH"
        return "S0" if not flow.rpkts else "OTH"
    if r_syn:
        if r & RST:
            return "RSTRH"
        if r & FIN:
            return "SHR"
    return "OTH"


class FlowTable:
    """Folds packets into flows; finished flows collect in :attr:`ready` for the caller to drain.

    Args:
        idle: idle timeout in ns.
        active: active timeout in ns.
        linger: how long an ended TCP flow still collects trailing packets, in ns.
    """

    def __init__(self, idle: int, active: int, linger: int = 5_000_000_000) -> None:
        self.idle = idle
        self.active = active
        self.linger = linger
        self.table: dict[tuple[int, bytes, int, bytes, int], Flow] = {}
        self.ready: list[Flow] = []
        self._heap: list[tuple[int, int, tuple[int, bytes, int, bytes, int], Flow]] = []
        self._seq = 0
        self._next_due = 1 << 62

    def add(
        self, ts: int, proto: int, src: bytes, sport: int, dst: bytes, dport: int, flags: int, size: int
    ) -> Flow:
        """Account one packet (``flags``: TCP flags, 0 otherwise; ``size``: IP bytes).

        Returns:
            The flow the packet belongs to (for payload inspection).
        """
        if ts >= self._next_due:
            self.expire(ts)  # first, so that a packet after an idle gap starts a new flow
        icmp = proto in (_ICMP, _ICMP6)
        ks, kd = (0, 0) if icmp else (sport, dport)
        if src < dst or (src == dst and ks <= kd):  # noqa: SIM108  (readable canonical order)
            key = (proto, src, ks, dst, kd)
        else:
            key = (proto, dst, kd, src, ks)
        flow = self.table.get(key)
        if flow is not None and flow.closing is not None and flags & SYN and not flags & ACK:
            # A new connection reuses the 5-tuple of one that has ended.
            del self.table[key]
            self._finish(flow)
            flow = None
        if flow is None:
            if proto == _TCP and flags & SYN and flags & ACK:
                flow = Flow(proto, dst, dport, src, sport, ts)
            else:
                flow = Flow(proto, src, sport, dst, dport, ts)
            self.table[key] = flow
            self._arm(ts + self.idle, key, flow)
        elif flow.first is None:
            flow.first = ts
        if ts > flow.last:
            flow.last = ts
        if src == flow.orig and (icmp or sport == flow.oport):
            flow.opkts += 1
            flow.obytes += size
            flow.oflags |= flags
        else:
            flow.rpkts += 1
            flow.rbytes += size
            flow.rflags |= flags
        if (
            flags & (FIN | RST)
            and flow.closing is None
            and proto == _TCP
            and (flags & RST or (flow.oflags & FIN and flow.rflags & FIN))
        ):
            flow.closing = ts
            self._arm(ts + self.linger, key, flow)
        return flow

    def _arm(self, due: int, key: tuple[int, bytes, int, bytes, int], flow: Flow) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, key, flow))
        if due < self._next_due:
            self._next_due = due

    def _finish(self, flow: Flow) -> None:
        if flow.opkts or flow.rpkts:
            self.ready.append(flow)

    def expire(self, now: int) -> None:
        """Move every flow whose timeout passed at ``now`` (ns) to :attr:`ready`."""
        heap = self._heap
        table = self.table
        while heap and heap[0][0] <= now:
            _, _, key, flow = heapq.heappop(heap)
            if table.get(key) is not flow:
                continue  # stale entry: the flow already ended
            if flow.closing is not None:
                due = flow.closing + self.linger
            elif flow.first is not None:
                due = min(flow.last + self.idle, flow.first + self.active)
            else:
                due = flow.last + self.idle
            if due > now:
                self._seq += 1
                heapq.heappush(heap, (due, self._seq, key, flow))
                continue
            if flow.closing is None and flow.first is not None and flow.last + self.idle > now:
                # Active timeout: export what we have, keep counting in a continuation record.
                self._finish(flow.copy())
                flow.first = None
                flow.opkts = flow.obytes = flow.rpkts = flow.rbytes = 0
                self._seq += 1
                heapq.heappush(heap, (flow.last + self.idle, self._seq, key, flow))
                continue
            del table[key]
            self._finish(flow)
        self._next_due = heap[0][0] if heap else 1 << 62

    def flush(self) -> None:
        """End every open flow (end of input)."""
        for flow in self.table.values():
            self._finish(flow)
        self.table.clear()
        self._heap.clear()
        self._next_due = 1 << 62

    def discard(self) -> int:
        """Drop every open flow without exporting it (input damaged: they are incomplete).

        Returns:
            How many open flows (with at least one packet) were dropped.
        """
        dropped = sum(1 for flow in self.table.values() if flow.opkts or flow.rpkts)
        self.table.clear()
        self._heap.clear()
        self._next_due = 1 << 62
        return dropped
