"""One flat event -> the bytes of its ``_bulk`` ``create`` action and document.

:func:`encode` is the hot path of ``sectool traffic ingest``: it replaces ``to_action`` (dates to
ISO text, a second canonical pass for the id, :func:`sectool.traffic.ecs.nest`) followed by the
client's JSON encoding of every action. Per event *signature* (keys and value types, in order) it
keeps a plan: which values to convert and a byte template of the nested document; an event then
costs one ``orjson.dumps`` of its values put into the template. Events without a plan take a
per-field walk that converts each value and places it in the nested document. The result is
exactly what :func:`sectool.traffic.es.bulk.to_action` describes (same index, same id, a
``_source`` that decodes to the same document, keys in the same order): events with values outside
the fast paths' types (floats, booleans, numpy scalars, ``pandas.Timestamp``, timestamps as text,
integers beyond 64 bits) are encoded through ``to_action`` and the standard library as before.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from sectool.traffic.ecs import FIELDS, MULTI_VALUED
from sectool.traffic.localstore import document_id

__all__ = ["Encoded", "encode", "iso_utc"]

#: How a field's value is converted: 0 as it is, 1 a date (ISO 8601 Z text), 2 a list of text.
_AS_IS, _DATE, _LIST = 0, 1, 2
_CONVERT: dict[str, int] = {
    k: (_LIST if k in MULTI_VALUED else _DATE if t == "date" else _AS_IS) for k, t in FIELDS.items()
}


def _split(key: str) -> tuple[str | None, str, tuple[str, ...]]:
    """``(parent, leaf, deeper parents)`` of a dotted name, as :func:`sectool.traffic.ecs.nest`
    splits it (``@timestamp`` and other ``@`` names stay whole)."""
    if key.startswith("@") or "." not in key:
        return None, key, ()
    parts = key.split(".")
    return parts[0], parts[-1], tuple(parts[1:-1])


#: The split of every known field, computed once; other names are split per event (no cache:
#: they come from library callers and may be unbounded).
_PATHS: dict[str, tuple[str | None, str, tuple[str, ...]]] = {k: _split(k) for k in FIELDS}


class Encoded(NamedTuple):
    """One encoded document."""

    target: str  # the index
    doc_id: str
    #: The action line and the document line, each ending with ``\\n``.
    data: bytes


def iso_utc(value: datetime) -> str | None:
    """``localstore.iso_z`` of an aware ``datetime`` (microseconds, ``Z``), or ``None`` when the
    value is not a plain aware ``datetime`` of the years 1000-9999 (the caller falls back)."""
    if type(value) is not datetime or value.tzinfo is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if value.year < 1000:  # strftime("%Y") does not pad years below 1000; isoformat does
        return None
    # %-formatting is about twice as fast as isoformat() or strftime() on an aware datetime
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def encode(prefix: str, event: Mapping[str, Any]) -> Encoded:
    """The ``create`` action and document of one flat event as ``_bulk`` NDJSON bytes."""
    signature = (tuple(event), tuple(map(type, event.values())))
    plan = _PLANS.get(signature, _UNPLANNED)
    if plan is _UNPLANNED:
        plan = _plan(*signature)
        if len(_PLANS) < _MAX_PLANS:  # bounded: shapes come from hostile input too
            _PLANS[signature] = plan
    if plan is None:
        return _encode_each(prefix, event)
    vals = list(plan.getter(event))
    for i in plan.dates:
        iso = iso_utc(vals[i])
        if iso is None:
            return _slow(prefix, event)
        vals[i] = iso
    lists = []
    for i in plan.lists:
        items = vals[i]
        if not all(type(v) is str for v in items):
            return _slow(prefix, event)
        lists.append((i, items))
        vals[i] = 0  # a placeholder without commas; the list is encoded on its own below
    try:
        array = orjson.dumps(vals)
    except TypeError:  # an integer beyond 64 bits (ES rejects it; send it as before)
        return _slow(prefix, event)
    parts = array[1:-1].split(b",")
    if len(parts) != len(vals):  # a comma inside a text value: the per-field path
        return _encode_each(prefix, event)
    for i, items in lists:
        parts[i] = orjson.dumps(items)
    source = plan.template % tuple(parts)
    stamp = vals[plan.stamp]
    index = f"{prefix}-{stamp[0:4]}.{stamp[5:7]}.{stamp[8:10]}"
    doc_id = document_id(event)
    action = orjson.dumps({"create": {"_index": index, "_id": doc_id}})
    return Encoded(index, doc_id, b"%b\n%b\n" % (action, source))


# ------------------------------------------------------------------------------ shape plans
#: An event's *signature* is its keys and the types of its values, in order. Events of one input
#: share a few signatures, so what depends only on the signature is worked out once per
#: signature (a :class:`_Plan`): which values to convert, and the nested document as a byte
#: template with one ``%b`` slot per value, in the order :func:`sectool.traffic.ecs.nest` gives.
#: The values are then serialised by one ``orjson.dumps`` of their list, which is split at its
#: commas (when no text value holds a comma, the count says so) and put into the slots: the
#: bytes orjson would write for the nested document, without building it.
_Signature = tuple[tuple[str, ...], tuple[type, ...]]
_MAX_PLANS = 4096
_UNPLANNED: Any = object()


class _Plan(NamedTuple):
    getter: Callable[[Mapping[str, Any]], Any]
    dates: tuple[int, ...]
    lists: tuple[int, ...]
    stamp: int
    template: bytes


_PLANS: dict[_Signature, _Plan | None] = {}


class _Leaf(NamedTuple):
    key: str


def _plan(keys: tuple[str, ...], types: tuple[type, ...]) -> _Plan | None:
    """The plan of a signature, or ``None`` when its events take the per-field path."""
    present: list[str] = []
    for key, vtype in zip(keys, types, strict=True):
        if vtype is type(None):
            continue
        kind = _CONVERT.get(key, _AS_IS)
        allowed = (str, int) if kind == _AS_IS else (datetime,) if kind == _DATE else (list,)
        if vtype not in allowed:
            return None
        present.append(key)
    if "@timestamp" not in present:
        return None
    tree: dict[str, Any] = {}  # nest() replayed on the names, so the shape is nest()'s own
    for key in present:
        parent, leaf, deeper = _PATHS.get(key) or _split(key)
        node = tree
        for part in (parent, *deeper) if parent is not None else ():
            child = node.get(part)
            if type(child) is not dict:
                child = node[part] = {}
            node = child
        node[leaf] = _Leaf(key)
    order: list[str] = []
    template = _template(tree, order)
    if len(order) != len(present):  # a value overwritten by an object (``dns`` and ``dns.id``)
        return None
    single = order[0]
    getter = operator.itemgetter(*order) if len(order) > 1 else lambda e: (e[single],)
    return _Plan(
        getter,
        tuple(i for i, k in enumerate(order) if _CONVERT.get(k) == _DATE),
        tuple(i for i, k in enumerate(order) if _CONVERT.get(k) == _LIST),
        order.index("@timestamp"),
        template,
    )


def _template(node: dict[str, Any], order: list[str]) -> bytes:
    """``{"name":%b,"obj":{...}}`` for ``node``; the leaves' keys are appended to ``order``."""
    members = []
    for name, child in node.items():
        label = orjson.dumps(name).replace(b"%", b"%%") + b":"
        if isinstance(child, _Leaf):
            order.append(child.key)
            members.append(label + b"%b")
        else:
            members.append(label + _template(child, order))
    return b"{" + b",".join(members) + b"}"


