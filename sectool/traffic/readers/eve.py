"""Suricata EVE JSON: every event type, mapped as the Elastic Suricata integration maps it.

Every record becomes one event (``event.dataset: suricata.eve``, ``event.module: suricata``):
the fields all records share (time, addresses, ports, transport, community id, sensor) here,
what each ``event_type`` adds in :mod:`.eve_types` and :mod:`.eve_app`, and every field that
has no ECS home under ``suricata.eve.<path>`` (:mod:`.eve_flat`). An event type sectool does not
know is kept the same way (shared fields + ``suricata.eve.<type>.*``) and reported once per type
in the :class:`ReadReport`. ``flow`` records also feed the SSH/RDP authentication heuristic.

Damage: a line that is not JSON (or not an object, or nested too deeply, or has a bad value)
stops the read with :class:`InputError` naming the line and field; the records before it have
been yielded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic.readers.common import complete, json_object, lines, packed
from sectool.traffic.readers.community_id import community_id
from sectool.traffic.readers.conn import auth_event
from sectool.traffic.readers.eve_app import map_http, map_tls
from sectool.traffic.readers.eve_flat import flattened
from sectool.traffic.readers.eve_record import Source
from sectool.traffic.readers.eve_types import APP_LAYER, KNOWN, MAPPERS, classify
from sectool.traffic.readers.identity import derived, identified, raw_record_id, source_id
from sectool.traffic.readers.options import DirectionClassifier, ReaderOptions, ReadReport
from sectool.traffic.readers.values import Where

__all__ = ["read_eve"]

_TRANSPORTS = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp", "IPV6-ICMP": "ipv6-icmp", "SCTP": "sctp"}
#: ``app_proto`` values that name no protocol (Filebeat leaves ``network.protocol`` unset).
_NO_PROTOCOL = frozenset({"failed", "template", "template-rust", "unknown"})
_U64 = (1 << 64) - 1
#: Unknown event types reported one by one; more are counted together.
_MAX_UNKNOWN = 20
#: Top-level EVE keys that Suricata always writes as objects: anything else is damage, also
#: where this record's type does not read them.
_OBJECTS = (
    "alert", "anomaly", "dns", "engine", "ether", "fileinfo", "flow", "http", "krb5", "metadata",
    "netflow", "smb", "ssh", "stats", "tcp", "tls",
)  # fmt: skip


def _mac(value: str | None) -> str | None:
    """A MAC address in ECS form (``00-1B-21-3C-4D-5E``); other text stays as written."""
    if not value:
        return None
    digits = value.replace(":", "").replace("-", "").replace(".", "")
    if len(digits) != 12:
        return value
    return "-".join(digits[i : i + 2] for i in range(0, 12, 2)).upper()


def _common(src: Source, etype: str) -> dict[str, Any]:
    """The fields every EVE record shares."""
    where = src.where
    for key in _OBJECTS:
        src.obj(key)
    proto = src.raw("proto")
    if type(proto) is int:  # Suricata writes unnamed IP protocols as numbers
        proto = str(proto)
    proto = where.text("proto", proto) or ""
    transport = _TRANSPORTS.get(proto.upper(), proto.lower() or None)
    kind, category, type_ = classify(etype)
    host = src.text("host")
    flow_id = src.integer("flow_id", 0, _U64, "a flow id (integer)")
    level = src.text("log_level")
    event: dict[str, Any] = {
        "@timestamp": where.time("timestamp", src.raw("timestamp")),
        "event.kind": kind,
        "event.category": category,
        "event.type": type_,
        "event.dataset": "suricata.eve",
        "event.module": "suricata",
        "source.ip": where.ip("src_ip", src.raw("src_ip")),
        "source.port": src.port("src_port"),
        "destination.ip": where.ip("dest_ip", src.raw("dest_ip")),
        "destination.port": src.port("dest_port"),
        "network.transport": transport,
        "network.community_id": src.text("community_id"),
        "observer.name": host,
        "observer.hostname": host,
        "observer.vendor": "OISF",
        "observer.product": "Suricata",
        "observer.type": "ids",
        "log.level": level.lower() if level else None,
        "suricata.eve.event_type": etype,
        "suricata.eve.flow_id": None if flow_id is None else str(flow_id),  # as Filebeat: text
    }
    src.used.add("event_type")
    app = (src.text("app_proto") or "").lower()
    if app and app not in _NO_PROTOCOL:
        event["network.protocol"] = "ftp" if app == "ftp-data" else app
    elif etype in APP_LAYER:
        event["network.protocol"] = APP_LAYER[etype]
    if src.obj("ether") is not None:
        event["source.mac"] = _mac(src.text("ether.src_mac"))
        event["destination.mac"] = _mac(src.text("ether.dest_mac"))
    vlan = src.rec.get("vlan")  # the whole list stays under suricata.eve.vlan (QinQ: two ids)
    if isinstance(vlan, list) and vlan and type(vlan[0]) is int:
        event["network.vlan.id"] = str(vlan[0])
    if transport in ("icmp", "ipv6-icmp"):
        _icmp(src, event)
    return event


def _icmp(src: Source, event: dict[str, Any]) -> None:
    """ICMP: EVE carries ``icmp_type``/``icmp_code``, not ports; the community id hashes them in
    the ports' place (Community ID spec), so it is computed here when the record has none."""
    itype = src.integer("icmp_type", 0, 255, "an ICMP type 0..255")
    code = src.integer("icmp_code", 0, 255, "an ICMP code 0..255")
    event["sectool.icmp.type"], event["sectool.icmp.code"] = itype, code
    source, dest = event.get("source.ip"), event.get("destination.ip")
    if event.get("network.community_id") is None and itype is not None and source and dest:
        proto = 58 if ":" in source or event["network.transport"] == "ipv6-icmp" else 1
        event["network.community_id"] = community_id(proto, packed(source), packed(dest), itype, code or 0)


