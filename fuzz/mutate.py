"""Structure-aware mutations of reader inputs: the values and shapes that broke readers before.

libFuzzer's byte mutations rarely turn ``53`` into ``++53`` or a 5,000-digit port, or a Zeek
``#separator`` header into one without its value; these mutations do, on purpose, from a table of
hostile values. The long runs mix them with libFuzzer's own (:func:`fuzz.engine.main`); the smoke
run uses them alone, from a fixed seed.
"""

from __future__ import annotations

import gzip
import json
import random
import struct
from collections.abc import Callable
from typing import Any

__all__ = ["HOSTILE_JSON", "HOSTILE_TEXT", "mutate_binary", "mutate_text"]

#: Hostile field values as text (Zeek TSV columns, JSON strings).
HOSTILE_TEXT: list[str] = [
    "++53", "+53", " 53", "53 ", "5_3", "٥٣", "0x35", "9" * 5000, "-1", "-0", "65536", "99999",
    "4294967296", str(2**63), str(2**64), str(-(2**63) - 1), "1e309", "-1e309", "NaN", "inf",
    "", "-", "(empty)", "\\x00", "\\xff", "\\x", "\\x4", "2024-02-30T00:00:00Z", "2024-01-15T10:00:00",
    "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-00:01", "10000-01-01T00:00:00Z", "3000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00", "1677-01-01T00:00:00Z", "253402300800", "99999999999999.5",
    "1e20", "1_705_312_800", "::", "::ffff:1.2.3.4", "fe80::1%eth0", "010.0.0.1", "300.1.1.1",
    "10.0.0.1/24", "a" * 300, "\u202e", "é", "\x00", "tcp,udp", ",", "F\tT", "1705312800.123456789123",
]  # fmt: skip
#: Hostile JSON values (any JSON type), beside :data:`HOSTILE_TEXT` as strings.
HOSTILE_JSON: list[Any] = [
    None, True, False, 0, -1, 65535, 65536, 2**31, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1,
    10**30, 10**400, 1e308, -1e308, 1.5, 53.0, 1e-320, [], {}, [[]], [{}], [None], ["a", 1],
    {"a": {"b": {}}}, [1, [2, [3]]], 253402300800000, -62135596800000, 1705312800500,
]  # fmt: skip
#: Raw JSON tokens json.loads takes but orjson (and Elasticsearch) do not, and deep nesting.
RAW_JSON = ["NaN", "Infinity", "-Infinity", '"\\ud800"', '"\\udc00x"', '"\\u0000"', "1e999", "-0.0"]


def mutate_text(data: bytes, rng: random.Random) -> bytes:
    """One to three structured mutations of a line-based input (Zeek TSV/JSON, EVE, NDJSON)."""
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(_TEXT_OPS)(data, rng)
    return data


def mutate_binary(data: bytes, rng: random.Random) -> bytes:
    """One to three structured mutations of a capture (pcap, pcapng): header and length words."""
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(_BINARY_OPS)(data, rng)
    return data


# ------------------------------------------------------------------------------------- text
def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _pick(lines: list[bytes], rng: random.Random) -> int:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return rng.choice(filled) if filled else 0


def _tsv_field(data: bytes, rng: random.Random) -> bytes:
    """A column of a tab-separated line (data or header) replaced by a hostile value."""
    lines = _lines(data)
    i = _pick(lines, rng)
    cells = lines[i].split(b"\t")
    cells[rng.randrange(len(cells))] = rng.choice(HOSTILE_TEXT).encode("utf-8", "surrogatepass")
    lines[i] = b"\t".join(cells)
    return b"\n".join(lines)


def _header_cut(data: bytes, rng: random.Random) -> bytes:
    """A ``#`` header line without its value (``#separator``, ``#set_separator``, ``#fields``)."""
    lines = _lines(data)
    headers = [i for i, line in enumerate(lines) if line.startswith(b"#")]
    if not headers:
        return _tsv_field(data, rng)
    i = rng.choice(headers)
    name = lines[i].replace(b"\t", b" ").split(b" ")[0]
    lines[i] = rng.choice([name, name + b" ", name + b"\t", name + b" \\x", name + b"\t\t"])
    return b"\n".join(lines)


def _json_leaf(data: bytes, rng: random.Random) -> bytes:
    """A value (or key) of a JSON line replaced by a hostile one, or deleted."""
    lines = _lines(data)
    i = _pick(lines, rng)
    try:
        doc = json.loads(lines[i])
    except (ValueError, RecursionError):
        return _tsv_field(data, rng)
    paths = list(_leaf_paths(doc, ()))
    if not paths:
        return data
    path = rng.choice(paths)
    choice = rng.random()
    if choice < 0.45:
        new: Any = rng.choice(HOSTILE_JSON)
    elif choice < 0.9:
        new = rng.choice(HOSTILE_TEXT)
    else:
        new = _DELETE
    doc = _replace(doc, path, new)
    lines[i] = json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    return b"\n".join(lines)


