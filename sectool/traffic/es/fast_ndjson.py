"""ECS NDJSON straight to ``_bulk`` bytes through the compiled fast path (``sectool-accel``).

``sectool traffic ingest`` of an ECS NDJSON file into Elasticsearch spends most of its client
CPU turning each line into a validated event and the event into its ``_bulk`` lines. The optional
extension ``sectool_accel`` (Rust, ``accel/`` in the repository; ``scripts/bootstrap`` builds it
where a Rust toolchain is installed) does both for a block of lines in one call, without the
Python objects in between, and gives the same bytes: the same document id, the same ``create``
action, the same ``_source``. It decides nothing alone: every line it is not certain about
(IPv6 addresses, unusual timestamp forms, floats, escapes in text, every error, ...) comes back
raw and takes the Python path (:func:`sectool.traffic.readers.ndjson.line_event`), which also
words the errors. ``tests/traffic/test_accel_parity.py`` holds the two paths to the same output.

Without the extension, or with ``SECTOOL_ACCEL=0``, the Python path does all the work.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sectool.traffic.es.encode import iso_utc
from sectool.traffic.readers.common import raw_batches
from sectool.traffic.readers.ndjson import ARRAY_FIELDS, CHECKS, labelled, line_event, warn_dropped
from sectool.traffic.readers.options import ReadReport

if TYPE_CHECKING:
    from sectool.traffic.es.bulk import BulkIndexer
    from sectool.traffic.ingest import IngestSummary

__all__ = ["ACCEL_FORMAT", "AccelError", "accel_module", "ingest_ndjson"]

#: The output format of ``accel/src/lib.rs`` this code matches (its ``FORMAT``); a build of
#: another format (a stale install after the Rust code changed) is not used.
ACCEL_FORMAT = 5


class AccelError(RuntimeError):
    """The compiled path failed (a panic in the extension): a bug; ``SECTOOL_ACCEL=0`` avoids it."""


def accel_module() -> Any | None:
    """The compiled extension, or ``None`` when it is not installed, is a build of another
    format, or ``SECTOOL_ACCEL=0``."""
    if os.environ.get("SECTOOL_ACCEL", "1") == "0":
        return None
    try:
        import sectool_accel
    except ImportError:
        return None
    if getattr(sectool_accel, "FORMAT", None) != ACCEL_FORMAT:
        return None
    return sectool_accel


def ingest_ndjson(
    path: Path,
    *,
    labels: dict[str, Any],
    report: ReadReport,
    indexer: BulkIndexer,
    summary: IngestSummary,
    accel: Any,
) -> bool:
    """Index the events of the ECS NDJSON file ``path`` through ``indexer``, counting them in
    ``summary.read`` batch by batch. Like :func:`sectool.traffic.readers.ndjson.read_ndjson`, a
    bad line raises :class:`~sectool.errors.InputError` after every line before it was queued.

    Returns ``False``, having read nothing, when the compiled path cannot take the file (a label,
    such as the file's own name, that needs JSON escapes): the Python path reads it then."""
    label_items = list(labels.items())
    # datetimes (event.ingested) as the text the Python path's encoder writes for them
    texts = [(k, iso_utc(v) if isinstance(v, datetime) else v) for k, v in label_items]
    try:
        converter = accel.NdjsonBulk(
            CHECKS, {k: list(v) for k, v in ARRAY_FIELDS.items()}, indexer.prefix, texts
        )
    except ValueError:
        return False
    dropped: dict[str, None] = {}
    add_encoded, add = indexer.add_encoded, indexer.add
    lineno = 0
    read = 0  # events of the current batch
    try:
        for batch in raw_batches(path, report=report):
            try:
                results, names, indices, converted = converter.encode_block(b"".join(batch))
            except BaseException as exc:  # pyo3's PanicException derives from BaseException
                if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                    raise  # KeyboardInterrupt, SystemExit
                raise AccelError(
                    f"the compiled ingest path failed on {path} ({exc}); SECTOOL_ACCEL=0 ingests without it"
                ) from None
            if converted == len(results):  # every line converted: no per-line Python at all
                for _, name in names:
                    dropped.setdefault(name, None)
                indexer.add_many(results, indices)  # all tuples here
                lineno += len(results)
                report.lines += len(results)
                summary.read += len(results)
                continue
            seen_at: dict[int, list[str]] = {}
            for at, name in names:  # merged at their lines, so the warning lists names as read
                seen_at.setdefault(at, []).append(name)
            for at, item in enumerate(results):
                lineno += 1
                if seen_at:
                    for name in seen_at.pop(at, ()):
                        dropped.setdefault(name, None)
                if type(item) is tuple:
                    add_encoded(item)
                    read += 1
                    continue
                event = line_event(path, lineno, item, dropped)  # Python's turn: item is the line
                if event is not None:
                    add(labelled(event, label_items))
                    read += 1
            report.lines += read
            summary.read += read
            read = 0
    finally:
        report.lines += read
        summary.read += read
        warn_dropped(path, dropped, report)
    return True
