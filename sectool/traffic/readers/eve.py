"""Suricata EVE JSON: ``flow``, ``dns`` (EVE formats v1, v2 and v3) and ``alert`` records,
mapped as the Filebeat Suricata module maps them. Other event types (``stats``, ``http``,
``tls``, ...) are counted as skipped.

Damage: a line that is not JSON (or not an object, or has a bad value) stops the read with
:class:`InputError` naming the line; the records before it have been yielded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic.flows import ACK, FIN, RST, SYN, Flow, conn_state
from sectool.traffic.readers.common import complete, json_object, lines, packed
from sectool.traffic.readers.community_id import community_id
from sectool.traffic.readers.conn import auth_event
from sectool.traffic.readers.dns import question_fields
from sectool.traffic.readers.identity import derived, identified, raw_record_id, source_id
from sectool.traffic.readers.options import DirectionClassifier, ReaderOptions, ReadReport
from sectool.traffic.readers.values import Where

__all__ = ["read_eve"]

_TRANSPORTS = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp", "IPV6-ICMP": "ipv6-icmp", "SCTP": "sctp"}


def _flags(hexstr: Any) -> int:
    try:
        return int(str(hexstr), 16) if hexstr else 0
    except ValueError:
        return 0


def _state(rec: dict[str, Any], transport: str | None, pkts_tc: int | None) -> str | None:
    """A Zeek-like connection state from the TCP flags each side sent (EVE ``tcp`` object)."""
    if transport != "tcp":
        return "SF" if pkts_tc else "S0"
    tcp = rec.get("tcp") or {}
    if not isinstance(tcp, dict):
        return None
    flow = Flow(6, b"", 0, b"", 0, 0)
    flow.oflags = _flags(tcp.get("tcp_flags_ts"))
    flow.rflags = _flags(tcp.get("tcp_flags_tc"))
    flow.rpkts = pkts_tc or 0
    if not flow.oflags and not flow.rflags:  # older Suricata: only the union of flags
        both = _flags(tcp.get("tcp_flags"))
        flow.oflags = both & (SYN | FIN | RST | ACK)
        flow.rflags = both & (SYN | ACK) if pkts_tc else 0
    return conn_state(flow)


def _dns(dns: dict[str, Any], where: Where) -> dict[str, Any]:
    event: dict[str, Any] = {"network.protocol": "dns", "event.type": "protocol"}
    dtype = dns.get("type")
    name = dns.get("rrname")
    qtype = dns.get("rrtype")
    queries = dns.get("queries")
    if isinstance(queries, list) and queries and isinstance(queries[0], dict):  # EVE v3
        name = queries[0].get("rrname", name)
        qtype = queries[0].get("rrtype", qtype)
    answers: list[str] = []
    if isinstance(dns.get("answers"), list):  # v2/v3 detailed
        answers = [
            str(a["rdata"]) for a in dns["answers"] if isinstance(a, dict) and a.get("rdata") is not None
        ]
    elif isinstance(dns.get("grouped"), dict):  # v2/v3 grouped
        for values in dns["grouped"].values():
            if isinstance(values, list):
                answers.extend(str(v if not isinstance(v, dict) else v.get("rdata", "")) for v in values)
    elif dtype == "answer" and dns.get("rdata") is not None:  # v1: one answer record per line
        answers = [str(dns["rdata"])]
    event["dns.type"] = "answer" if dtype == "answer" or answers or dns.get("rcode") else "query"
    msg_id = where.integer("dns.id", dns.get("id"), 0, 65535, "a DNS transaction id 0..65535")
    event["dns.id"] = None if msg_id is None else str(msg_id)
    event["dns.response_code"] = where.text("dns.rcode", dns.get("rcode"))
    event["dns.answers.data"] = answers or None
    name = where.text("dns.rrname", name)
    qtype = where.text("dns.rrtype", qtype)
    if name:
        event.update(question_fields(name, qtype))
    elif qtype:
        event["dns.question.type"] = qtype
    return event


def _event(rec: dict[str, Any], where: Where) -> dict[str, Any] | None:
    etype = rec.get("event_type")
    if etype not in ("flow", "dns", "alert"):
        return None
    transport = _TRANSPORTS.get(str(rec.get("proto", "")).upper(), str(rec.get("proto", "")).lower() or None)
    event: dict[str, Any] = {
        "@timestamp": where.time("timestamp", rec["timestamp"]),
        "event.kind": "event",
        "event.category": "network",
        "event.dataset": "suricata.eve",
        "event.module": "suricata",
        "source.ip": where.ip("src_ip", rec.get("src_ip")),
        "source.port": where.port("src_port", rec.get("src_port")),
        "destination.ip": where.ip("dest_ip", rec.get("dest_ip")),
        "destination.port": where.port("dest_port", rec.get("dest_port")),
        "network.transport": transport,
        "network.community_id": rec.get("community_id"),
        "observer.name": rec.get("host"),
        "observer.hostname": rec.get("host"),
    }
    app = rec.get("app_proto")
    if app and app != "failed":
        event["network.protocol"] = "tls" if app == "tls" else str(app).lower()
    if transport in ("icmp", "ipv6-icmp"):
        _icmp(rec, event, where)
    if etype == "flow":
        flow = _flow_object(rec, where)
        start = event["event.start"] = where.time("flow.start", flow["start"]) if flow.get("start") else None
        end = where.time("flow.end", flow["end"]) if flow.get("end") else None
        start = start or event["@timestamp"]
        event.update(_counters(flow, where))
        event.update(
            {
                "@timestamp": start,
                "event.type": "connection",
                "event.start": start,
                "event.end": end,
                "event.duration": int((end - start).total_seconds() * 1_000_000) * 1000 if end else None,
                "sectool.connection.state": _state(rec, transport, event.get("destination.packets")),
            }
        )
    elif etype == "dns":
        dns = rec.get("dns")
        if not isinstance(dns, dict):
            raise where.fail("dns", dns, "a JSON object", "dns record without a 'dns' object")
        event.update(_dns(dns, where))
    else:
        event.update(_alert(rec, where))
    return event


def _flow_object(rec: dict[str, Any], where: Where) -> dict[str, Any]:
    flow = rec.get("flow") or {}
    if not isinstance(flow, dict):
        raise where.fail("flow", flow, "a JSON object")
    return flow


def _counters(flow: dict[str, Any], where: Where) -> dict[str, Any]:
    """Byte and packet counters of an EVE ``flow`` object (flow records and alerts)."""
    return {
        "source.bytes": where.count("flow.bytes_toserver", flow.get("bytes_toserver")),
        "destination.bytes": where.count("flow.bytes_toclient", flow.get("bytes_toclient")),
        "source.packets": where.count("flow.pkts_toserver", flow.get("pkts_toserver")),
        "destination.packets": where.count("flow.pkts_toclient", flow.get("pkts_toclient")),
    }


def _icmp(rec: dict[str, Any], event: dict[str, Any], where: Where) -> None:
    """ICMP: EVE carries ``icmp_type``/``icmp_code``, not ports; the community id hashes them in
    the ports' place (Community ID spec), so it is computed here when the record has none."""
    itype = where.integer("icmp_type", rec.get("icmp_type"), 0, 255, "an ICMP type 0..255")
    code = where.integer("icmp_code", rec.get("icmp_code"), 0, 255, "an ICMP code 0..255")
    src, dst = event.get("source.ip"), event.get("destination.ip")
    if event.get("network.community_id") is None and itype is not None and src and dst:
        proto = 58 if ":" in src or event["network.transport"] == "ipv6-icmp" else 1
        event["network.community_id"] = community_id(proto, packed(src), packed(dst), itype, code or 0)


