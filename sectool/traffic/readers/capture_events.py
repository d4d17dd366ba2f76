"""ECS events of a capture: the finished flow (with the protocol its payload showed), its
authentication heuristic, the protocol records the inspector extracted (TLS, HTTP, SSH, Kerberos,
NTLM) next to it, and DNS transactions.

``network.protocol`` of a flow is the protocol identified from its payload
(:mod:`sectool.traffic.readers.dpi`). When no payload identified one (no payload at all, a
capture that started mid-stream, or a protocol sectool does not identify such as NTP or LDAP),
the server port's protocol is used (``readers.options.PORT_PROTOCOLS``) and the flow carries
``tags: ["port-guess"]``, so that analysts and detectors can tell the two apart.
"""

from __future__ import annotations

from typing import Any

from sectool.traffic.flows import Flow
from sectool.traffic.readers.community_id import community_id
from sectool.traffic.readers.conn import TRANSPORTS, _ip, auth_event, flow_event, ns_to_datetime
from sectool.traffic.readers.dns import question_fields
from sectool.traffic.readers.identity import derived, identified, source_id
from sectool.traffic.readers.options import DirectionClassifier

__all__ = ["PORT_GUESS_TAG", "dns_event", "flow_events", "protocol_event"]

#: Tag of a flow whose ``network.protocol`` comes from its server port, not from its payload.
PORT_GUESS_TAG = "port-guess"
_ICMP = frozenset({1, 58})


def flow_events(flow: Flow, directions: DirectionClassifier, labels: dict[str, Any]) -> list[dict[str, Any]]:
    """The connection event of a finished flow, and its authentication event if any."""
    first = flow.first if flow.first is not None else flow.last
    plain = flow_event(flow, directions, labels)
    if flow.service is not None:
        plain["network.protocol"] = flow.service
    elif plain.get("network.protocol") is not None:
        plain["tags"] = [PORT_GUESS_TAG]
    if flow.proto in _ICMP:
        # Zeek's conn.log puts ICMP type and code in the ports; sectool keeps that (as Filebeat)
        # and names them as well.
        plain["sectool.icmp.type"] = flow.oport
        plain["sectool.icmp.code"] = flow.rport
    conn = identified(plain, source_id("sectool.flow", plain["network.community_id"], first))
    out: list[dict[str, Any]] = [conn]
    auth = auth_event(conn)
    if auth is not None:
        out.append(derived(conn, "auth", auth))
    return out


def protocol_event(
    flow: Flow,
    ts: int,
    dataset: str,
    number: int,
    fields: dict[str, Any],
    directions: DirectionClassifier,
    labels: dict[str, Any],
) -> dict[str, Any]:
    """A protocol record of ``flow`` (one TLS handshake, HTTP transaction, ...) as an ECS event.

    ``fields`` overrides the defaults (a Kerberos login sets ``event.category: authentication``).
    The id: dataset, community id, time of the record and its number within the flow.
    """
    src, dst = _ip(flow.orig), _ip(flow.resp)
    cid = community_id(flow.proto, flow.orig, flow.resp, flow.oport, flow.rport)
    event: dict[str, Any] = {
        "@timestamp": ns_to_datetime(ts),
        "event.kind": "event",
        "event.category": "network",
        "event.type": "protocol",
        "event.dataset": dataset,
        "event.module": "sectool",
        "source.ip": src,
        "source.port": flow.oport,
        "destination.ip": dst,
        "destination.port": flow.rport,
        "network.transport": TRANSPORTS.get(flow.proto, str(flow.proto)),
        "network.type": "ipv4" if len(flow.orig) == 4 else "ipv6",
        "network.protocol": flow.service,
        "network.direction": directions.direction(src, dst),
        "network.community_id": cid,
    }
    event.update(fields)
    event.update(labels)
    return identified(event, source_id(dataset, cid, ts, number))


def dns_event(
    key: Any,
    query: Any,
    response: dict[str, Any] | None,
    ts: int,
    directions: DirectionClassifier,
    labels: dict[str, Any],
) -> dict[str, Any]:
    """A DNS transaction of :class:`sectool.traffic.readers.dns.DnsTracker` as an ECS event."""
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
        "network.direction": directions.direction(src, dst),
        "network.community_id": community_id(proto, client, server, cport, sport),
        "dns.id": str(msg_id),
        "dns.type": "answer" if response is not None else "query",
        **question_fields(name, qtype),
    }
    flags = response["flags"] if response is not None else query.flags
    event["dns.header_flags"] = list(flags) or None
    event["dns.question.class"] = query.qclass if query is not None else (response or {}).get("qclass")
    if response is not None:
        event["dns.response_code"] = response["rcode"]
        event["dns.answers.data"] = response["answers"] or None
    event.update(labels)
    return identified(event, source_id("sectool.dns", event["network.community_id"], ts, msg_id))
