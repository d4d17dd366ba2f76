"""Zeek ``conn.log`` and ``dns.log``, TSV (``#fields`` header) or JSON lines, mapped to ECS as
the Filebeat Zeek module maps them (see docs/traffic-ingest.md for the table).

Damage: a data line whose field count differs from ``#fields`` (a missing column, a cut-off
last line), or a value of the wrong type, stops the read with :class:`InputError` naming the
line (and field); every record before it has been yielded, the damaged one is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic import ecs
from sectool.traffic.readers.common import complete, json_object, lines
from sectool.traffic.readers.conn import auth_event
from sectool.traffic.readers.dns import question_fields
from sectool.traffic.readers.identity import derived, identified, raw_record_id, source_id, time_ns
from sectool.traffic.readers.options import DirectionClassifier, ReaderOptions, ReadReport
from sectool.traffic.readers.values import Where

__all__ = ["CONN_FIELDS", "DNS_FIELDS", "read_zeek", "zeek_kind"]

#: Zeek conn.log field -> ECS field (values converted on the way).
CONN_FIELDS: dict[str, str] = {
    "ts": "@timestamp",
    "uid": "event.id",
    "id.orig_h": "source.ip",
    "id.orig_p": "source.port",
    "id.resp_h": "destination.ip",
    "id.resp_p": "destination.port",
    "proto": "network.transport",
    "service": "network.protocol",
    "duration": "event.duration",
    "orig_ip_bytes": "source.bytes",
    "resp_ip_bytes": "destination.bytes",
    "orig_pkts": "source.packets",
    "resp_pkts": "destination.packets",
    "conn_state": "sectool.connection.state",
}
#: Zeek dns.log field -> ECS field.
DNS_FIELDS: dict[str, str] = {
    "ts": "@timestamp",
    "uid": "event.id",
    "id.orig_h": "source.ip",
    "id.orig_p": "source.port",
    "id.resp_h": "destination.ip",
    "id.resp_p": "destination.port",
    "proto": "network.transport",
    "trans_id": "dns.id",
    "query": "dns.question.name",
    "qtype_name": "dns.question.type",
    "rcode_name": "dns.response_code",
    "answers": "dns.answers.data",
}
_REQUIRED = ("ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto")
_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")


def zeek_kind(path_name: str | None, keys: set[str]) -> str | None:
    """``conn`` or ``dns`` from the ``#path`` / ``_path`` value or the fields present."""
    if path_name in ("conn", "dns"):
        return path_name
    if "conn_state" in keys or "orig_ip_bytes" in keys:
        return "conn"
    if "query" in keys or "qtype_name" in keys or "trans_id" in keys:
        return "dns"
    return None


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "\\x" in text else text


_PORT_FIELDS = frozenset({"id.orig_p", "id.resp_p"})
_COUNT_FIELDS = frozenset({"orig_ip_bytes", "resp_ip_bytes", "orig_pkts", "resp_pkts"})
_IP_FIELDS = frozenset({"id.orig_h", "id.resp_h"})


def _convert(name: str, value: Any, where: Where) -> Any:
    """A Zeek value (already unset/empty-resolved) -> the ECS value; :class:`InputError` if bad."""
    if value is None:
        return None
    if name == "ts":
        return where.time(name, value)
    if name in _PORT_FIELDS:
        return where.port(name, value)
    if name in _COUNT_FIELDS:
        return where.count(name, value)
    if name in _IP_FIELDS:
        return where.ip(name, value)
    if name == "duration":
        seconds = where.seconds(name, value)
        return None if seconds is None else round(seconds * 1e9)
    if name == "trans_id":
        number = where.integer(name, value, 0, 65535, "a DNS transaction id 0..65535")
        return None if number is None else str(number)
    if name == "service":
        items = value if isinstance(value, list) else str(value).split(",")
        first = str(items[0]).strip().lower() if items else ""
        return {"ssl": "tls"}.get(first, first) or None
    if name == "answers":
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items if str(v) != ""] or None
    if isinstance(value, (list, dict)):
        if value == []:  # an empty Zeek set/vector in a string column: nothing seen
            return None
        raise where.fail(name, value, "a single value")
    if name == "proto":
        return str(value).lower() or None
    return str(value) if str(value) != "" else None


