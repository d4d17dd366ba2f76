"""Zeek values: TSV text typed by the ``#types`` header, and the conversions a Zeek value goes
through on its way to an ECS field or to the ``zeek.<log>.*`` / ``labels.*`` namespaces.

A TSV value and the same value in Zeek's JSON output must end up identical in the event (a
``count`` column is an integer, a ``bool`` column ``true``/``false``, a ``set[addr]`` a list), so
that a sensor can switch its log format without changing what is indexed. Without a ``#types``
line (hand-made logs) TSV values stay text, except the containers Zeek always writes as sets.

Every conversion that can fail raises :class:`~sectool.errors.InputError` through
:class:`~sectool.traffic.readers.values.Where` (file, line, field, value, what was expected).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from sectool.traffic.readers.values import Where

__all__ = [
    "CONVERTERS",
    "Converter",
    "free_value",
    "typed",
    "unescape",
]

_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")
_INT_TYPES = frozenset({"count", "int", "port", "counter"})
_FLOAT_TYPES = frozenset({"double", "interval", "time"})
#: Zeek's TLS/SSL version names -> (tls.version_protocol, tls.version), as Filebeat splits them.
_TLS_VERSIONS: dict[str, tuple[str, str]] = {
    "SSLv2": ("ssl", "2.0"),
    "SSLv3": ("ssl", "3.0"),
    "TLSv10": ("tls", "1.0"),
    "TLSv11": ("tls", "1.1"),
    "TLSv12": ("tls", "1.2"),
    "TLSv13": ("tls", "1.3"),
    "DTLSv10": ("dtls", "1.0"),
    "DTLSv12": ("dtls", "1.2"),
    "DTLSv13": ("dtls", "1.3"),
}
_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")


def unescape(text: str) -> str:
    r"""Zeek's ``\xNN`` escapes (separators and non-printable bytes inside a TSV value) undone."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "\\x" in text else text


def _scalar(type_name: str, text: str, name: str, where: Where) -> Any:
    if type_name in _INT_TYPES:
        try:
            return int(text)
        except ValueError:
            raise where.fail(name, text, f"an integer (Zeek type {type_name})") from None
    if type_name in _FLOAT_TYPES:
        try:
            number = float(text)
        except ValueError:
            raise where.fail(name, text, f"a number (Zeek type {type_name})") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise where.fail(name, text, f"a finite number (Zeek type {type_name})")
        return number
    if type_name == "bool":
        if text in ("T", "F"):
            return text == "T"
        raise where.fail(name, text, "T or F (Zeek type bool)")
    return text


def typed(type_name: str | None, raw: str, name: str, set_sep: str, empty: str, where: Where) -> Any:
    """The value of one TSV column (not unset) as Zeek's JSON writer would give it.

    Args:
        type_name: the column's ``#types`` entry (``count``, ``set[addr]``, ...), or ``None``.
        raw: the column's text, escapes still in place.
        name: the column name (for errors).
        set_sep: the ``#set_separator``.
        empty: the ``#empty_field`` marker: an empty container, or an empty string.
        where: file and line.
    """
    type_name = type_name or "string"
    container = type_name.startswith(("set[", "vector[", "table["))
    if raw == empty:
        return [] if container else ""
    if container:
        inner = type_name[type_name.index("[") + 1 : -1]
        return [_scalar(inner, unescape(part), name, where) for part in raw.split(set_sep)]
    return _scalar(type_name, unescape(raw), name, where)


def free_value(value: Any) -> Any:
    """A value for the free namespaces: a scalar or a list of scalars; ``None`` for nothing.

    Empty strings and empty containers are nothing (Zeek's ``(empty)``); objects inside a list
    (a JSON record vector) are kept as their JSON text.
    """
    if value is None or value == "":
        return None
    if isinstance(value, list):
        items = [
            v if _is_scalar(v) else json.dumps(v, sort_keys=True, default=str) for v in value if v is not None
        ]
        return items or None
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