def _doc_id(rec: dict[str, Any], etype: str) -> str:
    """The document id from the EVE record's identity (see :mod:`.identity`)."""
    flow_id = rec.get("flow_id")
    if flow_id is None:
        return raw_record_id("suricata.eve", rec)
    # The timestamp and type as the sensor wrote them: exact, and the same on every read.
    parts: list[Any] = ["suricata.eve", str(flow_id), rec["event_type"], str(rec["timestamp"])]
    if etype == "dns":
        dns = rec["dns"]
        parts += [dns.get(k) for k in ("type", "id", "tx_id", "rrname", "rrtype")]
        if dns.get("version") is None and dns.get("type") == "answer":  # v1: one answer per line
            parts.append(dns.get("rdata"))
    elif etype == "alert":
        alert = rec["alert"]
        parts += [alert.get(k) for k in ("gid", "signature_id", "rev")]
    elif etype != "flow":
        # Other types (ids not pinned before 2026-03): the transaction, and what tells apart
        # several records of one packet (anomalies) or of one transaction (files).
        parts.append(rec.get("tx_id"))
        sub = rec.get(etype)
        if etype == "anomaly" and isinstance(sub, dict):
            parts += [sub.get(k) for k in ("type", "event", "layer")]
        elif etype == "fileinfo" and isinstance(sub, dict):
            parts += [sub.get(k) for k in ("file_id", "filename", "tx_id")]
    return source_id(*parts)


def _event_type(rec: dict[str, Any], where: Where) -> str:
    etype = rec["event_type"]
    if not isinstance(etype, str) or not etype.strip():
        raise where.fail("event_type", etype, "an event type name (text)")
    return etype.strip().lower()


def eve_event(rec: dict[str, Any], where: Where) -> tuple[dict[str, Any], str]:
    """The flat ECS event of one parsed EVE record (before labels) and its document id."""
    etype = _event_type(rec, where)
    src = Source(rec, where)
    event = _common(src, etype)
    mapper = MAPPERS.get(etype)
    if mapper is not None:
        mapper(src, event)
    map_http(src, event, etype)
    map_tls(src, event)
    related = [ip for ip in (event.get("source.ip"), event.get("destination.ip")) if ip]
    if related:
        event["related.ip"] = list(dict.fromkeys(related))
    event.update(flattened(where, rec, src.used))
    return event, _doc_id(rec, etype)


def read_eve(
    path: Path, options: ReaderOptions, labels: dict[str, Any], report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Events of a Suricata EVE JSON file."""
    directions = DirectionClassifier(options.internal)
    unknown: dict[str, list[int]] = {}  # type -> [count, first line]
    try:
        for lineno, text in lines(path, report=report):
            report.lines += 1
            rec = json_object(path, lineno, text, what="an EVE line")
            if "timestamp" not in rec or "event_type" not in rec:
                raise InputError("not an EVE record (no timestamp or event_type)", file=path, line=lineno)
            raw, doc_id = eve_event(rec, Where(path, lineno))
            etype = raw["suricata.eve.event_type"]
            if etype not in KNOWN:
                if etype not in unknown and len(unknown) >= _MAX_UNKNOWN:
                    etype = ""  # bounded: a hostile file may name a new type on every line
                unknown.setdefault(etype, [0, lineno])[0] += 1
            event = identified(complete(raw, directions, labels), doc_id)
            yield event
            if event.get("event.type") == "connection" and etype == "flow":
                auth = auth_event(event)
                if auth is not None:
                    yield derived(event, "auth", auth)
    finally:
        for etype, (count, first) in unknown.items():
            if not etype:
                report.warn(f"{path}: {count} events of further unknown EVE types (first on line {first})")
                continue
            report.warn(
                f"{path}: {count} events of unknown EVE type {etype!r} (first on line {first}) were kept"
                f" as generic events, their fields under suricata.eve.{etype}.*"
            )