def _event(kind: str, record: dict[str, Any], path: Path, lineno: int) -> dict[str, Any]:
    mapping = CONN_FIELDS if kind == "conn" else DNS_FIELDS
    where = Where(path, lineno)
    event: dict[str, Any] = {}
    for zeek_name, ecs_name in mapping.items():
        event[ecs_name] = _convert(zeek_name, record.get(zeek_name), where)
    if event.get("@timestamp") is None:
        raise InputError("record without a timestamp", file=path, line=lineno, field="ts")
    if event.get("network.transport") == "icmp" and ":" in str(event.get("source.ip")):
        event["network.transport"] = "ipv6-icmp"
    event["event.kind"] = "event"
    event["event.category"] = "network"
    event["event.module"] = "zeek"
    if kind == "conn":
        event["event.type"] = "connection"
        event["event.dataset"] = "zeek.conn"
        start, duration = event.get("@timestamp"), event.get("event.duration")
        event["event.start"] = start
        if start is not None and duration is not None:
            from datetime import timedelta

            event["event.end"] = start + timedelta(microseconds=duration // 1000)
    else:
        event["event.type"] = "protocol"
        event["event.dataset"] = "zeek.dns"
        event["network.protocol"] = "dns"
        event["dns.type"] = "answer" if event.get("dns.response_code") else "query"
        name = event.pop("dns.question.name", None)
        qtype = event.pop("dns.question.type", None)
        if name:
            event.update(question_fields(name, qtype))
        elif qtype:
            event["dns.question.type"] = qtype
        if not event.get("dns.answers.data"):
            event["dns.answers.data"] = None
    unknown = ecs.unknown_fields(event)
    assert not unknown, unknown  # the mapping tables only name ECS fields
    return event


def _doc_id(kind: str, record: dict[str, Any], event: dict[str, Any]) -> str:
    """The document id from the Zeek record's identity (see :mod:`.identity`)."""
    uid = record.get("uid")
    dataset = f"zeek.{kind}"
    if not uid:
        return raw_record_id(dataset, record)
    if kind == "conn":
        return source_id(dataset, uid)
    query = record.get("query")
    return source_id(
        dataset, uid, event.get("dns.id"), None if query is None else str(query), time_ns(event["@timestamp"])
    )


def read_zeek(
    path: Path, options: ReaderOptions, labels: dict[str, Any], report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Events of a Zeek conn.log or dns.log (TSV or JSON lines)."""
    directions = DirectionClassifier(options.internal)
    first = True
    tsv = False
    sep, set_sep, empty, unset = "\t", ",", "(empty)", "-"
    fields: list[str] | None = None
    #: Columns of type set[...] / vector[...]; without a #types line Zeek's own choice for these.
    containers: set[str] = {"answers", "TTLs"}
    kind: str | None = None
    path_name: str | None = None
    for lineno, text in lines(path, require_line_end=True, report=report):
        report.lines += 1
        if first:
            tsv = text.startswith("#separator")
            first = False
        if tsv:
            if text.startswith("#"):
                directive, _, rest = text.partition(sep if not text.startswith("#separator") else " ")
                value = _unescape(rest)
                if directive == "#separator":
                    sep = value
                elif directive == "#set_separator":
                    set_sep = value
                elif directive == "#empty_field":
                    empty = value
                elif directive == "#unset_field":
                    unset = value
                elif directive == "#path":
                    path_name = value
                elif directive == "#types" and fields is not None:
                    types = rest.split(sep)
                    containers = {
                        n for n, t in zip(fields, types, strict=False) if t.startswith(("set[", "vector["))
                    }
                elif directive == "#fields":
                    fields = rest.split(sep)
                    kind = zeek_kind(path_name, set(fields))
                    if kind is None:
                        raise InputError(
                            "not a Zeek conn or dns log", file=path, line=lineno, value=path_name
                        )
                    for need in _REQUIRED:
                        if need not in fields:
                            raise InputError("missing Zeek column", file=path, line=lineno, field=need)
                continue
            if fields is None or kind is None:
                raise InputError("data line before the #fields header", file=path, line=lineno)
            values = text.split(sep)
            if len(values) != len(fields):
                raise InputError(
                    f"{len(values)} columns where #fields names {len(fields)} "
                    "(a missing column or a cut-off line)",
                    file=path,
                    line=lineno,
                )
            record: dict[str, Any] = {}
            for name, raw in zip(fields, values, strict=True):
                if raw == unset:
                    record[name] = None
                elif raw == empty:
                    # "(empty)" is an empty set/vector; in a string column it is an empty string.
                    record[name] = [] if name in containers else ""
                elif name == "answers" or name == "service":
                    record[name] = [_unescape(v) for v in raw.split(set_sep)]
                else:
                    record[name] = _unescape(raw)
        else:
            record = ecs.flatten(json_object(path, lineno, text))
            line_kind = zeek_kind(record.get("_path"), set(record))
            if line_kind is None:
                raise InputError("not a Zeek conn or dns record", file=path, line=lineno)
            kind = line_kind
            for need in _REQUIRED:
                if need not in record:
                    raise InputError("missing Zeek field", file=path, line=lineno, field=need)
        event = complete(_event(kind, record, path, lineno), directions, labels)
        event = identified(event, _doc_id(kind, record, event))
        yield event
        if kind == "conn":
            auth = auth_event(event)
            if auth is not None:
                yield derived(event, "auth", auth)
