"""Validation of single input values (ports, counts, IP addresses, timestamps) for the log readers.

Every check raises :class:`sectool.errors.InputError` naming the file, line, the field as the
input spells it (``id.orig_p``, ``src_port``), the bad value and what was expected, so that a
hostile or damaged value stops the read with exit code 2 and never reaches Elasticsearch (where it
would be rejected) or the community-id hash (where it would crash).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic.readers.common import TIME_EXPECTED, TimeRangeError, parse_time

__all__ = ["NAMESPACE_DEPTH", "Where", "canonical_ip", "check_free_name"]

#: The dotted parts a free name (``zeek.*``, ``suricata.*``, ``labels.*``) may have below its
#: namespace: Elasticsearch maps each namespace as one ``flattened`` field and refuses a document
#: whose object under it nests deeper than the field's ``depth_limit`` (es/template.py).
NAMESPACE_DEPTH = 20

#: ES ``long`` is a signed 64-bit integer.
_LONG_MAX = (1 << 63) - 1
#: Epoch seconds as text (Zeek TSV ``time``): plain digits with an optional fraction, bounded, so
#: that ``float()`` sees neither ``1_7``, ``inf``, ``nan`` nor 5,000 digits.
_EPOCH_TEXT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{0,9})?", re.ASCII)
#: A duration as text (Zeek TSV ``interval``): decimal, optionally with an exponent.
_SECONDS_TEXT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{0,15})?(?:[eE][-+]?[0-9]{1,3})?", re.ASCII)


def check_free_name(name: str, file: Path | str | None, line: int | None) -> str:
    """``name``, or :class:`InputError` when it nests deeper than :data:`NAMESPACE_DEPTH` below
    its namespace (hostile input: the node would reject the whole document later)."""
    if name.count(".") > NAMESPACE_DEPTH:
        root = name.split(".", 1)[0]
        raise InputError(
            f"bad name: more than {NAMESPACE_DEPTH} levels of nesting below '{root}'",
            file=file,
            line=line,
            field=name if len(name) <= 200 else name[:200] + "...",
            expected=f"at most {NAMESPACE_DEPTH} dotted parts after '{root}.'",
        )
    return name


#: Canonical forms of addresses seen recently: traffic repeats its addresses, and a dict lookup
#: is ~4x cheaper than ``inet_pton``. Bounded (cleared when full): addresses come from hostile input.
_CANONICAL: dict[str, str] = {}
_CANONICAL_MAX = 16_384


def canonical_ip(text: str) -> str:
    """The address in canonical form; ``ValueError`` when ``text`` is not an IPv4/IPv6 address.

    ``inet_pton`` is strict (no ``010.1.2.3``, no zone ids) and ~20x faster than :mod:`ipaddress`.
    """
    found = _CANONICAL.get(text) if type(text) is str else None
    if found is not None:
        return found
    try:
        socket.inet_pton(socket.AF_INET, text)
        found = text
    except OSError:
        try:
            found = socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))
        except (OSError, ValueError):
            raise ValueError(f"not an IP address: {text!r}") from None
    if len(_CANONICAL) >= _CANONICAL_MAX:
        _CANONICAL.clear()
    _CANONICAL[text] = found
    return found


@dataclass(frozen=True)
class Where:
    """The file and line a value comes from; its methods validate one value each."""

    file: Path
    line: int

    def fail(self, field: str, value: Any, expected: str, reason: str = "bad value") -> InputError:
        return InputError(reason, file=self.file, line=self.line, field=field, value=value, expected=expected)

    def integer(self, field: str, value: Any, low: int, high: int, expected: str) -> int | None:
        """An integer in ``low..high`` from a JSON number or plain decimal text; ``None`` stays ``None``.

        Text must be ASCII digits only, at most as many as ``high`` has: ``int()`` would also take
        ``+53``, `` 53``, ``5_3`` and Arabic-Indic digits, and raises (not a user error) on text
        longer than ``sys.int_info.default_max_str_digits``.
        """
        if value is None:
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif (
            isinstance(value, int)
            or (isinstance(value, float) and value.is_integer())
            or (isinstance(value, str) and _is_digits(value, len(str(high))))
        ):
            number = int(value)
        if number is None or not low <= number <= high:
            raise self.fail(field, value, expected)
        return number

    def port(self, field: str, value: Any) -> int | None:
        return self.integer(field, value, 0, 65535, "an integer port 0..65535")

    def count(self, field: str, value: Any) -> int | None:
        return self.integer(field, value, 0, _LONG_MAX, "a non-negative integer")

    def text(self, field: str, value: Any) -> str | None:
        """A text value (a name, a code); numbers and objects are not names."""
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(field, value, "text")
        return value

    def ip(self, field: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(field, value, "an IPv4 or IPv6 address")
        try:
            return canonical_ip(value)
        except ValueError:
            raise self.fail(field, value, "an IPv4 or IPv6 address") from None

    def time(self, field: str, value: Any) -> datetime:
        """Epoch seconds (number or decimal text) or ISO 8601 with a timezone, within
        :data:`~sectool.traffic.readers.common.TIME_RANGE`."""
        stamp = value
        if isinstance(value, str) and _EPOCH_TEXT.fullmatch(value.strip()):
            stamp = float(value)  # bounded digits: float() cannot fail or overflow here
        try:
            return parse_time(stamp)
        except TimeRangeError as exc:
            raise self.fail(field, value, TIME_EXPECTED, str(exc)) from None
        except (ValueError, TypeError, OverflowError, OSError):
            raise self.fail(field, value, TIME_EXPECTED) from None

    def seconds(self, field: str, value: Any) -> float | None:
        """A non-negative duration in seconds (Zeek ``interval``): a JSON number or decimal text."""
        if value is None:
            return None
        number = -1.0
        if isinstance(value, float) or (isinstance(value, str) and _SECONDS_TEXT.fullmatch(value)):
            number = float(value)
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
            number = float(value)  # bounded first: float() of a 400-digit JSON integer overflows
        if not 0 <= number < 1e12:  # also rejects NaN and infinity
            raise self.fail(field, value, "a non-negative number of seconds")
        return number


def _is_digits(text: str, most: int) -> bool:
    """``text`` is 1..``most`` ASCII digits (``str.isdigit`` alone takes other scripts' digits)."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit()