#: A conversion: (where, Zeek field name, value not None) -> the ECS value or None.
Converter = Callable[[Where, str, Any], Any]


def _one(where: Where, name: str, value: Any) -> Any:
    """A single value: a one-element list (a vector of one) is its element."""
    if isinstance(value, list):
        if not value:
            return None
        if len(value) == 1:
            return value[0]
        raise where.fail(name, value, "a single value")
    if isinstance(value, dict):
        raise where.fail(name, value, "a single value")
    return value


def _text(where: Where, name: str, value: Any) -> str | None:
    value = _one(where, name, value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lower(where: Where, name: str, value: Any) -> str | None:
    text = _text(where, name, value)
    return None if text is None else text.lower()


def _first(where: Where, name: str, value: Any) -> str | None:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if item not in (None, ""):
            return _text(where, name, item)
    return None


def _texts(where: Where, name: str, value: Any) -> list[str] | None:
    items = value if isinstance(value, list) else [value]
    out = [t for t in (_text(where, name, v) for v in items) if t is not None]
    return out or None


def _ip(where: Where, name: str, value: Any) -> str | None:
    value = _one(where, name, value)
    return None if value in (None, "") else where.ip(name, value)


def _ips(where: Where, name: str, value: Any) -> list[str] | None:
    items = value if isinstance(value, list) else [value]
    out = [where.ip(name, v) for v in items if v not in (None, "")]
    return [ip for ip in out if ip is not None] or None


def _port(where: Where, name: str, value: Any) -> int | None:
    return where.port(name, _one(where, name, value))


def _count(where: Where, name: str, value: Any) -> int | None:
    return where.count(name, _one(where, name, value))


def _time(where: Where, name: str, value: Any) -> Any:
    value = _one(where, name, value)
    return None if value is None else where.time(name, value)


def _nanoseconds(where: Where, name: str, value: Any) -> int | None:
    seconds = where.seconds(name, _one(where, name, value))
    return None if seconds is None else round(seconds * 1e9)


def _flag(where: Where, name: str, value: Any) -> str | None:
    """A Zeek bool as the keyword ``true``/``false`` (sectool keeps ECS booleans as keywords)."""
    value = _one(where, name, value)
    if value in (True, "T", "true"):
        return "true"
    if value in (False, "F", "false"):
        return "false"
    raise where.fail(name, value, "a boolean (T/F)")


def _outcome(where: Where, name: str, value: Any) -> str | None:
    """A Zeek success bool as ``event.outcome``."""
    return "success" if _flag(where, name, value) == "true" else "failure"


def _service(where: Where, name: str, value: Any) -> str | None:
    """Zeek's ``service`` (``ssl,http``): the first analyser, named as ECS/Packetbeat name it."""
    first = _first(where, name, value)
    if first is None:
        return None
    first = first.split(",")[0].strip().lower()
    return {"ssl": "tls"}.get(first, first) or None


def _mac(where: Where, name: str, value: Any) -> str | None:
    """A MAC address in ECS's form (upper case, hyphens)."""
    text = _text(where, name, value)
    if text is None:
        return None
    if not _MAC.match(text):
        raise where.fail(name, value, "a MAC address like 00:11:22:33:44:55")
    return text.upper().replace(":", "-")


def tls_version(text: str) -> tuple[str, str] | None:
    """``TLSv12`` -> ``("tls", "1.2")``; ``None`` for a name Zeek does not write."""
    return _TLS_VERSIONS.get(text)


#: Conversions by name, as the mapping tables of :mod:`.zeek_logs` name them.
CONVERTERS: dict[str, Converter] = {
    "text": _text,
    "lower": _lower,
    "first": _first,
    "texts": _texts,
    "ip": _ip,
    "ips": _ips,
    "port": _port,
    "count": _count,
    "time": _time,
    "ns": _nanoseconds,
    "flag": _flag,
    "outcome": _outcome,
    "service": _service,
    "mac": _mac,
}
