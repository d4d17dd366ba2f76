"""The parts of an EVE record that ECS has no field for, flattened under ``suricata.eve.*``.

Filebeat keeps every EVE field it does not move to ECS under ``suricata.eve.<path>`` (the record's
own nesting, e.g. ``suricata.eve.flow.state``, ``suricata.eve.tls.ja3.string``); sectool does the
same with flat dotted keys and values that are scalars or lists of scalars (the ``suricata.``
namespace of the schema contract, kept as it is by both stores):

* nested objects are flattened with dots;
* a list keeps its scalar elements; an element that is itself an object or a list becomes one
  compact JSON text (``dns.answers``, ``files``, ``http.request_headers`` stay readable and
  searchable, and the document's shape does not depend on the data); ``null`` elements are left
  out and so are empty lists and ``null`` values;
* a key that holds a dot is written with ``_`` in its place, so that a path cannot be read back
  as two different nestings; a key is stripped of surrounding blanks, and an empty one is ``_``
  (Elasticsearch refuses empty and blank field names).

Bounds (hostile input): a record nested more than :data:`MAX_DEPTH` levels, a number beyond
64 bits, NaN or infinity is an :class:`~sectool.errors.InputError` naming the field.
:data:`MAX_DEPTH` keeps every document below Elasticsearch's ``flattened`` ``depth_limit`` (20);
Suricata 7 writes at most 7 levels (``stats.threads.<thread>.decoder.event.ipv4.<counter>``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterator
from typing import Any

from sectool.traffic.readers.values import Where

__all__ = ["MAX_DEPTH", "PREFIX", "check_number", "flattened", "scalar_list"]

#: The deepest nesting of objects and lists accepted in an EVE record.
MAX_DEPTH = 16
#: Where the unmapped EVE fields go.
PREFIX = "suricata.eve."
_INT_MIN = -(1 << 63)
#: Suricata's counters are unsigned 64-bit.
_INT_MAX = (1 << 64) - 1
_SCALARS = (str, bool, int, float)


def _key(name: str) -> str:
    # Elasticsearch refuses empty and blank names; a dot would read as one more level
    if "." in name or not name or name[0].isspace() or name[-1].isspace():
        return name.strip().replace(".", "_") or "_"
    return name


def check_number(where: Where, field: str, value: Any) -> Any:
    """``value`` when it is not a number, or a number both stores can hold; else InputError."""
    if type(value) is int and not _INT_MIN <= value <= _INT_MAX:
        raise where.fail(field, value, "a number within 64 bits")
    if type(value) is float and not math.isfinite(value):
        raise where.fail(field, value, "a finite number")
    return value


def _too_deep(where: Where, field: str, value: Any, depth: int) -> None:
    """InputError when ``value`` (found at ``depth``) nests deeper than :data:`MAX_DEPTH`;
    iterative, so that no input can exhaust the interpreter's stack."""
    stack = [(value, depth)]
    while stack:
        node, level = stack.pop()
        if level > MAX_DEPTH:
            raise where.fail(field, None, f"at most {MAX_DEPTH} levels of nesting", "nested too deeply")
        if type(node) is dict:
            stack.extend((child, level + 1) for child in node.values())
        elif type(node) is list:
            stack.extend((child, level + 1) for child in node)


def _element(where: Where, field: str, value: Any, depth: int) -> Any:
    if isinstance(value, _SCALARS):
        return check_number(where, field, value)
    _too_deep(where, field, value, depth)
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or infinity inside
        raise where.fail(field, value, "finite numbers") from None


def scalar_list(where: Where, field: str, values: list[Any], depth: int) -> list[Any]:
    """A JSON list as a list of scalars (module docstring); ``depth`` is the list's own level."""
    return [_element(where, field, v, depth + 1) for v in values if v is not None]


def flattened(
    where: Where, record: dict[str, Any], used: Collection[str], *, prefix: str = PREFIX
) -> Iterator[tuple[str, Any]]:
    """``(prefix + dotted path, value)`` for every leaf of ``record`` whose path is not in ``used``
    (the fields a mapper moved to ECS); an object path in ``used`` leaves out its whole subtree."""
    # Iterative: a depth bound that is checked before recursing would do too, but a stack of
    # explicit frames cannot overflow whatever the input.
    stack: list[tuple[dict[str, Any], str, int]] = [(record, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise where.fail(path[:-1], None, f"at most {MAX_DEPTH} levels of nesting", "nested too deeply")
        for name, value in node.items():
            field = path + _key(name)
            if value is None or field in used:
                continue
            if type(value) is dict:
                stack.append((value, field + ".", depth + 1))
            elif type(value) is list:
                items = scalar_list(where, field, value, depth)
                if items:
                    yield prefix + field, items
            else:
                yield prefix + field, check_number(where, field, value)
