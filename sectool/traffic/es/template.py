"""The index template for sectool events, and time-based index names.

Events go to daily indices ``<prefix>-YYYY.MM.DD`` (UTC day of ``@timestamp``), so that
retention is a matter of deleting old indices and searches over a time range touch few of
them. One composable index template per prefix maps every field of
:data:`sectool.traffic.ecs.FIELDS` explicitly (``ip``, ``keyword``, ``date``, ``long``) and
is strict: a document with a field outside the contract is rejected (and counted), never
silently mapped to ``text``. The free namespaces (``zeek``, ``suricata``, ``labels``) are one
``flattened`` field each.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sectool.errors import InputError
from sectool.traffic.ecs import FIELDS, NAMESPACES
from sectool.traffic.readers.values import NAMESPACE_DEPTH

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = [
    "DEFAULT_PREFIX",
    "checked_index_name",
    "ensure_template",
    "index_name",
    "index_pattern",
    "mappings",
    "template_body",
    "validate_prefix",
]

DEFAULT_PREFIX = "sectool-events"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def validate_prefix(prefix: str) -> str:
    """An index prefix Elasticsearch accepts (lower case; letters, digits, ``.``, ``_``, ``-``);
    short enough for the ``-YYYY.MM.DD`` suffix."""
    return checked_index_name(prefix, what="index prefix", field="--index-prefix", max_length=201)


def checked_index_name(name: str, *, what: str, field: str, max_length: int = 255) -> str:
    """``name`` if Elasticsearch accepts it as a concrete index name (no wildcards), else an
    :class:`InputError` naming ``what`` and the option ``field``."""
    if len(name) > max_length or not _NAME.fullmatch(name) or name in (".", ".."):
        raise InputError(
            f"invalid {what}",
            field=field,
            value=name,
            expected="lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
            + (f", at most {max_length} characters" if len(name) > max_length else ""),
        )
    return name


def index_name(prefix: str, timestamp: datetime) -> str:
    """``<prefix>-YYYY.MM.DD`` for the UTC day of ``timestamp``."""
    return f"{prefix}-{timestamp.astimezone(UTC):%Y.%m.%d}"


def index_pattern(prefix: str) -> str:
    """The pattern that matches every daily index of ``prefix``."""
    return f"{prefix}-*"


def mappings() -> dict[str, Any]:
    """Explicit, strict mappings generated from the ECS field list."""
    root: dict[str, Any] = {}
    for name, kind in FIELDS.items():
        spec: dict[str, Any] = {"type": kind}
        if kind == "date":
            spec["format"] = "strict_date_optional_time||epoch_millis"
        elif kind == "keyword":
            spec["ignore_above"] = 1024
        if name.startswith("@"):
            root[name] = spec
            continue
        parts = name.split(".")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {"properties": {}})["properties"]
        node[parts[-1]] = spec
    for namespace in NAMESPACES:
        # What a sensor writes beyond ECS (zeek.*, suricata.*) and labels.*: free names, hostile
        # input, so one flattened field each (keyword semantics, no mapping explosion, no type
        # conflict between files); Kibana's KQL queries their sub-fields (zeek.ssh.auth_success: T).
        root[namespace] = {"type": "flattened", "ignore_above": 1024, "depth_limit": NAMESPACE_DEPTH}
    return {"dynamic": "strict", "properties": root}


def template_body(prefix: str, *, refresh_interval: str = "5s") -> dict[str, Any]:
    """The composable index template of ``prefix``.

    ``auto_expand_replicas: 0-1`` keeps a single development node green and gives a cluster
    one replica. A longer prefix gets a higher priority, so that overlapping patterns
    (``sectool-events-*`` and ``sectool-events-test-*``) resolve to the more specific one.
    """
    return {
        "index_patterns": [index_pattern(prefix)],
        "priority": 100 + len(prefix),
        "template": {
            "settings": {
                "number_of_shards": 1,
                "auto_expand_replicas": "0-1",
                "refresh_interval": refresh_interval,
            },
            "mappings": mappings(),
        },
        "_meta": {"managed_by": "sectool", "description": "sectool ECS events"},
    }


def ensure_template(client: Elasticsearch, prefix: str) -> None:
    """Install (or update) the template, and add new fields to indices that already exist."""
    body = template_body(prefix)
    client.indices.put_index_template(name=prefix, **body)
    existing = client.indices.get(index=index_pattern(prefix), allow_no_indices=True, expand_wildcards="open")
    if existing:
        # Mappings only grow: adding the fields of a newer contract to old indices is safe.
        client.indices.put_mapping(
            index=index_pattern(prefix), properties=body["template"]["mappings"]["properties"]
        )
