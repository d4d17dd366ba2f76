"""Validated access to the fields of one EVE record, remembering which ones moved to ECS.

Each accessor takes the field's EVE path (``http.status``, ``tls.ja3.hash``) and marks it *used*,
so that :func:`sectool.traffic.readers.eve_flat.flattened` leaves it out of ``suricata.eve.*``.
A value of the wrong type is an :class:`~sectool.errors.InputError` naming the path; ``null`` is
the same as absent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sectool.traffic.readers.common import TimeRangeError, in_time_range
from sectool.traffic.readers.values import Where

__all__ = ["Source"]

_LONG_MAX = (1 << 63) - 1


class Source:
    """One parsed EVE record, its location, and the paths moved to ECS so far.

    Attributes:
        rec: the record as parsed from the line.
        where: the file and line, for errors.
        used: EVE paths moved to ECS fields (left out of ``suricata.eve.*``).
    """

    __slots__ = ("rec", "used", "where")

    def __init__(self, rec: dict[str, Any], where: Where) -> None:
        self.rec = rec
        self.where = where
        self.used: set[str] = set()

    def obj(self, path: str) -> dict[str, Any] | None:
        """The object at ``path``; ``None`` when it (or a parent) is absent; InputError when a
        value on the way is not an object."""
        node: dict[str, Any] = self.rec
        walked = ""
        for part in path.split("."):
            walked = f"{walked}.{part}" if walked else part
            value = node.get(part)
            if value is None:
                return None
            if type(value) is not dict:
                raise self.where.fail(walked, value, "a JSON object")
            node = value
        return node

    def raw(self, path: str) -> Any:
        """The value at ``path`` as it is (``None`` when absent), marked used."""
        parent, _, key = path.rpartition(".")
        node = self.obj(parent) if parent else self.rec
        self.used.add(path)
        return None if node is None else node.get(key)

    def text(self, path: str) -> str | None:
        """Text at ``path``; an empty text counts as absent (Filebeat's ``ignore_empty_value``)."""
        return self.where.text(path, self.raw(path)) or None

    def count(self, path: str) -> int | None:
        return self.where.count(path, self.raw(path))

    def integer(self, path: str, low: int, high: int, expected: str) -> int | None:
        return self.where.integer(path, self.raw(path), low, high, expected)

    def port(self, path: str) -> int | None:
        return self.where.port(path, self.raw(path))

    def flag(self, path: str) -> str | None:
        """A JSON boolean as ECS keyword ``"true"``/``"false"``."""
        value = self.raw(path)
        if value is None:
            return None
        if type(value) is not bool:
            raise self.where.fail(path, value, "true or false")
        return "true" if value else "false"

    def time(self, path: str) -> datetime | None:
        """A timestamp: ISO 8601 with a zone, or without one as Suricata writes certificate
        validity (``2022-03-20T09:44:08``, UTC)."""
        value = self.raw(path)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                stamp = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
                return in_time_range(stamp)
            except TimeRangeError as exc:
                raise self.where.fail(
                    path, value, str(exc).replace("timestamp outside", "a time within")
                ) from None
            except (ValueError, OverflowError):
                pass
        raise self.where.fail(path, value, "an ISO 8601 timestamp")

    def long(self, path: str) -> int | None:
        """A signed 64-bit integer (ES ``long``)."""
        return self.where.integer(path, self.raw(path), -_LONG_MAX - 1, _LONG_MAX, "an integer")
