"""What every reader must do with any input: the contract the fuzz harnesses check.

* the only exception is :class:`~sectool.errors.InputError`, and its message names the file;
* every event (also those yielded before the error) is a dict whose keys are in
  :data:`sectool.traffic.ecs.FIELDS` or under the free namespaces ``zeek.``, ``suricata.`` and
  ``labels.``, and whose values have the field's type: aware UTC datetimes within
  :data:`~sectool.traffic.readers.common.TIME_RANGE` for dates, integers within an
  Elasticsearch ``long`` (ports 0..65535) for longs, canonical addresses for ``ip``, UTF-8
  encodable text for keywords, lists for :data:`~sectool.traffic.ecs.MULTI_VALUED`;
* every event encodes as its Elasticsearch bulk document (:func:`sectool.traffic.es.encode.encode`).

A broken rule raises :class:`ContractError` (an ``AssertionError``), which the fuzzer reports as
a crash, like any other exception that escapes a reader.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic import ecs
from sectool.traffic.readers.common import TIME_RANGE
from sectool.traffic.readers.values import canonical_ip

__all__ = ["ContractError", "check_error", "check_event", "checked_events"]

NAMESPACES = ("zeek.", "suricata.", "labels.")
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
PORTS = frozenset({"source.port", "destination.port", "url.port"})
#: Events read from one input at most: a fuzz input is small, but a flow table can fan out.
MAX_EVENTS = 20_000


class ContractError(AssertionError):
    """A reader broke the contract (an event with a bad key or value, an error without its file)."""


def checked_events(events: Iterable[dict[str, Any]], path: Path) -> Iterator[dict[str, Any]]:
    """``events`` (at most :data:`MAX_EVENTS`), each checked by :func:`check_event`."""
    for count, event in enumerate(events):
        if count >= MAX_EVENTS:
            return
        check_event(event, path)
        yield event


def check_error(exc: InputError, path: Path) -> None:
    """An input error must name the file it is about."""
    if str(path) not in str(exc) or exc.location.file != str(path):
        raise ContractError(f"InputError without the file name: {exc}")


def check_event(event: Any, path: Path) -> None:
    """:class:`ContractError` unless ``event`` is a flat ECS event of valid values."""
    if not isinstance(event, dict):
        raise ContractError(f"event is a {type(event).__name__}, not a dict")
    if "@timestamp" not in event:
        raise ContractError(f"event without @timestamp: {_short(event)}")
    for key, value in event.items():
        if not isinstance(key, str):
            raise ContractError(f"non-text key {key!r}")
        _utf8(key, key)
        if value is None:
            continue
        kind = ecs.FIELDS.get(key)
        if kind is None:
            if not key.startswith(NAMESPACES):
                raise ContractError(f"key outside the ECS list and the free namespaces: {key!r}")
            if "" in key.split(".") or key != key.strip():
                # Elasticsearch refuses a name with an empty part ("a..b", "a.") or only spaces
                raise ContractError(f"key that Elasticsearch refuses: {key!r}")
            _free(key, value)
        elif key in ecs.MULTI_VALUED:
            if not isinstance(value, list):
                raise ContractError(f"{key}: multi-valued field holds {type(value).__name__}, not a list")
            for item in value:
                _single(key, kind, item)
        else:
            _single(key, kind, value)
    _encodes(event, path)


def _single(key: str, kind: str, value: Any) -> None:
    if kind == "date":
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ContractError(f"{key}: {value!r} is not an aware datetime")
        if not TIME_RANGE[0] <= value.astimezone(UTC) < TIME_RANGE[1]:
            raise ContractError(f"{key}: {value!r} outside {TIME_RANGE}")
    elif kind == "long":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ContractError(f"{key}: {value!r} is not an integer")
        low, high = (0, 65535) if key in PORTS else (LONG_MIN, LONG_MAX)
        if not low <= value <= high:
            raise ContractError(f"{key}: {value} outside {low}..{high}")
    elif kind == "ip":
        if not isinstance(value, str):
            raise ContractError(f"{key}: {value!r} is not an address text")
        try:
            canonical = canonical_ip(value)
        except ValueError:
            raise ContractError(f"{key}: {value!r} is not an IP address") from None
        if canonical != value:
            raise ContractError(f"{key}: {value!r} is not canonical ({canonical!r})")
    elif not isinstance(value, str):
        raise ContractError(f"{key}: {kind} field holds {type(value).__name__} {value!r}, not text")
    else:
        _utf8(key, value)


def _free(key: str, value: Any) -> None:
    """A value under a free namespace: a scalar or a list of scalars."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            _utf8(key, item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ContractError(f"{key}: {item!r} is not a JSON number")
        elif item is not None and not isinstance(item, (bool, int, float)):
            raise ContractError(f"{key}: {type(item).__name__} in a free namespace")


def _utf8(key: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ContractError(f"{key}: text that is not UTF-8 encodable: {text!r}") from None


def _encodes(event: dict[str, Any], path: Path) -> None:
    from sectool.traffic.es.encode import encode

    try:
        encode("fuzz", event)
    except InputError as exc:  # the encoder refusing what a reader made: the reader's bug
        raise ContractError(f"{path.name}: the reader's event does not encode: {exc}") from exc


def _short(event: dict[str, Any]) -> str:
    text = repr(event)
    return text if len(text) < 200 else text[:197] + "..."
