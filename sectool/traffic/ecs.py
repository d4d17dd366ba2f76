"""The Elastic Common Schema fields sectool reads and writes: the contract between readers,
the simulator, the Elasticsearch index template, and the detection backends.

Events travel in two shapes:

* **flat** (``{"source.ip": "10.0.0.1", ...}``): one column per dotted field; used by the
  readers, local Parquet/JSONL files and the pandas backend;
* **nested** (``{"source": {"ip": "10.0.0.1"}}``): the Elasticsearch document.

Custom fields that ECS does not define live under ``sectool.*`` (ECS's advice for custom fields);
what a sensor writes beyond ECS keeps its own names under ``zeek.*``, ``suricata.*`` (as Filebeat
writes them) and ``labels.*`` (:data:`NAMESPACES`). Multi-valued fields (:data:`MULTI_VALUED`) are
lists in both shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "ECS_VERSION",
    "FIELDS",
    "MULTI_VALUED",
    "NAMESPACES",
    "flatten",
    "is_known",
    "namespace_of",
    "nest",
]

#: Every field sectool knows, with its Elasticsearch mapping type.
FIELDS: dict[str, str] = {
    "@timestamp": "date",
    "ecs.version": "keyword",
    "message": "text",
    "tags": "keyword",
    "event.id": "keyword",
    "event.kind": "keyword",  # event | alert | metric
    "event.category": "keyword",  # network | authentication | intrusion_detection | file | ...
    "event.type": "keyword",  # connection | protocol | start | info | denied | allowed ...
    "event.action": "keyword",  # what happened, as the source words it (ssh-login, arp-request, ...)
    "event.outcome": "keyword",  # success | failure | unknown
    "event.reason": "keyword",
    "event.dataset": "keyword",  # sectool.flow | zeek.connection | zeek.dns | suricata.eve | ...
    "event.module": "keyword",  # sectool | zeek | suricata
    "event.provider": "keyword",
    "event.duration": "long",  # nanoseconds
    "event.severity": "long",
    "event.start": "date",
    "event.end": "date",
    "event.ingested": "date",
    "source.ip": "ip",
    "source.port": "long",
    "source.mac": "keyword",
    "source.domain": "keyword",
    "source.bytes": "long",
    "source.packets": "long",
    "destination.ip": "ip",
    "destination.port": "long",
    "destination.mac": "keyword",
    "destination.domain": "keyword",
    "destination.bytes": "long",
    "destination.packets": "long",
    "network.transport": "keyword",  # tcp | udp | icmp | ipv6-icmp
    "network.protocol": "keyword",  # application protocol: dns | ssh | rdp | smb | http | tls ...
    "network.application": "keyword",
    "network.direction": "keyword",  # internal | inbound | outbound | external
    "network.community_id": "keyword",
    "network.bytes": "long",
    "network.packets": "long",
    "network.type": "keyword",  # ipv4 | ipv6
    "network.name": "keyword",
    "network.vlan.id": "keyword",
    "dns.id": "keyword",
    "dns.type": "keyword",  # query | answer
    "dns.header_flags": "keyword",
    "dns.question.name": "keyword",
    "dns.question.registered_domain": "keyword",
    "dns.question.subdomain": "keyword",
    "dns.question.top_level_domain": "keyword",
    "dns.question.type": "keyword",
    "dns.question.class": "keyword",
    "dns.response_code": "keyword",
    "dns.answers.data": "keyword",
    "tls.version": "keyword",
    "tls.version_protocol": "keyword",
    "tls.cipher": "keyword",
    "tls.curve": "keyword",
    "tls.next_protocol": "keyword",
    "tls.established": "keyword",  # "true" | "false" (sectool keeps booleans as keywords)
    "tls.resumed": "keyword",
    "tls.client.server_name": "keyword",
    "tls.client.ja3": "keyword",
    "tls.client.ja4": "keyword",  # FoxIO JA4; not (yet) an ECS field
    "tls.client.subject": "keyword",
    "tls.client.issuer": "keyword",
    "tls.server.ja3s": "keyword",
    "tls.server.subject": "keyword",
    "tls.server.issuer": "keyword",
    "tls.server.not_before": "date",
    "tls.server.not_after": "date",
    "tls.server.hash.sha1": "keyword",
    "http.version": "keyword",
    "http.request.method": "keyword",
    "http.request.referrer": "keyword",
    "http.request.body.bytes": "long",
    "http.response.status_code": "long",
    "http.response.body.bytes": "long",
    "http.response.mime_type": "keyword",
    "url.original": "keyword",
    "url.domain": "keyword",
    "url.path": "keyword",
    "url.port": "long",
    "url.query": "keyword",
    "user_agent.original": "keyword",
    "file.name": "keyword",
    "file.path": "keyword",
    "file.size": "long",
    "file.mime_type": "keyword",
    "file.hash.md5": "keyword",
    "file.hash.sha1": "keyword",
    "file.hash.sha256": "keyword",
    "user.name": "keyword",
    "user.domain": "keyword",
    "user.id": "keyword",
    "user.email": "keyword",
    "related.ip": "ip",
    "related.hosts": "keyword",
    "related.user": "keyword",
    "related.hash": "keyword",
    "host.name": "keyword",
    "host.hostname": "keyword",
    "host.id": "keyword",
    "host.ip": "ip",
    "host.mac": "keyword",
    "host.os.name": "keyword",
    "host.os.version": "keyword",
    "agent.name": "keyword",
    "agent.type": "keyword",
    "agent.version": "keyword",
    "agent.id": "keyword",
    "observer.name": "keyword",  # the sensor
    "observer.type": "keyword",
    "observer.hostname": "keyword",
    "observer.vendor": "keyword",
    "observer.product": "keyword",
    "observer.version": "keyword",
    "service.name": "keyword",
    "rule.id": "keyword",
    "rule.uuid": "keyword",
    "rule.name": "keyword",
    "rule.category": "keyword",
    "rule.version": "keyword",
    "rule.ruleset": "keyword",
    "rule.description": "keyword",
    "rule.reference": "keyword",
    "rule.author": "keyword",
    "log.file.path": "keyword",  # the input file (Filebeat's name for it)
    "log.level": "keyword",
    "sectool.site": "keyword",  # site or log source the event came from
    "sectool.connection.state": "keyword",  # Zeek conn_state vocabulary: S0 SF REJ RSTO ...
    "sectool.ssh.client": "keyword",  # SSH software banners (ECS has no SSH fields)
    "sectool.ssh.server": "keyword",
    "sectool.icmp.type": "long",
    "sectool.icmp.code": "long",
    "sectool.kerberos.request_type": "keyword",  # AS | TGS (ECS has no Kerberos fields)
    "sectool.kerberos.error": "keyword",  # KDC_ERR_PREAUTH_FAILED, ...
    "sectool.ntlm.workstation": "keyword",  # the client's NetBIOS name in an NTLM AUTHENTICATE
    "sectool.ntlm.version": "keyword",  # v1 | v2 (from the NT response length)
    "sectool.dhcp.requested_ip": "ip",  # DHCP option 50 (ECS has no DHCP fields)
    "sectool.dhcp.assigned_ip": "ip",  # yiaddr of the server's answer
}

#: Fields that hold a list of values (ECS arrays that sectool keeps as lists).
MULTI_VALUED: frozenset[str] = frozenset(
    {
        "dns.answers.data",
        "dns.header_flags",
        "tags",
        "related.ip",
        "related.hosts",
        "related.user",
        "related.hash",
        "host.ip",
        "host.mac",
    }
)

#: Namespaces whose names are free: what a sensor writes that ECS has no field for
#: (``zeek.<log>.<field>``, ``suricata.eve.<type>.<field>``, as Filebeat) and ECS's ``labels``
#: (extra columns such as a data set's labels). Their values are scalars or lists of scalars;
#: Elasticsearch maps each namespace as one ``flattened`` field, Parquet keeps each as one JSON
#: column (see :mod:`sectool.traffic.localstore`).
NAMESPACES: tuple[str, ...] = ("zeek", "suricata", "labels")
_NAMESPACE_PREFIXES: tuple[str, ...] = tuple(f"{ns}." for ns in NAMESPACES)

#: The ECS version whose field names and types sectool follows (``ecs.version`` of its events).
ECS_VERSION = "8.11.0"


def namespace_of(name: str) -> str | None:
    """The namespace (``zeek``, ``suricata``, ``labels``) of a free name, else ``None``."""
    if name.startswith(_NAMESPACE_PREFIXES) and name not in FIELDS:
        return name.split(".", 1)[0]
    return None


def is_known(name: str) -> bool:
    """Whether a flat event may hold ``name``: an ECS field of :data:`FIELDS` or a free name in a
    namespace (:data:`NAMESPACES`) with at least one more dotted part."""
    return name in FIELDS or (name.startswith(_NAMESPACE_PREFIXES) and len(name) > name.index(".") + 1)


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
    """Field names that are neither in :data:`FIELDS` nor free names of a namespace."""
    return sorted(n for n in names if not is_known(n))
