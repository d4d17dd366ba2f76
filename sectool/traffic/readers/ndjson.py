"""ECS NDJSON: one event per line, nested (``{"source": {"ip": ...}}``) or flat
(``{"source.ip": ...}``) keys, validated against :data:`sectool.traffic.ecs.FIELDS`.

Validation: ``@timestamp`` is required, dates are ISO 8601 with a zone or epoch milliseconds,
``long`` fields integers, ``ip`` fields IP addresses, keywords text; a bad value of a known field
is an :class:`InputError` naming the line and field. Fields outside sectool's list (real ECS
documents carry ``ecs.version``, ``host.*``, ``agent.*``, ``message``, ...) are dropped, with one
warning per file that lists them. ECS's own list-of-objects shape of ``dns.answers``
(``[{"data": ...}]``) and ECS arrays of ``event.category``/``event.type`` are accepted (see
:data:`ARRAY_FIELDS`). Events are taken as they are: the
site label only fills ``sectool.site``/``observer.name`` where they are unset.

Speed: a line is parsed with orjson and converted by steps worked out once per line *signature*
(its keys and value types, in order; see :func:`_fast_event`). Whatever those steps do not settle
with certainty (floats, booleans, objects in lists, ECS ``dns.answers`` objects, a bad value,
invalid JSON, orjson's limits) goes through the standard library's parser and :func:`_parse`, the
reference path, which accepts the same and reports errors with the same words: the fast path
decides nothing alone.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

import orjson

from sectool.errors import InputError
from sectool.traffic.ecs import FIELDS, MULTI_VALUED, flatten, namespace_of
from sectool.traffic.localstore import canonical_id
from sectool.traffic.readers.common import (
    TIME_RANGE,
    decoded,
    in_time_range,
    json_object,
    parse_time,
    raw_lines,
)
from sectool.traffic.readers.identity import SourceEvent, source_id, time_ns
from sectool.traffic.readers.options import ReaderOptions, ReadReport
from sectool.traffic.readers.values import canonical_ip, check_free_name

__all__ = [
    "ARRAY_FIELDS",
    "CHECKS",
    "labelled",
    "line_event",
    "read_ndjson",
    "validate_value",
    "warn_dropped",
]


#: ECS fields that are arrays in ECS but single keywords in sectool's contract (the detectors,
#: the Parquet store and the pandas backend select on one value). From an array sectool keeps
#: the most specific value it knows, in this order, else the first element:
#: ``["network", "intrusion_detection"]`` (Filebeat's Suricata alerts) -> ``intrusion_detection``,
#: ``["connection", "start"]`` -> ``connection``. An empty array leaves the field unset.
ARRAY_FIELDS: dict[str, tuple[str, ...]] = {
    "event.category": ("intrusion_detection", "authentication", "network"),
    "event.type": ("connection", "protocol", "denied", "allowed", "start", "end", "info"),
}


_PORTS = frozenset({"source.port", "destination.port", "url.port"})
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
#: The name sectool's labels had before ``log.file.path``: files written by older versions.
_OLD_NAMES = {"sectool.source_file": "log.file.path"}
_COUNTS = frozenset(
    {
        "source.bytes",
        "source.packets",
        "destination.bytes",
        "destination.packets",
        "network.bytes",
        "network.packets",
        "event.duration",
    }
)


def validate_value(field: str, value: Any) -> Any:
    """The value of an ECS field in its flat-event form; ``ValueError`` when it does not fit."""
    kind = FIELDS[field]
    if field in MULTI_VALUED:
        items = value if isinstance(value, list) else [value]
        if kind == "ip":
            for item in items:
                if not isinstance(item, str):
                    raise ValueError("expected a list of IP addresses")
            return [canonical_ip(v) for v in items]
        if any(isinstance(v, (dict, list)) for v in items):
            raise ValueError("expected a list of single values")  # not str() of an object
        return [("true" if v else "false") if isinstance(v, bool) else str(v) for v in items if v is not None]
    if kind == "date":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:  # ES epoch_millis; OSError: beyond what the platform's time functions take
                return in_time_range(datetime.fromtimestamp(value / 1000, tz=UTC))
            except OSError:
                raise ValueError("epoch milliseconds out of range") from None
        return parse_time(value)
    if kind == "long":
        if isinstance(value, bool) or not isinstance(value, int):
            if not (isinstance(value, float) and value.is_integer()):
                raise ValueError("expected an integer")
            value = int(value)
        if field in _PORTS and not 0 <= value <= 65535:
            raise ValueError("expected a port 0..65535")
        if field in _COUNTS and value < 0:
            raise ValueError("expected a non-negative count")
        if not _LONG_MIN <= value <= _LONG_MAX:
            raise ValueError("expected an integer in Elasticsearch's long range (-2^63 .. 2^63-1)")
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
    """``event.id`` (made unique per record, see :mod:`.identity`) or the hash of the document
    (:func:`sectool.traffic.localstore.event_id` of the validated event)."""
    if event.get("event.id") is None:
        canon = dict(event)
        canon.pop("log.file.path", None)
        for key in _DATES:
            value = canon.get(key)
            if value is not None:  # integer ns, as localstore._epoch_ns (aware: no astimezone needed)
                delta = value - _EPOCH
                canon[key] = (
                    delta.days * 86_400 + delta.seconds
                ) * 1_000_000_000 + delta.microseconds * 1_000
        # validated: str, int, lists of str -- except free names (zeek.*, ...), which may be floats
        return canonical_id(canon, checked=not any(namespace_of(k) for k in canon))
    keys = ("event.id", "event.dataset", "event.kind", "event.category", "event.type")
    parts = [event.get(k) for k in keys]
    parts += [time_ns(event["@timestamp"]), event.get("dns.id"), event.get("dns.question.name")]
    return source_id("ecs", *parts)


def read_ndjson(
    path: Path, options: ReaderOptions, labels: dict[str, Any], report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Validated flat events of an ECS NDJSON file."""
    dropped: dict[str, None] = {}
    label_items = list(labels.items())
    try:
        for lineno, raw in raw_lines(path, report=report):
            event = line_event(path, lineno, raw, dropped)
            if event is not None:
                report.lines += 1
                yield labelled(event, label_items)
    finally:
        warn_dropped(path, dropped, report)