def _alert(rec: dict[str, Any], where: Where) -> dict[str, Any]:
    """An alert as Filebeat's Suricata module maps it (as far as sectool's scalar
    ``event.category`` allows: ``intrusion_detection``, the more specific of Filebeat's
    ``[network, intrusion_detection]``); the alert's flow counters are kept."""
    alert = rec.get("alert")
    if not isinstance(alert, dict):
        raise where.fail("alert", alert, "a JSON object", "alert record without an 'alert' object")
    action = alert.get("action")
    if action is not None and action not in ("allowed", "blocked"):
        raise where.fail("alert.action", action, "'allowed' or 'blocked'")
    flow = _flow_object(rec, where)
    sid = where.count("alert.signature_id", alert.get("signature_id"))
    event: dict[str, Any] = {
        "event.kind": "alert",
        "event.category": "intrusion_detection",
        "event.type": {"allowed": "allowed", "blocked": "denied"}.get(action or "", "info"),
        "event.start": where.time("flow.start", flow["start"]) if flow.get("start") else None,
        "rule.id": None if sid is None else str(sid),
        "rule.name": alert.get("signature"),
        "rule.category": alert.get("category"),
        "event.severity": where.count("alert.severity", alert.get("severity")),
    }
    event.update(_counters(flow, where))
    return event


def _doc_id(rec: dict[str, Any]) -> str:
    """The document id from the EVE record's identity (see :mod:`.identity`)."""
    flow_id = rec.get("flow_id")
    if flow_id is None:
        return raw_record_id("suricata.eve", rec)
    etype = rec["event_type"]
    # The timestamp as the sensor wrote it: exact, and the same on every read of the file.
    parts: list[Any] = ["suricata.eve", str(flow_id), etype, str(rec["timestamp"])]
    if etype == "dns":
        dns = rec["dns"]
        parts += [dns.get(k) for k in ("type", "id", "tx_id", "rrname", "rrtype")]
        if dns.get("version") is None and dns.get("type") == "answer":  # v1: one answer per line
            parts.append(dns.get("rdata"))
    elif etype == "alert":
        alert = rec["alert"]
        parts += [alert.get(k) for k in ("gid", "signature_id", "rev")]
    return source_id(*parts)


def read_eve(
    path: Path, options: ReaderOptions, labels: dict[str, Any], report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Events of a Suricata EVE JSON file."""
    directions = DirectionClassifier(options.internal)
    for lineno, text in lines(path, report=report):
        report.lines += 1
        rec = json_object(path, lineno, text, what="an EVE line")
        if "timestamp" not in rec or "event_type" not in rec:
            raise InputError("not an EVE record (no timestamp or event_type)", file=path, line=lineno)
        event = _event(rec, Where(path, lineno))
        if event is None:
            report.skipped += 1
            continue
        doc_id = _doc_id(rec)
        event = identified(complete(event, directions, labels), doc_id)
        yield event
        if event.get("event.type") == "connection":
            auth = auth_event(event)
            if auth is not None:
                yield derived(event, "auth", auth)
