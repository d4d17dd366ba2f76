"""Helpers shared by the log readers: numbered lines, value parsing, event completion."""

from __future__ import annotations

import contextlib
import ipaddress
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic.readers.community_id import community_id
from sectool.traffic.readers.conn import protocol_for
from sectool.traffic.readers.options import DirectionClassifier

__all__ = ["complete", "lines", "packed", "parse_time"]

_PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "icmp6": 58, "sctp": 132}


def lines(path: Path, *, require_line_end: bool = False) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a UTF-8 text file, without line ends, blank lines skipped.

    A file cut in the middle of its last line still yields that line, and the reader's parsing
    of it fails and names the line, unless ``require_line_end`` is set: then a last line without
    a line end is reported as cut off (for formats whose writers always end lines, like Zeek's
    TSV, where a value cut short can still look valid).
    """
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=path) from exc
    with fh:
        for number, raw in enumerate(fh, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not UTF-8 text at byte {exc.start} of the line", file=path, line=number
                ) from exc
            if require_line_end and not text.endswith("\n") and text.strip():
                raise InputError(
                    "the last line is cut off (no line end at the end of the file)", file=path, line=number
                )
            text = text.rstrip("\r\n")
            if text.strip():
                yield number, text


def parse_time(value: Any) -> datetime:
    """A timestamp from epoch seconds (Zeek) or ISO 8601 text (EVE, ECS) as aware UTC."""
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    if isinstance(value, (int, float)):
        micros = round(float(value) * 1_000_000)
        return datetime.fromtimestamp(micros // 1_000_000, tz=UTC).replace(microsecond=micros % 1_000_000)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            raise ValueError(f"timestamp without a timezone: {value!r}")
        return dt.astimezone(UTC)
    raise ValueError(f"not a timestamp: {value!r}")


def packed(ip: str) -> bytes:
    return ipaddress.ip_address(ip).packed


def complete(
    event: dict[str, Any], directions: DirectionClassifier, labels: dict[str, Any]
) -> dict[str, Any]:
    """Fill what every connection-like event carries: network.type, direction, protocol guess,
    community id, byte and packet totals, and the site/observer/file labels."""
    src, dst = event.get("source.ip"), event.get("destination.ip")
    transport = event.get("network.transport")
    if src and dst:
        event.setdefault("network.type", "ipv6" if ":" in src else "ipv4")
        if event.get("network.direction") is None:
            event["network.direction"] = directions.direction(src, dst)
        if event.get("network.community_id") is None and transport in _PROTO_NUMBERS:
            proto = _PROTO_NUMBERS[transport]
            if proto == 1 and ":" in src:
                proto = 58
            with contextlib.suppress(ValueError, struct.error):
                event["network.community_id"] = community_id(
                    proto,
                    packed(src),
                    packed(dst),
                    event.get("source.port") or 0,
                    event.get("destination.port") or 0,
                )
    if event.get("network.protocol") is None:
        event["network.protocol"] = protocol_for(
            transport, event.get("source.port"), event.get("destination.port")
        )
    sb, db = event.get("source.bytes"), event.get("destination.bytes")
    if event.get("network.bytes") is None and (sb is not None or db is not None):
        event["network.bytes"] = (sb or 0) + (db or 0)
    sp, dp = event.get("source.packets"), event.get("destination.packets")
    if event.get("network.packets") is None and (sp is not None or dp is not None):
        event["network.packets"] = (sp or 0) + (dp or 0)
    for key, value in labels.items():
        if event.get(key) is None:
            event[key] = value
    return {k: v for k, v in event.items() if v is not None}
