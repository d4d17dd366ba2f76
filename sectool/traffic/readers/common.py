"""Helpers shared by the log readers: numbered lines, value parsing, event completion."""

from __future__ import annotations

import contextlib
import gzip
import json
import math
import re
import socket
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from sectool.errors import InputError
from sectool.traffic.readers.community_id import community_id
from sectool.traffic.readers.options import DirectionClassifier, ReadReport

__all__ = [
    "MAX_LINE_BYTES",
    "TIME_EXPECTED",
    "TIME_RANGE",
    "TimeRangeError",
    "complete",
    "decoded",
    "in_time_range",
    "json_object",
    "lines",
    "open_maybe_gzip",
    "packed",
    "parse_time",
    "raw_batches",
    "raw_lines",
]

_GZIP_MAGIC = b"\x1f\x8b"
#: Read buffer: large, so that the reading thread gives up the GIL for a system call rarely
#: (each release lets the bulk threads in, and getting it back costs).
_BUFFER = 1 << 20
#: The longest line a reader takes (Filebeat's ``max_bytes`` is 10 MiB): a hostile or broken
#: file without line ends (or a gzip bomb of one line) must not be read into memory whole.
MAX_LINE_BYTES = 16 << 20
#: A JSON escape of a UTF-16 surrogate: the cheap test before the exact one in json_object.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "icmp6": 58, "sctp": 132}


def open_maybe_gzip(path: Path) -> IO[bytes]:
    """``path`` opened for reading bytes, decompressed on the fly when it starts with the gzip magic."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def lines(
    path: Path, *, require_line_end: bool = False, report: ReadReport | None = None
) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a UTF-8 text file (plain or gzip), without line ends, blank
    lines skipped.

    A file cut in the middle of its last line still yields that line, and the reader's parsing
    of it fails and names the line, unless ``require_line_end`` is set: then a last line without
    a line end is reported as cut off (for formats whose writers always end lines, like Zeek's
    TSV, where a value cut short can still look valid). A damaged gzip stream is reported at the
    line where decompression failed. ``report.position`` follows the bytes read from disk.
    """
    for number, raw in raw_lines(path, report=report):
        text = decoded(path, number, raw, require_line_end=require_line_end)
        if text is not None:
            yield number, text