def _encode_each(prefix: str, event: Mapping[str, Any]) -> Encoded:
    """The per-field path: events whose signature has no plan, or with a comma in a text."""
    doc: dict[str, Any] = {}
    stamp: str | None = None
    for key, value in event.items():
        if value is None:
            continue
        kind = _CONVERT.get(key, _AS_IS)
        vtype = type(value)
        if kind == _AS_IS:
            if vtype is not str and vtype is not int:
                return _slow(prefix, event)
        elif kind == _DATE:
            value = iso_utc(value)
            if value is None:
                return _slow(prefix, event)
            if key == "@timestamp":
                stamp = value
        elif vtype is list and all(type(v) is str for v in value):
            value = list(value)
        else:
            return _slow(prefix, event)
        path = _PATHS.get(key) or _split(key)
        parent = path[0]
        if parent is None:
            doc[key] = value
            continue
        node = doc.get(parent)
        if type(node) is not dict:
            node = doc[parent] = {}
        for part in path[2]:
            child = node.get(part)
            if type(child) is not dict:
                child = node[part] = {}
            node = child
        node[path[1]] = value
    if stamp is None:
        return _slow(prefix, event)  # no @timestamp: let to_action raise as before
    try:
        source = orjson.dumps(doc)
    except TypeError:  # an integer beyond 64 bits (ES rejects it; send it as before)
        return _slow(prefix, event)
    index = f"{prefix}-{stamp[0:4]}.{stamp[5:7]}.{stamp[8:10]}"
    doc_id = document_id(event)
    action = orjson.dumps({"create": {"_index": index, "_id": doc_id}})
    return Encoded(index, doc_id, b"%b\n%b\n" % (action, source))


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _slow(prefix: str, event: Mapping[str, Any]) -> Encoded:
    """The general path: ``to_action`` and the standard library's JSON encoder."""
    from sectool.traffic.es.bulk import to_action

    action = to_action(prefix, event)
    line = _dumps({"create": {"_index": action["_index"], "_id": action["_id"]}})
    data = f"{line}\n{_dumps(action['_source'])}\n".encode("utf-8", "surrogatepass")
    return Encoded(action["_index"], action["_id"], data)