def line_event(path: Path, lineno: int, raw: bytes, dropped: dict[str, None]) -> dict[str, Any] | None:
    """The validated flat event of line ``lineno`` (its bytes ``raw``), ``None`` for a blank line;
    :class:`InputError` naming the line and field for a bad one. Names outside sectool's list are
    added to ``dropped``."""
    event: dict[str, Any] | None = None
    try:
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            doc = None  # blank, not UTF-8, not JSON, or beyond orjson: the reference path decides
        else:
            if type(doc) is dict:
                event = _fast_event(doc, dropped)
        if event is None:
            text = decoded(path, lineno, raw)
            if text is None:
                return None
            event = _parse(path, lineno, text, dropped)
    except RecursionError:  # hostile input: objects nested hundreds deep
        raise InputError("objects nested too deeply", file=path, line=lineno) from None
    return event


def labelled(event: dict[str, Any], label_items: list[tuple[str, Any]]) -> SourceEvent:
    """``event`` with its document id (from the event as read) and the labels it leaves unset."""
    doc_id = _doc_id(event)
    for key, value in label_items:
        if key not in event:
            event[key] = value
    return SourceEvent(event, doc_id)


def warn_dropped(path: Path, dropped: dict[str, None], report: ReadReport) -> None:
    """One warning per file that lists the fields outside sectool's list."""
    if dropped:
        names = list(dropped)
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        report.warn(f"{path}: {len(names)} fields outside sectool's ECS list were dropped: {shown}")


# ------------------------------------------------------------------------------- the fast path
#: A parsed line's *signature* is its keys and the types of its values, in order; the lines of a
#: file share a few. What to do with each value depends only on the signature, so it is worked
#: out once per signature (a :class:`_Plan`) and a line then costs a few C-level operations plus
#: the checks that depend on the values (addresses, timestamps, port and count ranges).
_KEYWORD, _IP, _LONG, _PORT, _COUNT, _DATE, _MULTI, _ARRAY, _IPLIST = range(9)


def _check(field: str, kind: str) -> int:
    if field in MULTI_VALUED:
        return _IPLIST if kind == "ip" else _MULTI
    if field in ARRAY_FIELDS:
        return _ARRAY
    if kind == "date":
        return _DATE
    if kind == "long":
        return _PORT if field in _PORTS else _COUNT if field in _COUNTS else _LONG
    return _IP if kind == "ip" else _KEYWORD


#: Field -> check code (the codes are also the compiled path's, see accel/src/lib.rs).
CHECKS: dict[str, int] = {f: _check(f, k) for f, k in FIELDS.items()}
_DATES = tuple(f for f, k in FIELDS.items() if k == "date")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_MS = 1000
_TIME_LOW, _TIME_HIGH = TIME_RANGE  # the fast path's test of common.in_time_range
_fromisoformat = datetime.fromisoformat
_MAX_PLANS = 4096
_FLATTEN: Any = object()  # the plan of a signature with objects: flatten the line first
_UNSEEN: Any = object()


