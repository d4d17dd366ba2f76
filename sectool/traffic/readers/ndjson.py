"""ECS NDJSON: one event per line, nested (``{"source": {"ip": ...}}``) or flat
(``{"source.ip": ...}``) keys, validated against :data:`sectool.traffic.ecs.FIELDS`.

Validation: every key must be a known ECS field (else :class:`InputError` naming the line and
field), ``@timestamp`` is required, dates are ISO 8601 with a zone or epoch milliseconds,
``long`` fields integers, ``ip`` fields IP addresses, keywords text. ECS's own list-of-objects
shape of ``dns.answers`` (``[{"data": ...}]``) is accepted. Events are taken as they are: the
site label only fills ``sectool.site``/``observer.name`` where they are unset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic.ecs import FIELDS, MULTI_VALUED, flatten
from sectool.traffic.localstore import event_id
from sectool.traffic.readers.common import lines, parse_time
from sectool.traffic.readers.identity import identified, source_id, time_ns
from sectool.traffic.readers.options import ReaderOptions, ReadReport
from sectool.traffic.readers.values import canonical_ip

__all__ = ["read_ndjson", "validate_value"]


def validate_value(field: str, value: Any) -> Any:
    """The value of an ECS field in its flat-event form; ``ValueError`` when it does not fit."""
    kind = FIELDS[field]
    if field in MULTI_VALUED:
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items if v is not None]
    if kind == "date":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, tz=UTC)  # ES epoch_millis
        return parse_time(value)
    if kind == "long":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ValueError("expected an integer")
        return value
    if kind == "ip":
        if not isinstance(value, str):
            raise ValueError("expected an IP address")
        return canonical_ip(value)
    if isinstance(value, (dict, list)):
        raise ValueError("expected a single value")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _doc_id(event: dict[str, Any]) -> str:
    """``event.id`` (made unique per record, see :mod:`.identity`) or the hash of the document."""
    if event.get("event.id") is None:
        return event_id(event)
    keys = ("event.id", "event.dataset", "event.kind", "event.category", "event.type")
    parts = [event.get(k) for k in keys]
    parts += [time_ns(event["@timestamp"]), event.get("dns.id"), event.get("dns.question.name")]
    return source_id("ecs", *parts)


def read_ndjson(
    path: Path, options: ReaderOptions, labels: dict[str, Any], report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Validated flat events of an ECS NDJSON file."""
    for lineno, text in lines(path):
        report.lines += 1
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON: {exc.msg} at column {exc.colno}", file=path, line=lineno
            ) from exc
        if not isinstance(doc, dict):
            raise InputError("a line must hold a JSON object", file=path, line=lineno)
        answers = doc.get("dns", {}).get("answers") if isinstance(doc.get("dns"), dict) else None
        if isinstance(answers, list):  # ECS: dns.answers is a list of objects
            doc["dns"] = {k: v for k, v in doc["dns"].items() if k != "answers"}
            doc["dns.answers.data"] = [a.get("data") if isinstance(a, dict) else a for a in answers]
        flat = flatten(doc)
        event: dict[str, Any] = {}
        for key, value in flat.items():
            if key not in FIELDS:
                raise InputError(
                    "unknown ECS field",
                    file=path,
                    line=lineno,
                    field=key,
                    expected="a field of sectool's ECS list",
                )
            if value is None:
                continue
            try:
                event[key] = validate_value(key, value)
            except (ValueError, TypeError, OverflowError) as exc:
                raise InputError(
                    f"bad value: {exc}", file=path, line=lineno, field=key, value=value, expected=FIELDS[key]
                ) from exc
        if "@timestamp" not in event:
            raise InputError("event without @timestamp", file=path, line=lineno, field="@timestamp")
        doc_id = _doc_id(event)
        for key, value in labels.items():
            event.setdefault(key, value)
        yield identified(event, doc_id)
