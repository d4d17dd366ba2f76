"""Which Zeek log a record is, and its mapping to ECS by the tables of :mod:`.zeek_tables`
(Filebeat / Elastic Agent Zeek integration; docs/traffic-ingest.md lists them).

What ECS has a field for goes there; every other field keeps its Zeek name under
``zeek.<log>.<field>`` (Filebeat's namespace); extra columns that Zeek does not write (data set
labels such as the CTU ``label`` / ``detailed-label``) go to ``labels.<name>``. A log sectool has
no table for becomes a generic event of dataset ``zeek.<path>``, its ``id.*`` mapped to source and
destination, everything else under ``zeek.<path>.*``. Secrets Zeek may log (HTTP/FTP/SOCKS
passwords) are never indexed.
"""

from __future__ import annotations

import re
from typing import Any

from sectool.errors import InputError
from sectool.traffic.readers.values import Where, check_free_name
from sectool.traffic.readers.zeek_spec import COMMON, LogSpec, keys
from sectool.traffic.readers.zeek_tables import TABLES
from sectool.traffic.readers.zeek_values import CONVERTERS, free_value

__all__ = ["LOGS", "SKIPPED", "LogSpec", "generic", "guess_log", "is_label", "map_record"]

#: The logs sectool maps, by Zeek path.
LOGS: dict[str, LogSpec] = {spec.name: spec for spec in TABLES}
#: Logs about the sensor's own configuration, not traffic: knowingly skipped, with one note.
SKIPPED: frozenset[str] = frozenset({"packet_filter", "loaded_scripts"})
_SKIPPED_SIGNATURES = keys("filter init", "filter node")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
#: Columns data sets add to Zeek logs (Stratosphere CTU: label, detailed-label).
_LABEL_NAMES = frozenset({"label", "labels", "detailed-label", "detailedlabel", "detailed_label"})


def _dotted(name: str) -> str | None:
    """``name`` without empty dotted parts (``a..b`` -> ``a.b``, ``x.`` -> ``x``): Elasticsearch
    refuses a field name with an empty part, and such names come from hostile or cut headers."""
    if ".." not in name and not name.startswith(".") and not name.endswith("."):
        return name
    parts = [p for p in name.split(".") if p]
    return ".".join(parts) or None


def is_label(name: str) -> bool:
    """Whether a column is not Zeek's but a data set's label: a known label name, or a name Zeek
    cannot write (Zeek's field names are identifiers)."""
    return name.lower() in _LABEL_NAMES or not _IDENTIFIER.match(name)


def guess_log(keys: set[str]) -> str | None:
    """The log a JSON record without ``_path`` comes from, by its Zeek-typical keys."""
    if keys == {"name"}:
        return "loaded_scripts"
    if any(group <= keys for group in _SKIPPED_SIGNATURES):
        return "packet_filter"
    for spec in LOGS.values():
        if any(group <= keys for group in spec.signatures):
            return spec.name
    return None


def generic(name: str) -> LogSpec:
    """The spec of a log sectool has no table for: ``zeek.<path>``, fields under that namespace."""
    return LogSpec(name, f"zeek.{name}", type="info")


def map_record(spec: LogSpec, record: dict[str, Any], where: Where) -> dict[str, Any]:
    """The flat ECS event of one Zeek record (a flat dict, ``None`` for unset values)."""
    prefix = spec.dataset + "."  # Filebeat: zeek.connection.*, zeek.dns.*, ...
    event: dict[str, Any] = {
        "event.kind": spec.kind,
        "event.category": spec.category,
        "event.type": spec.type,
        "event.module": "zeek",
        "event.dataset": spec.dataset,
        "network.protocol": spec.protocol,
        "network.transport": spec.transport,
    }
    fields = spec.fields
    for name, value in record.items():
        if value is None:
            continue
        targets = fields.get(name) or COMMON.get(name)
        if targets is None:
            if name in spec.drop:
                continue
            free = _dotted(name)
            if free is None:
                continue  # a name of dots only: nothing to file it under
            key = f"labels.{free}" if is_label(name) else prefix + free
            event[check_free_name(key, where.file, where.line)] = free_value(value)
            continue
        for ecs_name, conv in targets:
            converted = CONVERTERS[conv](where, name, value)
            if converted is None:
                continue
            if ecs_name.startswith("related."):
                event[ecs_name] = (event.get(ecs_name) or []) + converted
            else:
                event[ecs_name] = converted
        if name in spec.keep:
            event[prefix + name] = free_value(value)
    if event.get("@timestamp") is None:
        raise InputError("record without a timestamp", file=where.file, line=where.line, field="ts")
    if event.get("network.transport") == "icmp" and ":" in str(event.get("source.ip")):
        event["network.transport"] = "ipv6-icmp"
    if spec.finish is not None:
        spec.finish(event, record, where)
    _related(event)
    return event


def _related(event: dict[str, Any]) -> None:
    """``related.ip`` / ``related.user``, as every Filebeat Zeek pipeline appends them."""
    ips = [event.get("source.ip"), event.get("destination.ip"), *(event.get("related.ip") or [])]
    unique = list(dict.fromkeys(ip for ip in ips if ip))
    event["related.ip"] = unique or None
    if event.get("user.name"):
        event["related.user"] = [event["user.name"]]
    for key in ("related.hosts", "related.hash"):
        if event.get(key):
            event[key] = list(dict.fromkeys(event[key]))
