"""Document ids from the identity of the *source record*, not from the derived event.

An event's Elasticsearch ``_id`` must stay the same when the same input is read again with other
labels (``--site``, ``--internal``, another path) or by a newer sectool whose mapping adds a
field; otherwise re-ingesting duplicates every document. So each reader names what identifies a
record in its own format (see docs/traffic-ingest.md, "Document ids"):

* Zeek conn: ``zeek.conn`` + ``uid``; Zeek dns: ``zeek.dns`` + ``uid`` + ``trans_id`` + ``query``
  + ``ts`` (one connection carries many DNS transactions);
* Suricata EVE: ``flow_id`` + ``event_type`` + ``timestamp`` (+ the DNS id, type, name and, for
  the one-answer-per-line v1 format, the answer; + the alert's gid/signature id/rev);
* pcap flows: ``sectool.flow`` + community id + first-packet time in ns; DNS transactions of a
  capture: ``sectool.dns`` + community id + time in ns + DNS id;
* ECS NDJSON: ``event.id`` when present (with the dataset, kind, category, type and timestamp,
  because Filebeat gives a Zeek connection and its DNS records the same ``event.id``), else a hash
  of the document as it is in the file (before sectool's labels).

Derived events (the authentication heuristic) take their parent's id plus a suffix.
The id is BLAKE2b-128 (hex) over the parts; a record without its identity field falls back to
the hash of the raw record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["SourceEvent", "derived", "identified", "raw_record_id", "source_id", "time_ns"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SourceEvent(dict[str, Any]):
    """A flat ECS event that also knows the document id of the source record it came from.

    It compares, iterates and serialises like the plain dict it is; only :attr:`doc_id` is extra.
    """

    __slots__ = ("doc_id",)

    def __init__(self, data: Mapping[str, Any], doc_id: str) -> None:
        super().__init__(data)
        self.doc_id = doc_id


def time_ns(value: Any) -> int | None:
    """A timestamp (aware ``datetime``) as integer ns since the epoch; ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        delta = value.astimezone(UTC) - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
    return int(value)


def source_id(*parts: Any) -> str:
    """The document id of a source record named by ``parts`` (strings, numbers, ``None``)."""
    # Unit separator between parts, NUL for an unset part: unambiguous for text without control
    # characters, and several times cheaper than JSON.
    text = "\x1f".join("\x00" if p is None else str(p) for p in parts)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def raw_record_id(kind: str, record: Mapping[str, Any]) -> str:
    """The id of a record that carries no identity field: the hash of the record itself."""
    return source_id(kind, json.dumps(record, sort_keys=True, default=str, ensure_ascii=False))


def identified(event: Mapping[str, Any], doc_id: str) -> SourceEvent:
    """``event`` with its source document id attached."""
    return SourceEvent(event, doc_id)


def derived(parent: Mapping[str, Any], suffix: str, event: Mapping[str, Any]) -> SourceEvent | dict[str, Any]:
    """An event derived from ``parent`` (the auth heuristic): the parent's id plus ``suffix``."""
    parent_id = getattr(parent, "doc_id", None)
    if parent_id is None:
        return dict(event)
    return SourceEvent(event, source_id(parent_id, suffix))
