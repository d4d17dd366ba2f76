"""The shape of a Zeek log's mapping (:class:`LogSpec`) and the steps a table cannot say
(derived fields, outcomes), shared by the tables in :mod:`.zeek_tables`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sectool.traffic.readers.dns import question_fields
from sectool.traffic.readers.values import Where
from sectool.traffic.readers.zeek_values import CONVERTERS, tls_version

__all__ = [
    "COMMON",
    "Finisher",
    "LogSpec",
    "Targets",
    "finish_conn",
    "finish_dhcp",
    "finish_dns",
    "finish_files",
    "finish_http",
    "finish_modbus",
    "finish_notice",
    "finish_reporter",
    "finish_ssl",
    "keys",
    "targets",
]

#: (event, record, where) -> None: what a table cannot say (derived fields, outcomes).
Finisher = Callable[[dict[str, Any], dict[str, Any], Where], None]
#: Zeek field -> ((ECS field, converter name), ...).
Targets = tuple[tuple[str, str], ...]


def targets(table: Mapping[str, str | tuple[str, ...]]) -> dict[str, Targets]:
    """``{"method": "http.request.method", "x": ("a:count", "b")}`` -> converter pairs."""
    out: dict[str, Targets] = {}
    for name, spec in table.items():
        items = (spec,) if isinstance(spec, str) else spec
        out[name] = tuple((item.partition(":")[0], item.partition(":")[2] or "text") for item in items)
    return out


#: Fields every log with a connection id has.
COMMON: dict[str, Targets] = targets(
    {
        "ts": "@timestamp:time",
        "uid": "event.id",
        "id.orig_h": "source.ip:ip",
        "id.orig_p": "source.port:port",
        "id.resp_h": "destination.ip:ip",
        "id.resp_p": "destination.port:port",
        "proto": "network.transport:lower",
        "_system_name": "observer.hostname",  # json-streaming-logs: the sensor that wrote it
    }
)


@dataclass(frozen=True)
class LogSpec:
    """How one Zeek log maps to ECS."""

    name: str
    dataset: str
    category: str = "network"
    type: str = "protocol"
    kind: str = "event"
    protocol: str | None = None
    transport: str | None = None
    fields: dict[str, Targets] = field(default_factory=dict)
    #: Mapped fields whose Zeek value is also kept under ``zeek.<log>.*`` (the mapping loses detail).
    keep: frozenset[str] = frozenset()
    #: Fields never indexed (secrets).
    drop: frozenset[str] = frozenset()
    #: Fields that tell apart the records of one connection (with uid and ts) in the document id.
    id_fields: tuple[str, ...] = ()
    finish: Finisher | None = None
    #: Key groups that identify a JSON record without ``_path`` (any group, all its keys).
    signatures: tuple[frozenset[str], ...] = ()


def keys(*groups: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(g.split()) for g in groups)


# --- finishers ---------------------------------------------------------------------------------


def finish_conn(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    start, duration = event.get("@timestamp"), event.get("event.duration")
    event["event.start"] = start
    if start is not None and duration is not None:
        event["event.end"] = start + timedelta(microseconds=duration // 1000)
    if event.get("network.transport") in ("icmp", "ipv6-icmp"):
        # Zeek logs an ICMP flow's type in id.orig_p and its code in id.resp_p
        event["sectool.icmp.type"] = event.get("source.port")
        event["sectool.icmp.code"] = event.get("destination.port")


def finish_dns(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    event["dns.type"] = "answer" if event.get("dns.response_code") else "query"
    name = event.pop("dns.question.name", None)
    qtype = event.pop("dns.question.type", None)
    if name:
        event.update(question_fields(name, qtype))
    elif qtype:
        event["dns.question.type"] = qtype
    trans_id = event.get("dns.id")
    if trans_id is not None:
        number = where.integer("trans_id", trans_id, 0, 65535, "a DNS transaction id 0..65535")
        event["dns.id"] = str(number)
    flags = [flag for flag in ("AA", "TC", "RD", "RA") if record.get(flag) in (True, "T")]
    if flags:
        event["dns.header_flags"] = flags


def finish_http(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    uri = event.get("url.original")
    if uri:
        rest = uri.split("://", 1)[1] if "://" in uri else uri
        if "://" in uri:
            rest = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        path, _, query = rest.partition("?")
        event["url.path"] = path or None
        event["url.query"] = query or None
    if event.get("url.domain") is not None:
        event["url.port"] = event.get("destination.port")


def finish_ssl(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    version = record.get("version")
    split = tls_version(version) if isinstance(version, str) else None
    if split is not None:
        event["tls.version_protocol"], event["tls.version"] = split


def finish_notice(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    # A notice about a host (a scan) has no connection: src/dst/p name the parties.
    if event.get("source.ip") is None:
        event["source.ip"] = CONVERTERS["ip"](where, "src", record.get("src") or [])
    if event.get("destination.ip") is None:
        event["destination.ip"] = CONVERTERS["ip"](where, "dst", record.get("dst") or [])
    if event.get("destination.port") is None and record.get("p") is not None:
        event["destination.port"] = CONVERTERS["port"](where, "p", record["p"])


def finish_files(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    hosts = (CONVERTERS["ips"](where, "tx_hosts", record.get("tx_hosts") or []) or []) + (
        CONVERTERS["ips"](where, "rx_hosts", record.get("rx_hosts") or []) or []
    )
    event["related.ip"] = hosts or None


def finish_dhcp(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    extra = [record.get("assigned_addr"), record.get("requested_addr")]
    event["related.ip"] = CONVERTERS["ips"](where, "assigned_addr", [a for a in extra if a]) or None
    # Typed copies the scan detector aggregates (a zeek.* value is a keyword in a flattened
    # object, which Elasticsearch cannot count distinct per client).
    for name, target in (
        ("requested_addr", "sectool.dhcp.requested_ip"),
        ("assigned_addr", "sectool.dhcp.assigned_ip"),
    ):
        value = record.get(name)
        if value:
            event[target] = CONVERTERS["ip"](where, name, value)


def finish_reporter(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    level = event.get("log.level")
    if level:
        event["log.level"] = level.rsplit("::", 1)[-1].lower()


def finish_modbus(event: dict[str, Any], record: dict[str, Any], where: Where) -> None:
    event["event.outcome"] = "failure" if event.get("event.reason") else "success"