def decoded(path: Path, number: int, raw: bytes, *, require_line_end: bool = False) -> str | None:
    """The text of line ``number`` (as :func:`raw_lines` gives it) without its line end, or
    ``None`` when it is blank; :class:`InputError` when it is not UTF-8 (or cut off, see
    :func:`lines`)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text at byte {exc.start} of the line", file=path, line=number) from exc
    if require_line_end and not text.endswith("\n") and text.strip():
        raise InputError(
            "the last line is cut off (no line end at the end of the file)", file=path, line=number
        )
    text = text.rstrip("\r\n")
    return text if text.strip() else None


def raw_lines(
    path: Path, *, report: ReadReport | None = None, decompress: bool = True
) -> Iterator[tuple[int, bytes]]:
    """``(line number, bytes with the line end)`` of every line of a file (plain or gzip), blank
    ones included; the bytes-level half of :func:`lines`, for readers whose parser takes bytes
    (orjson) and decode only what they must report. ``decompress=False`` reads a gzip file as the
    bytes it is (for a format that is never compressed)."""
    try:
        raw_fh = path.open("rb", buffering=_BUFFER)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=path) from exc
    with raw_fh:
        compressed = decompress and raw_fh.read(2) == _GZIP_MAGIC
        raw_fh.seek(0)
        fh = cast(IO[bytes], gzip.GzipFile(fileobj=raw_fh, mode="rb")) if compressed else raw_fh
        try:
            yield from _numbered(path, raw_fh, fh, compressed, report)
        finally:
            fh.close()


def raw_batches(
    path: Path, *, report: ReadReport | None = None, size: int = _BUFFER
) -> Iterator[list[bytes]]:
    """The lines of :func:`raw_lines` (bytes with their line ends, blank ones included) in lists
    of about ``size`` bytes, for a reader that converts many lines per call."""
    if _is_gzip(path):
        batch: list[bytes] = []
        held = 0
        try:
            for _, raw in raw_lines(path, report=report):  # damaged data is reported at its line
                batch.append(raw)
                held += len(raw)
                if held >= size:
                    yield batch
                    batch, held = [], 0
        except InputError:
            if batch:  # the lines before the damage count, as with raw_lines
                yield batch
            raise
        if batch:
            yield batch
        return
    try:
        fh = path.open("rb", buffering=_BUFFER)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=path) from exc
    size = min(size, MAX_LINE_BYTES)
    with fh:
        position = 0
        number = 0  # lines yielded so far
        # The start of a line whose end is in a later block: a bytearray, so that a long line
        # read in many blocks is gathered in linear time.
        carry = bytearray()
        while True:
            block = fh.read(size)
            if not block:
                if carry:  # a last line without its line end
                    yield [bytes(carry)]
                return
            cut = block.rfind(b"\n") + 1
            if cut:
                # Every other line of the block is shorter than the block (at most the limit).
                if carry and len(carry) + block.index(b"\n") > MAX_LINE_BYTES:
                    raise _too_long(path, number + 1)
                data = bytes(carry) + block[:cut] if carry else block[:cut]
                batch = data.split(b"\n")
                batch.pop()  # the empty piece after the last line end
                batch = [line + b"\n" for line in batch]
                number += len(batch)
                if report is not None:
                    position += len(data)
                    report.position = position
                yield batch
                carry = bytearray(block[cut:])
            else:
                carry += block
            if len(carry) > MAX_LINE_BYTES:  # after the lines before it were yielded
                raise _too_long(path, number + 1)


def _is_gzip(path: Path) -> bool:
    try:
        with path.open("rb") as probe:
            return probe.read(2) == _GZIP_MAGIC
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=path) from exc


def _numbered(
    path: Path, raw_fh: IO[bytes], fh: IO[bytes], compressed: bool, report: ReadReport | None
) -> Iterator[tuple[int, bytes]]:
    number = 0
    position = 0
    readline = fh.readline
    while True:
        try:
            raw = readline(MAX_LINE_BYTES + 2)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise InputError(
                f"damaged gzip data after line {number}: {exc}", file=path, line=number + 1
            ) from exc
        if not raw:
            break
        number += 1
        if len(raw) - raw.endswith(b"\n") > MAX_LINE_BYTES:
            raise _too_long(path, number)
        if report is not None:
            position = raw_fh.tell() if compressed else position + len(raw)
            report.position = position
        yield number, raw


def _too_long(path: Path, number: int) -> InputError:
    return InputError(
        f"line longer than {MAX_LINE_BYTES} bytes (no line end): not a log line",
        file=path,
        line=number,
        expected=f"lines of at most {MAX_LINE_BYTES} bytes",
    )


def json_object(path: Path, lineno: int, text: str, *, what: str = "a line") -> dict[str, Any]:
    """The JSON object on line ``lineno`` of ``path``; InputError (file:line) when it is not one."""
    try:
        if _SUSPECT_NUMBER.search(text):  # rare: the hooks cost a Python call per number
            doc = json.loads(text, parse_constant=_no_constant, parse_float=_finite, parse_int=_bounded)
        else:
            doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} at column {exc.colno}", file=path, line=lineno) from exc
    except RecursionError:  # hostile input: arrays or objects nested thousands deep
        raise InputError("not valid JSON: nested too deeply", file=path, line=lineno) from None
    except ValueError as exc:  # from the hooks
        raise InputError(f"not valid JSON: {exc}", file=path, line=lineno) from None
    if _SURROGATE_ESCAPE.search(text):
        # json.loads takes a lone UTF-16 surrogate escape ("\ud800") into a str that no UTF-8
        # writer (orjson, the Elasticsearch client, Parquet) can encode later
        try:
            json.dumps(doc, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(
                "not valid JSON text: a lone UTF-16 surrogate escape (\\ud800-\\udfff)",
                file=path,
                line=lineno,
            ) from None
    if not isinstance(doc, dict):
        raise InputError(f"{what} must hold a JSON object", file=path, line=lineno)
    return doc


#: Numbers that json.loads takes but no writer after the readers does: ``NaN``/``Infinity`` (not
#: JSON), ``1e999`` (infinity as a float), integers beyond 64 bits (orjson, the Elasticsearch
#: client) or beyond Python's 4,300-digit conversion limit (a ValueError that names nothing).
_SUSPECT_NUMBER = re.compile(r"NaN|Infinity|[eE][-+]?[0-9]{3}|[0-9]{20}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number beyond a 64-bit float: {text[:40]}")
    return number


def _bounded(text: str) -> int:
    if len(text.lstrip("-")) > 20 or not -(2**63) <= (number := int(text)) < 2**64:
        raise ValueError(f"integer beyond 64 bits: {text[:40]}")
    return number


class TimeRangeError(ValueError):
    """A valid timestamp outside :data:`TIME_RANGE`."""


#: The timestamps sectool keeps: what a signed 64-bit count of nanoseconds since the epoch holds
#: (the local Parquet store's ``timestamp[ns]`` and pandas' ``datetime64[ns]``), in whole years.
#: Elasticsearch would take more, but an event the local store cannot write is refused at the
#: edge, not half-way through a run. No real capture or sensor log is outside it.
TIME_RANGE = (datetime(1678, 1, 1, tzinfo=UTC), datetime(2262, 1, 1, tzinfo=UTC))
#: How the readers describe a valid timestamp in their errors.
TIME_EXPECTED = "epoch seconds or an ISO 8601 timestamp with a timezone"


def in_time_range(stamp: datetime) -> datetime:
    """``stamp`` (aware), or :class:`TimeRangeError` when it is outside :data:`TIME_RANGE`."""
    if not TIME_RANGE[0] <= stamp < TIME_RANGE[1]:
        raise TimeRangeError(
            f"timestamp outside {TIME_RANGE[0].year}..{TIME_RANGE[1].year - 1}, the years sectool keeps"
        )
    return stamp


def parse_time(value: Any) -> datetime:
    """A timestamp from epoch seconds (Zeek) or ISO 8601 text (EVE, ECS) as aware UTC.

    Raises:
        ValueError: not a timestamp (:class:`TimeRangeError`: outside :data:`TIME_RANGE`);
            ``OverflowError``/``OSError`` for numbers beyond what :mod:`datetime` holds.
    """
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    if isinstance(value, (int, float)):
        micros = round(float(value) * 1_000_000)
        stamp = datetime.fromtimestamp(micros // 1_000_000, tz=UTC)
        return in_time_range(stamp.replace(microsecond=micros % 1_000_000))
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            raise ValueError(f"timestamp without a timezone: {value!r}")
        return in_time_range(dt.astimezone(UTC))
    raise ValueError(f"not a timestamp: {value!r}")


def packed(ip: str) -> bytes:
    """The packed form of a (validated) IPv4/IPv6 address; ``inet_pton`` is ~5x faster than
    :mod:`ipaddress` and this runs once per event for the community id."""
    return socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)


def complete(
    event: dict[str, Any], directions: DirectionClassifier, labels: dict[str, Any]
) -> dict[str, Any]:
    """Fill what every connection-like event of a sensor log carries: network.type, direction,
    community id, byte and packet totals, and the site/observer/file labels.

    ``network.protocol`` is NOT guessed from the port: when Zeek (``service``) or Suricata
    (``app_proto``) did not identify the application, it stays unset, as in Filebeat. For ICMP the
    event's ports must hold the ICMP type and code (Zeek logs them so; the EVE reader sets them).
    """
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
            with contextlib.suppress(ValueError, OSError, struct.error):
                event["network.community_id"] = community_id(
                    proto,
                    packed(src),
                    packed(dst),
                    event.get("source.port") or 0,
                    event.get("destination.port") or 0,
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