class _Plan(NamedTuple):
    remove: tuple[str, ...]  # unset values and names outside FIELDS
    unknown: tuple[str, ...]  # the names outside FIELDS (reported as dropped)
    ips: tuple[str, ...]
    dates: tuple[str, ...]  # ISO 8601 text
    dates_ms: tuple[str, ...]  # epoch milliseconds
    texts: tuple[str, ...]  # keywords given as integers
    ports: Callable[[dict[str, Any]], tuple[int, ...]] | None
    counts: Callable[[dict[str, Any]], tuple[int, ...]] | None
    longs: Callable[[dict[str, Any]], tuple[int, ...]] | None
    singles: tuple[str, ...]  # multi-valued fields given one text
    lists: tuple[str, ...]  # multi-valued fields given a list
    arrays: tuple[str, ...]  # ECS arrays (event.category/type) given a list


_PLANS: dict[tuple[tuple[str, ...], tuple[type, ...]], _Plan | None] = {}


def _getter(keys: list[str]) -> Callable[[dict[str, Any]], tuple[int, ...]] | None:
    if not keys:
        return None
    if len(keys) == 1:
        one = keys[0]
        return lambda doc: (doc[one],)
    return cast(Callable[[dict[str, Any]], tuple[int, ...]], operator.itemgetter(*keys))


def _plan(keys: tuple[str, ...], types: tuple[type, ...]) -> _Plan | None:
    """The plan of a signature; ``None`` when its lines take the reference path."""
    if dict in types:
        return cast(_Plan, _FLATTEN)
    lists: dict[str, list[str]] = {n: [] for n in _Plan._fields}
    present = False
    for key, vtype in zip(keys, types, strict=True):
        check = CHECKS.get(key)
        if check is None:
            if namespace_of(key) is not None or key in _OLD_NAMES:
                return None  # kept free names (zeek.*, suricata.*, labels.*): the reference path
            if any(p in FIELDS for p in _parents(key)):
                return None  # an object where a value belongs: an error
            lists["remove"].append(key)
            lists["unknown"].append(key)
            continue
        if vtype is type(None):
            lists["remove"].append(key)
            continue
        present = present or key == "@timestamp"
        target = _TARGETS.get((check, vtype), "")
        if target == "":
            return None  # floats, booleans, objects in lists, ...: the reference path
        if target:
            lists[target].append(key)
    if not present:
        return None
    ports, counts, longs = lists.pop("ports"), lists.pop("counts"), lists.pop("longs")
    tuples = {n: tuple(v) for n, v in lists.items()}
    return _Plan(ports=_getter(ports), counts=_getter(counts), longs=_getter(longs), **tuples)


#: ``(check, value type) -> _Plan field`` that handles it; ``None`` nothing to do (the value is
#: already what the event holds); missing: the reference path.
_TARGETS: dict[tuple[int, type], str | None] = {
    (_KEYWORD, str): None,
    (_KEYWORD, int): "texts",
    (_ARRAY, str): None,
    (_ARRAY, list): "arrays",
    (_IP, str): "ips",
    (_DATE, str): "dates",
    (_DATE, int): "dates_ms",
    (_LONG, int): "longs",
    (_PORT, int): "ports",
    (_COUNT, int): "counts",
    (_MULTI, str): "singles",
    (_MULTI, list): "lists",
}
# _IPLIST (related.ip, host.ip) has no entry: lines with addresses in a list take the reference path.


def _fast_event(doc: dict[str, Any], dropped: dict[str, None]) -> dict[str, Any] | None:
    """The validated flat event of a parsed line (``doc`` itself, converted in place), or
    ``None`` when the line needs the reference path :func:`_parse` (anything unusual, including
    every error; ``doc`` is then garbage)."""
    signature = (tuple(doc), tuple(map(type, doc.values())))
    plan = _PLANS.get(signature, _UNSEEN)
    if plan is _UNSEEN:
        plan = _new(signature)
    if plan is _FLATTEN:
        dns = doc.get("dns")
        if type(dns) is dict and "answers" in dns:
            return None  # ECS list-of-objects answers: the reference path reshapes them
        doc = flatten(doc)
        signature = (tuple(doc), tuple(map(type, doc.values())))
        plan = _PLANS.get(signature, _UNSEEN)
        if plan is _UNSEEN:
            plan = _new(signature)
    if plan is None:
        return None
    try:
        for key in plan.unknown:
            dropped.setdefault(key, None)  # ecs.version, host.*, agent.*, message, ...
        for key in plan.remove:
            del doc[key]
        for key in plan.ips:
            doc[key] = canonical_ip(doc[key])
        for key in plan.dates:
            # parse_time() without its strip() and "Z" rewrite: Python 3.11's fromisoformat reads
            # "Z" itself; text with spaces fails here and takes the reference path
            stamp = _fromisoformat(doc[key])
            if stamp.tzinfo is None:
                return None
            stamp = stamp if stamp.tzinfo is UTC else stamp.astimezone(UTC)
            if not _TIME_LOW <= stamp < _TIME_HIGH:
                return None
            doc[key] = stamp
        for key in plan.dates_ms:
            stamp = datetime.fromtimestamp(doc[key] / _EPOCH_MS, tz=UTC)
            if not _TIME_LOW <= stamp < _TIME_HIGH:
                return None
            doc[key] = stamp
        for key in plan.texts:
            doc[key] = str(doc[key])
        if plan.ports is not None:
            ports = plan.ports(doc)
            if min(ports) < 0 or max(ports) > 65535:
                return None
        if plan.counts is not None:
            counts = plan.counts(doc)
            if min(counts) < 0 or max(counts) > _LONG_MAX:
                return None
        if plan.longs is not None:
            longs = plan.longs(doc)
            if min(longs) < _LONG_MIN or max(longs) > _LONG_MAX:
                return None
        for key in plan.singles:
            doc[key] = [doc[key]]
        for key in plan.lists:
            if not all(type(v) is str for v in doc[key]):
                return None
        for key in plan.arrays:
            value = doc[key]
            if not all(type(v) is str for v in value):
                return None
            one = _one_of(key, value)
            if one is None:
                del doc[key]
            else:
                doc[key] = one
    except (ValueError, TypeError, OverflowError, OSError):
        return None  # the reference path reports it with file, line and field
    return doc


