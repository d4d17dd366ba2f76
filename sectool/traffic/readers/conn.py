"""Connection events: flows as ECS events, and the authentication heuristic on top of them.

Authentication heuristic (SSH and RDP, whose logins are encrypted)
-------------------------------------------------------------------
A connection to an SSH (22) or RDP (3389) server whose TCP handshake completed (state
``SF``, ``S1``, ``S2``, ``S3``, ``RSTO`` or ``RSTR``) also yields an authentication event:

* ``event.outcome: failure`` when it ended within :data:`AUTH_MAX_SECONDS` seconds and moved
  fewer than :data:`AUTH_MAX_BYTES` IP bytes in total. A failed login is a key exchange plus a
  few rejected credentials, then the server hangs up (OpenSSH after ``MaxAuthTries``; Windows
  after a failed CredSSP/NLA exchange): short and small. Brute-force tools open one such
  connection per guess or per few guesses (SSHCure, Hofstede et al. 2014, profile
  brute-force flows by exactly these small, uniform sizes);
* ``event.outcome: success`` otherwise: an interactive session or a transfer lasts longer or
  moves more data.

It is a heuristic: a scripted SSH command that finishes within seconds counts as a failure,
and a slow, patient failed login as a success. Connections whose handshake did not complete
(``S0``, ``REJ``, ...) are connection attempts only (port scans), not authentications.
``user.name`` is not visible in encrypted traffic and stays unset.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from sectool.traffic.flows import Flow, conn_state
from sectool.traffic.readers.community_id import community_id
from sectool.traffic.readers.options import PORT_PROTOCOLS, DirectionClassifier

__all__ = [
    "AUTH_MAX_BYTES",
    "AUTH_MAX_SECONDS",
    "AUTH_PROTOCOLS",
    "ESTABLISHED",
    "TRANSPORTS",
    "auth_event",
    "flow_event",
    "ns_to_datetime",
]

#: IP protocol number -> ``network.transport``.
TRANSPORTS: dict[int, str] = {
    1: "icmp",
    6: "tcp",
    17: "udp",
    58: "ipv6-icmp",
    132: "sctp",
    47: "gre",
    50: "esp",
}
#: Zeek connection states in which the TCP handshake completed.
ESTABLISHED = frozenset({"SF", "S1", "S2", "S3", "RSTO", "RSTR"})
#: Protocols the authentication heuristic applies to.
AUTH_PROTOCOLS = frozenset({"ssh", "rdp"})
#: A login attempt that fails ends within this many seconds ...
AUTH_MAX_SECONDS = 30.0
#: ... having moved fewer IP bytes (both directions) than this.
AUTH_MAX_BYTES: dict[str, int] = {"ssh": 12_000, "rdp": 40_000}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ns_to_datetime(ns: int) -> datetime:
    """Epoch nanoseconds -> aware UTC datetime (microsecond precision)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _ip(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def protocol_for(transport: str | None, sport: int | None, dport: int | None) -> str | None:
    """``network.protocol`` guessed from the server port (the destination first)."""
    if transport not in ("tcp", "udp"):
        return None
    if dport is not None and dport in PORT_PROTOCOLS:
        return PORT_PROTOCOLS[dport]
    return None


def flow_event(flow: Flow, directions: DirectionClassifier, labels: dict[str, Any]) -> dict[str, Any]:
    """The ECS connection event of a finished flow (``labels`` adds site/observer/file fields)."""
    first = flow.first if flow.first is not None else flow.last
    transport = TRANSPORTS.get(flow.proto, str(flow.proto))
    src, dst = _ip(flow.orig), _ip(flow.resp)
    ported = flow.proto in (1, 6, 17, 58, 132)
    sport = flow.oport if ported else None
    dport = flow.rport if ported else None
    event: dict[str, Any] = {
        "@timestamp": ns_to_datetime(first),
        "event.kind": "event",
        "event.category": "network",
        "event.type": "connection",
        "event.dataset": "sectool.flow",
        "event.module": "sectool",
        "event.start": ns_to_datetime(first),
        "event.end": ns_to_datetime(flow.last),
        "event.duration": flow.last - first,
        "source.ip": src,
        "source.port": sport,
        "source.bytes": flow.obytes,
        "source.packets": flow.opkts,
        "destination.ip": dst,
        "destination.port": dport,
        "destination.bytes": flow.rbytes,
        "destination.packets": flow.rpkts,
        "network.transport": transport,
        "network.type": "ipv4" if len(flow.orig) == 4 else "ipv6",
        "network.protocol": protocol_for(transport, sport, dport),
        "network.direction": directions.direction(src, dst),
        "network.community_id": community_id(flow.proto, flow.orig, flow.resp, flow.oport, flow.rport)
        if ported
        else community_id(flow.proto, flow.orig, flow.resp),
        "network.bytes": flow.obytes + flow.rbytes,
        "network.packets": flow.opkts + flow.rpkts,
        "sectool.connection.state": conn_state(flow),
    }
    event.update(labels)
    return event


def auth_event(conn: dict[str, Any]) -> dict[str, Any] | None:
    """The authentication event the heuristic (module docstring) derives from a connection
    event, or ``None`` when the connection is not an SSH/RDP login attempt."""
    proto = conn.get("network.protocol")
    if proto not in AUTH_PROTOCOLS or conn.get("sectool.connection.state") not in ESTABLISHED:
        return None
    duration = conn.get("event.duration")
    total = conn.get("network.bytes")
    if total is None:
        total = (conn.get("source.bytes") or 0) + (conn.get("destination.bytes") or 0)
    short = duration is not None and duration <= AUTH_MAX_SECONDS * 1e9
    failed = short and total < AUTH_MAX_BYTES[proto]
    event = {
        key: conn.get(key)
        for key in (
            "@timestamp",
            "event.start",
            "event.end",
            "event.duration",
            "source.ip",
            "source.port",
            "destination.ip",
            "destination.port",
            "network.transport",
            "network.type",
            "network.protocol",
            "network.direction",
            "network.community_id",
            "network.bytes",
            "observer.name",
            "observer.type",
            "observer.hostname",
            "sectool.site",
            "log.file.path",
            "sectool.connection.state",
        )
        if conn.get(key) is not None
    }
    event.update(
        {
            "event.kind": "event",
            "event.category": "authentication",
            "event.type": "start",
            "event.outcome": "failure" if failed else "success",
            # a guess from the flow's shape, not a login record (Zeek ssh.log gives "ssh-login")
            "event.action": "login-shape-heuristic",
            "tags": ["heuristic"],
            "event.dataset": "sectool.auth_heuristic",
            "event.module": "sectool",
        }
    )
    return event