def _json_raw(data: bytes, rng: random.Random) -> bytes:
    """A value of a JSON line replaced by a raw token (``NaN``, a lone surrogate) or deep nesting."""
    lines = _lines(data)
    i = _pick(lines, rng)
    colons = [k for k in range(len(lines[i])) if lines[i][k : k + 1] == b":"]
    if not colons:
        return data
    at = rng.choice(colons) + 1
    end = at
    while end < len(lines[i]) and lines[i][end : end + 1] not in (b",", b"}", b"]"):
        end += 1
    if rng.random() < 0.2:
        depth = rng.choice([64, 1000, 100_000])
        token = b"[" * depth + b"]" * depth if rng.random() < 0.5 else b'{"a":' * depth + b"1" + b"}" * depth
    else:
        token = rng.choice(RAW_JSON).encode()
    lines[i] = lines[i][:at] + token + lines[i][end:]
    return b"\n".join(lines)


def _line_op(data: bytes, rng: random.Random) -> bytes:
    """A line duplicated, dropped, swapped or cut; CRLF line ends; blank lines."""
    lines = _lines(data)
    i, j = _pick(lines, rng), _pick(lines, rng)
    op = rng.randrange(6)
    if op == 0:
        lines.insert(j, lines[i])
    elif op == 1 and len(lines) > 1:
        del lines[i]
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    elif op == 4:
        return data.replace(b"\n", b"\r\n")
    else:
        lines.insert(i, rng.choice([b"", b" ", b"\t", b"\x00"]))
    return b"\n".join(lines)


def _cut(data: bytes, rng: random.Random) -> bytes:
    """The input cut at a random byte (a file still being written)."""
    return data[: rng.randrange(len(data) + 1)]


def _bytes_op(data: bytes, rng: random.Random) -> bytes:
    """A byte flipped or replaced by one that is not UTF-8 / a control character."""
    if not data:
        return bytes([rng.randrange(256)])
    at = rng.randrange(len(data))
    new = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\t", b"\n", b'"', b"{", b"\\"])
    if rng.random() < 0.5:
        new = bytes([data[at] ^ (1 << rng.randrange(8))])
    return data[:at] + new + data[at + 1 :]


def _gzip(data: bytes, rng: random.Random) -> bytes:
    """The input gzip-compressed (Zeek's log archive), sometimes cut short or damaged."""
    packed = gzip.compress(data, compresslevel=1, mtime=0)
    if rng.random() < 0.4:
        packed = packed[: rng.randrange(2, len(packed) + 1)]
    elif rng.random() < 0.3:
        at = rng.randrange(10, len(packed)) if len(packed) > 10 else 0
        packed = packed[:at] + bytes([packed[at] ^ 0x55]) + packed[at + 1 :]
    return packed


_TEXT_OPS: list[Callable[[bytes, random.Random], bytes]] = [
    _tsv_field, _tsv_field, _header_cut, _json_leaf, _json_leaf, _json_leaf, _json_raw,
    _line_op, _cut, _bytes_op, _gzip,
]  # fmt: skip

_DELETE: Any = object()


def _leaf_paths(node: Any, prefix: tuple[Any, ...]) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _leaf_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _leaf_paths(value, (*prefix, index))


def _replace(node: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return node if new is _DELETE else new
    head, rest = path[0], path[1:]
    if rest:
        node[head] = _replace(node[head], rest, new)
    elif new is _DELETE:
        del node[head]
    else:
        node[head] = new
    return node


# ----------------------------------------------------------------------------------- binary
#: 32-bit words that break length, time and link-type fields.
_WORDS = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 0x10000, 0x0FFFFFFF, 12, 24, 28, 32, 0xFFFFFFFE]


def _word(data: bytes, rng: random.Random) -> bytes:
    """A 32-bit word (header fields are 4-byte aligned) set to a boundary value."""
    if len(data) < 4:
        return data + b"\x00" * 4
    span = min(len(data) - 4, 512) if rng.random() < 0.6 else len(data) - 4
    at = rng.randrange(0, span + 1) & ~3
    value = rng.choice([*_WORDS, len(data), len(data) - at, rng.randrange(1 << 32)])
    order = rng.choice("<>")
    return data[:at] + struct.pack(f"{order}I", value) + data[at + 4 :]


def _wide(data: bytes, rng: random.Random) -> bytes:
    """A 64-bit value (a pcapng timestamp, high word first) set to an extreme."""
    if len(data) < 8:
        return data
    at = rng.randrange(0, len(data) - 7) & ~3
    value = rng.choice([0xFFFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 1 << 62, 253402300800 * 10**6])
    return data[:at] + struct.pack("<II", value >> 32, value & 0xFFFFFFFF) + data[at + 8 :]


def _chunk(data: bytes, rng: random.Random) -> bytes:
    """A run of bytes repeated or zeroed (packets repeated, a block emptied)."""
    if len(data) < 8:
        return data
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randrange(1, 256))
    if rng.random() < 0.5:
        return data[:b] + data[a:b] + data[b:]
    return data[:a] + b"\x00" * (b - a) + data[b:]


_BINARY_OPS: list[Callable[[bytes, random.Random], bytes]] = [
    _word, _word, _word, _wide, _chunk, _cut, _bytes_op, _gzip,
]  # fmt: skip
