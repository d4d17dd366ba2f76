"""Readers: captures and sensor logs -> flat ECS events, streaming, memory bounded.

:func:`read_events` sniffs the format from the file's first bytes (not its name):

Every format may be gzip-compressed (Zeek's log archive writes ``conn.09:00:00-10:00:00.log.gz``):
the gzip magic is recognised and the decompressed head is sniffed.

* pcap (all four magics) and pcapng -> :mod:`.pcap`
* Zeek TSV (``#separator`` header) or Zeek JSON lines (``_path``/``uid``/``id.orig_h`` keys, or
  ``ts`` with the keys of a Zeek log: ``fuid``, ``certificate.version``, ``note``, ...) -> :mod:`.zeek`
* Suricata EVE JSON (``event_type`` key) -> :mod:`.eve`
* ECS NDJSON (anything else that is JSON lines) -> :mod:`.ndjson`
* sectool's own Parquet event files (``PAR1`` magic) -> :mod:`.parquet`

Every reader yields each event only once it is completely parsed. On damage it yields the
valid part before it and then raises :class:`sectool.errors.InputError` with the byte offset
(captures) or line number (logs).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic import ecs
from sectool.traffic.readers.common import MAX_LINE_BYTES, open_maybe_gzip
from sectool.traffic.readers.options import ReaderOptions, ReadReport

__all__ = ["ReadReport", "ReaderOptions", "detect_format", "input_labels", "read_events"]

_CAPTURE_MAGICS = (
    b"\xa1\xb2\xc3\xd4",
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x4d\x3c\xb2\xa1",
    b"\x0a\x0d\x0d\x0a",
)


def detect_format(path: Path) -> str:
    """``capture``, ``zeek``, ``eve``, ``ndjson`` or ``parquet``; :class:`InputError` when none fits."""
    try:
        with open_maybe_gzip(path) as fh:
            head = fh.read(4)
            if head in _CAPTURE_MAGICS:
                return "capture"
            if head == b"PAR1":
                return "parquet"
            fh.seek(0)
            first = b""
            while True:  # bounded: a file without line ends is not read whole to sniff it
                raw = fh.readline(MAX_LINE_BYTES + 2)
                if not raw:
                    break
                if len(raw) > MAX_LINE_BYTES:
                    raise InputError(
                        f"the first line is longer than {MAX_LINE_BYTES:,} bytes", file=path, line=1
                    )
                if raw.strip():
                    first = raw
                    break
    except FileNotFoundError as exc:
        raise InputError("file not found", file=path) from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"damaged gzip file: {exc}", file=path) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from exc
    text = first.decode("utf-8", "replace").strip()
    if not text:
        raise InputError("empty file: no events", file=path)
    if text.startswith("#separator"):
        return "zeek"
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            "unknown format",
            file=path,
            line=1,
            expected="pcap, pcapng, Zeek TSV/JSON, Suricata EVE JSON or ECS NDJSON",
        ) from exc
    except (RecursionError, ValueError):  # nested thousands deep; an integer of 5,000 digits
        from sectool.traffic.readers.common import json_object

        doc = json_object(path, 1, text)  # raises, naming the line and what is wrong
    if not isinstance(doc, dict):
        raise InputError("unknown format: the first line is JSON but not an object", file=path, line=1)
    if "event_type" in doc:
        return "eve"
    if "_path" in doc or "uid" in doc or "id.orig_h" in doc or isinstance(doc.get("id"), dict):
        return "zeek"
    if "ts" in doc and "@timestamp" not in doc:
        # Zeek logs without a connection (x509, files, notice, software, stats, arp, ...):
        # Zeek's ``ts`` with the keys that identify one of its logs
        from sectool.traffic.readers.zeek_logs import guess_log

        if guess_log(set(ecs.flatten(doc))) is not None:
            return "zeek"
    return "ndjson"


def input_labels(path: Path, *, site: str | None, options: ReaderOptions) -> dict[str, Any]:
    """The labels the events of ``path`` get where they leave the field unset: the source file,
    and the site (``site`` overrides ``options.site``) as ``sectool.site`` and ``observer.name``."""
    label_site = site if site is not None else options.site
    labels: dict[str, Any] = {"log.file.path": str(path)}
    if label_site:
        labels["sectool.site"] = label_site
        labels["observer.name"] = label_site
    return labels


def read_events(
    path: Path,
    *,
    site: str | None = None,
    options: ReaderOptions | None = None,
    report: ReadReport | None = None,
    fmt: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Flat ECS events of one input file, in a streaming fashion.

    Args:
        path: a capture or log file; the format is sniffed (unless ``fmt`` gives it).
        site: ``sectool.site`` of every event (and ``observer.name`` where the input names no sensor);
            overrides ``options.site``.
        options: flow timeouts and internal networks (defaults: :class:`ReaderOptions`).
        report: receives counts and warnings (unknown pcapng blocks, skipped EVE types, ...).
        fmt: the format, when the caller has sniffed it already (:func:`detect_format`).

    Raises:
        InputError: unknown format, or damage (after the valid prefix was yielded).
    """
    path = Path(path)
    opts = options or ReaderOptions()
    rep = report if report is not None else ReadReport()
    labels = input_labels(path, site=site, options=opts)
    fmt = fmt or detect_format(path)
    if fmt == "capture":
        from sectool.traffic.readers.pcap import read_capture

        return read_capture(path, opts, labels, rep)
    if fmt == "zeek":
        from sectool.traffic.readers.zeek import read_zeek

        return read_zeek(path, opts, labels, rep)
    if fmt == "eve":
        from sectool.traffic.readers.eve import read_eve

        return read_eve(path, opts, labels, rep)
    if fmt == "parquet":
        from sectool.traffic.readers.parquet import read_parquet

        return read_parquet(path, opts, labels, rep)
    from sectool.traffic.readers.ndjson import read_ndjson

    return read_ndjson(path, opts, labels, rep)
