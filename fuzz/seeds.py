"""Seed inputs: small slices of the real corpus (whole packets, whole lines), made at run time.

The corpus (``../shared/corpus``, its README names the sources and licences) is read, never
copied into the repository; the fixtures of tests/traffic/data join the seeds.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["capture_seeds", "ecs_seeds", "eve_seeds", "localstore_seeds", "zeek_seeds"]

_HEAD = 1 << 16  # bytes read from the head of a log for its first lines
_CAPTURE_MAX = 16_384  # a seed capture stays small: scapy dissects every packet


def _files(root: Path, *patterns: str) -> list[Path]:
    return sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()})


def head_lines(path: Path, count: int) -> bytes:
    """The ``#`` header lines and the first ``count`` other lines of a log (whole lines)."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    lines = head.split(b"\n")[:-1]  # the last piece may be cut
    header = [line for line in lines if line.startswith(b"#") and not line.startswith(b"#close")]
    body = [line for line in lines if line.strip() and not line.startswith(b"#")][:count]
    return b"".join(line + b"\n" for line in header + body)


def pcap_slice(data: bytes, packets: int) -> bytes:
    """The global header and the first ``packets`` records of a classic pcap."""
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at = 24
    for _ in range(packets):
        if at + 16 > len(data):
            break
        (incl,) = struct.unpack_from(f"{order}I", data, at + 8)
        at += 16 + incl
    return data[: min(at, len(data))]


def pcapng_slice(data: bytes, blocks: int) -> bytes:
    """The first ``blocks`` whole blocks of a pcapng file (section header and interfaces first)."""
    order = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    at = 0
    for _ in range(blocks):
        if at + 12 > len(data):
            break
        (length,) = struct.unpack_from(f"{order}I", data, at + 4)
        if length < 12:
            break
        at += length
    return data[: min(at, len(data))]


def capture_seeds(corpus: Path) -> list[bytes]:
    """The first packets of every pcap/pcapng of the corpus."""
    seeds = []
    for path in _files(corpus, "attack/*.pcap*", "benign/*.pcap*"):
        data = path.read_bytes()[: 1 << 20]
        for count in (3, 12):
            is_ng = data[:4] == b"\x0a\x0d\x0d\x0a"
            cut = pcapng_slice(data, count + 2) if is_ng else pcap_slice(data, count)
            if len(cut) <= _CAPTURE_MAX:
                seeds.append(cut)
    return list(dict.fromkeys(seeds))


def zeek_seeds(corpus: Path, *, tsv: bool) -> list[bytes]:
    """The headers and first lines of every Zeek log of the corpus, TSV or JSON ones."""
    found = _files(corpus, "zeek/*/*.log", "benign/*/*.log.labeled")
    found += _files(DATA_DIR, "*.log" if tsv else "*.json")
    seeds = []
    for path in found:
        data = head_lines(path, 5)
        is_tsv = data.startswith(b"#separator")
        if data and is_tsv == tsv and (tsv or data.startswith(b"{")) and b"event_type" not in data[:400]:
            seeds.append(data)
    return seeds


def eve_seeds(corpus: Path) -> list[bytes]:
    """One line of each EVE event type of the corpus (in threes), and the fixture's lines."""
    first: dict[str, bytes] = {}
    with (corpus / "suricata" / "slips-test6-eve.json").open("rb") as fh:
        for raw in fh:
            kind = json.loads(raw).get("event_type", "?")
            if kind not in first and len(raw) < 4096:
                first[kind] = raw
    lines = list(first.values())
    seeds = [b"".join(lines[i : i + 3]) for i in range(0, len(lines), 3)]
    seeds.append((DATA_DIR / "eve.json").read_bytes()[:_HEAD])
    return seeds


def _reader_events(corpus: Path) -> Iterator[list[dict[str, Any]]]:
    """Events of a few corpus and fixture logs, five at a time (the source of the ECS seeds)."""
    import itertools
    import tempfile

    from sectool.errors import InputError
    from sectool.traffic.readers import read_events

    sources = [*zeek_seeds(corpus, tsv=True)[:6], *zeek_seeds(corpus, tsv=False)[:6], *eve_seeds(corpus)]
    with tempfile.TemporaryDirectory(prefix="sectool-fuzz-seeds-") as tmp:
        for n, data in enumerate(sources):
            path = Path(tmp) / f"seed{n}.log"
            path.write_bytes(data)
            try:
                events = list(itertools.islice(read_events(path), 5))
            except InputError:
                continue  # a reader being rewritten may refuse a log type for now
            if events:
                yield events


def ecs_seeds(corpus: Path) -> list[bytes]:
    """ECS NDJSON as Filebeat/Elastic Agent ship it (nested documents) and as flat lines."""
    from sectool.traffic.ecs import nest
    from sectool.traffic.localstore import to_json_value

    seeds = []
    for n, events in enumerate(_reader_events(corpus)):
        docs = [{k: to_json_value(k, v) for k, v in e.items() if v is not None} for e in events]
        if n % 2 == 0:
            docs = [nest(d) for d in docs]
        seeds.append(b"".join(json.dumps(d).encode() + b"\n" for d in docs))
    return seeds


def localstore_seeds(corpus: Path) -> list[bytes]:
    """Files of the local store's JSONL format, as :func:`sectool.traffic.localstore.write_events`
    writes them."""
    import tempfile

    from sectool.traffic.localstore import write_events

    seeds = []
    with tempfile.TemporaryDirectory(prefix="sectool-fuzz-seeds-") as tmp:
        path = Path(tmp) / "events.jsonl"
        for events in _reader_events(corpus):
            write_events(path, events)
            seeds.append(path.read_bytes())
    return seeds


DATA_DIR = Path(__file__).resolve().parents[1] / "tests" / "traffic" / "data"
