"""The Elastic Common Schema fields sectool reads and writes: the contract between readers,
the simulator, the Elasticsearch index template, and the detection backends.

Events travel in two shapes:

* **flat** (``{"source.ip": "10.0.0.1", ...}``): one column per dotted field; used by the
  readers, local Parquet/JSONL files and the pandas backend;
* **nested** (``{"source": {"ip": "10.0.0.1"}}``): the Elasticsearch document.

Custom fields that ECS does not define live under ``sectool.*`` (ECS's advice for custom fields).
Multi-valued fields (``dns.answers.data``) are lists in both shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "FIELDS",
    "MULTI_VALUED",
    "flatten",
    "nest",
]

#: Every field sectool knows, with its Elasticsearch mapping type.
FIELDS: dict[str, str] = {
    "@timestamp": "date",
    "event.id": "keyword",
    "event.kind": "keyword",  # event | alert
    "event.category": "keyword",  # network | authentication | intrusion_detection
    "event.type": "keyword",  # connection | protocol | start | info | denied
    "event.outcome": "keyword",  # success | failure | unknown
    "event.dataset": "keyword",  # sectool.pcap | zeek.conn | zeek.dns | suricata.eve | ...
    "event.module": "keyword",  # sectool | zeek | suricata
    "event.duration": "long",  # nanoseconds
    "event.severity": "long",
    "event.start": "date",
    "event.end": "date",
    "source.ip": "ip",
    "source.port": "long",
    "source.bytes": "long",
    "source.packets": "long",
    "destination.ip": "ip",
    "destination.port": "long",
    "destination.bytes": "long",
    "destination.packets": "long",
    "network.transport": "keyword",  # tcp | udp | icmp | ipv6-icmp
    "network.protocol": "keyword",  # application protocol: dns | ssh | rdp | smb | http | tls ...
    "network.direction": "keyword",  # internal | inbound | outbound | external
    "network.community_id": "keyword",
    "network.bytes": "long",
    "network.packets": "long",
    "network.type": "keyword",  # ipv4 | ipv6
    "dns.id": "keyword",
    "dns.type": "keyword",  # query | answer
    "dns.question.name": "keyword",
    "dns.question.registered_domain": "keyword",
    "dns.question.subdomain": "keyword",
    "dns.question.top_level_domain": "keyword",
    "dns.question.type": "keyword",
    "dns.response_code": "keyword",
    "dns.answers.data": "keyword",
    "user.name": "keyword",
    "observer.name": "keyword",  # the sensor
    "observer.type": "keyword",
    "observer.hostname": "keyword",
    "rule.id": "keyword",
    "rule.name": "keyword",
    "rule.category": "keyword",
    "sectool.site": "keyword",  # site or log source the event came from
    "sectool.connection.state": "keyword",  # Zeek conn_state vocabulary: S0 SF REJ RSTO ...
    "sectool.source_file": "keyword",
}

#: Fields that hold a list of values.
MULTI_VALUED: frozenset[str] = frozenset({"dns.answers.data"})


#: Split paths of dotted names, cached: ``nest`` runs once per event on the ingest hot path.
_PATHS: dict[str, tuple[tuple[str, ...], str]] = {}


def _path(key: str) -> tuple[tuple[str, ...], str]:
    found = _PATHS.get(key)
    if found is None:
        parts = () if key.startswith("@") else tuple(key.split("."))
        found = (parts[:-1], parts[-1]) if parts else ((), key)
        if len(_PATHS) < 10_000:  # bounded: keys come from hostile input too
            _PATHS[key] = found
    return found


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"source.ip": x}`` -> ``{"source": {"ip": x}}``; ``None`` values are left out.

    ``@timestamp`` stays a top-level key.
    """
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if value is None:
            continue
        parents, leaf = _path(key)
        node = out
        for part in parents:
            child = node.get(part)
            if type(child) is not dict:
                child = node[part] = {}
            node = child
        node[leaf] = value
    return out


def flatten(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The inverse of :func:`nest`."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        # type() first: documents come from json.loads (plain dicts); the ABC check is the slow path.
        if type(value) is dict or isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def unknown_fields(names: Iterable[str]) -> list[str]:
    """Field names that are not in :data:`FIELDS` (for validating ECS NDJSON input)."""
    return sorted(n for n in names if n not in FIELDS)