def _new(signature: tuple[tuple[str, ...], tuple[type, ...]]) -> _Plan | None:
    plan = _plan(*signature)
    if len(_PLANS) < _MAX_PLANS:  # bounded: signatures come from hostile input too
        _PLANS[signature] = plan
    return plan


# -------------------------------------------------------------------------- the reference path
def _parse(path: Path, lineno: int, text: str, dropped: dict[str, None]) -> dict[str, Any]:
    doc = json_object(path, lineno, text)
    answers = doc.get("dns", {}).get("answers") if isinstance(doc.get("dns"), dict) else None
    if isinstance(answers, list):  # ECS: dns.answers is a list of objects
        doc["dns"] = {k: v for k, v in doc["dns"].items() if k != "answers"}
        doc["dns.answers.data"] = [a.get("data") if isinstance(a, dict) else a for a in answers]
    event: dict[str, Any] = {}
    for key, value in flatten(doc).items():
        key = _OLD_NAMES.get(key, key)
        if key not in FIELDS and namespace_of(key) is not None:
            if "" in key.split("."):  # "zeek.a..b", "zeek.x.": Elasticsearch refuses the document
                raise InputError("bad name: an empty part between dots", file=path, line=lineno, field=key)
            check_free_name(key, path, lineno)
            if value is not None:
                event[key] = _free_value(path, lineno, key, value)
            continue
        if key not in FIELDS:
            parent = next((f for f in _parents(key) if f in FIELDS), None)
            if parent is not None:  # {"source": {"ip": {...}}}: an object where a value belongs
                raise InputError(
                    "bad value: an object", file=path, line=lineno, field=parent, expected=FIELDS[parent]
                )
            dropped.setdefault(key, None)  # ecs.version, host.*, agent.*, message, ...
            continue
        if value is None:
            continue
        try:
            if key in ARRAY_FIELDS:
                value = _one_of(key, value)
                if value is None:
                    continue
            event[key] = validate_value(key, value)
        except (ValueError, TypeError, OverflowError) as exc:
            raise InputError(
                f"bad value: {exc}", file=path, line=lineno, field=key, value=value, expected=FIELDS[key]
            ) from exc
    if "@timestamp" not in event:
        raise InputError("event without @timestamp", file=path, line=lineno, field="@timestamp")
    return event


def _free_value(path: Path, lineno: int, key: str, value: Any) -> Any:
    """A value under a free namespace as it is: a JSON scalar or a list of scalars."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, (dict, list)):
            raise InputError(
                "bad value: nested lists or objects in a list",
                file=path,
                line=lineno,
                field=key,
                expected="a scalar or a list of scalars",
            )
        if isinstance(item, int) and not isinstance(item, bool) and not _LONG_MIN <= item <= _LONG_MAX:
            raise InputError(
                "bad value: an integer beyond Elasticsearch's long range",
                file=path,
                line=lineno,
                field=key,
                value=item,
            )
    return value


def _parents(key: str) -> Iterator[str]:
    parts = key.split(".")
    for end in range(len(parts) - 1, 0, -1):
        yield ".".join(parts[:end])


def _one_of(field: str, value: Any) -> Any:
    """The one value sectool keeps of an ECS array field (see :data:`ARRAY_FIELDS`)."""
    if not isinstance(value, list):
        return value
    if not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    for preferred in ARRAY_FIELDS[field]:
        if preferred in value:
            return preferred
    return value[0] if value else None
