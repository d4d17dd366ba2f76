"""What the Elastic stack adds to every event on its way in, added by sectool the same way.

Filebeat and Elastic Agent write ``ecs.version``; their ingest pipelines set ``event.ingested``
(when the event reached the cluster) and collect the event's addresses, names, users and hashes
into ``related.ip``, ``related.hosts``, ``related.user`` and ``related.hash``, the fields Elastic
Security's pivots and the Kibana "related" filters search. sectool's readers leave those to this
one step (:func:`enrich`), applied to every event read from a capture or sensor log. ECS NDJSON is
taken as it is (Filebeat's documents carry these fields already); the compiled NDJSON path gets
``ecs.version`` and ``event.ingested`` through the labels, which fill only what a line leaves unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sectool.traffic.ecs import ECS_VERSION

__all__ = ["RELATED", "enrich", "stamp_labels"]

#: ``related.*`` field -> the fields whose values it collects (in this order, without repeats).
RELATED: dict[str, tuple[str, ...]] = {
    "related.ip": ("source.ip", "destination.ip", "host.ip"),
    "related.hosts": (
        "host.name",
        "host.hostname",
        "source.domain",
        "destination.domain",
        "url.domain",
        "tls.client.server_name",
        "dns.question.name",
    ),
    "related.user": ("user.name",),
    "related.hash": (
        "tls.client.ja3",
        "tls.client.ja4",
        "tls.server.ja3s",
        "tls.server.hash.sha1",
        "file.hash.md5",
        "file.hash.sha1",
        "file.hash.sha256",
    ),
}


def stamp_labels(labels: Mapping[str, Any], ingested: datetime | None) -> dict[str, Any]:
    """``labels`` plus ``ecs.version`` and, when the events go to Elasticsearch, ``event.ingested``."""
    out = dict(labels)
    out.setdefault("ecs.version", ECS_VERSION)
    if ingested is not None:
        out.setdefault("event.ingested", ingested)
    return out


def enrich(event: dict[str, Any]) -> dict[str, Any]:
    """Fill ``related.*`` from the event's own fields (in place; the event keeps its id)."""
    for target, sources in RELATED.items():
        if event.get(target) is not None:
            continue
        values: list[str] = []
        for name in sources:
            value = event.get(name)
            if value is None:
                continue
            for item in value if isinstance(value, list) else (value,):
                if item is not None and item != "" and item not in values:
                    values.append(str(item))
        if values:
            event[target] = values
    return event
