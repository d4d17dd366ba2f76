"""Ingest: input files -> ECS events -> Elasticsearch and/or a local event file.

Damaged input (see :mod:`sectool.traffic.readers`): the valid events before the damage are
indexed/written (in a capture, flows still open at the damage point are incomplete and are not),
the other files are still read, and at the end :class:`InputError` reports every damaged file
(the CLI exits 2). A rerun after repairing the file adds only what was missing, thanks to
document ids taken from the source records (:mod:`sectool.traffic.readers.identity`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sectool.errors import InputError
from sectool.traffic.enrich import enrich, stamp_labels
from sectool.traffic.inputs import InputFile
from sectool.traffic.readers import ReaderOptions, ReadReport, detect_format, input_labels, read_events

if TYPE_CHECKING:
    from sectool.traffic.es.bulk import BulkIndexer

__all__ = ["MAX_DATASETS", "OTHER_DATASETS", "IngestSummary", "iter_input_events", "run_ingest"]

#: Dataset names counted one by one: ECS NDJSON names its own datasets, and a hostile file with a
#: new name on every line must not grow the summary (and its printed line) without bound.
MAX_DATASETS = 200
OTHER_DATASETS = "(other datasets)"


@dataclass
class IngestSummary:
    """What an ingest did."""

    files: int = 0
    read: int = 0
    indexed: int = 0
    already_present: int = 0
    rejected: int = 0
    written: int | None = None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    damaged: list[InputError] = field(default_factory=list)
    indices: list[str] = field(default_factory=list)
    #: Packets read from captures so far.
    packets: int = 0
    #: Bytes (on disk) of the input files finished so far.
    bytes_done: int = 0
    #: The report of the file being read (its ``position`` advances while it is read).
    current: ReadReport | None = None
    #: Events per ``event.dataset`` (``ndjson`` for files the compiled path indexed itself); at
    #: most :data:`MAX_DATASETS` names, the rest counted under :data:`OTHER_DATASETS`.
    datasets: Counter[str] = field(default_factory=Counter)
    #: Files of a folder or pattern that hold no format sectool reads: ``path: reason``.
    skipped: list[str] = field(default_factory=list)
    #: ``event.ingested`` of this run's events, when they go to Elasticsearch.
    ingested: datetime | None = None

    @property
    def bytes_read(self) -> int:
        """Bytes of the input files read from disk so far: the progress of an ingest, also while
        a capture yields no events yet (its flows end late)."""
        current = self.current
        return self.bytes_done + (current.position if current is not None else 0)


#: Reasons of :func:`detect_format` that mean "not a sensor file" (skipped inside a folder).
_NOT_SENSOR_DATA = ("unknown format", "empty file")


def _as_is(event: dict[str, Any]) -> dict[str, Any]:
    return event


def _as_input(item: Path | InputFile) -> InputFile:
    return item if isinstance(item, InputFile) else InputFile(Path(item))


def iter_input_events(
    paths: Sequence[Path | InputFile],
    summary: IngestSummary,
    *,
    options: ReaderOptions,
    site: str | None,
    direct: Callable[[Path, str, ReadReport], bool] | None = None,
) -> Iterator[dict[str, Any]]:
    """Events of every file in turn, enriched (:mod:`sectool.traffic.enrich`); damage is recorded
    in ``summary`` and the next file read. A file of a folder whose content is no format sectool
    reads is skipped with a note in ``summary.skipped``.

    ``direct(path, format, report)`` may take a file over (the compiled NDJSON path indexes it itself and
    counts ``summary.read``): when it returns ``True`` no events of that file are yielded.
    """
    stamps = stamp_labels({}, summary.ingested)
    datasets = summary.datasets
    for item in map(_as_input, paths):
        path = item.path
        report = ReadReport()
        summary.files += 1
        summary.current = report
        try:
            try:
                fmt = detect_format(path)  # sniffed once, for both
            except InputError as exc:
                if item.from_folder and exc.reason.startswith(_NOT_SENSOR_DATA):
                    summary.skipped.append(f"{path}: {exc.reason}")
                    continue
                raise
            if direct is not None:
                before = summary.read
                if direct(path, fmt, report):
                    datasets["ndjson"] += summary.read - before
                    continue
            # ECS NDJSON is taken as it is (as the compiled path takes it): stamps, no related.*
            complete = enrich if fmt != "ndjson" else _as_is
            for event in read_events(path, site=site, options=options, report=report, fmt=fmt):
                summary.read += 1
                for key, value in stamps.items():
                    if key not in event:
                        event[key] = value
                name = event.get("event.dataset") or "(none)"
                if name not in datasets and len(datasets) >= MAX_DATASETS:
                    name = OTHER_DATASETS
                datasets[name] += 1
                yield complete(event)
        except InputError as exc:
            # without its traceback, which would keep the reader's buffers alive to the end
            summary.damaged.append(exc.with_traceback(None))
        finally:
            summary.warnings.extend(report.warnings)
            summary.packets += report.packets
            summary.current = None
            summary.bytes_done += _size(path)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def run_ingest(
    paths: Sequence[Path | InputFile],
    *,
    options: ReaderOptions,
    site: str | None = None,
    indexer: BulkIndexer | None = None,
    to: Path | None = None,
    summary: IngestSummary | None = None,
) -> IngestSummary:
    """Read ``paths`` and send the events to ``indexer`` and/or the local file ``to``.

    ``summary`` (optional) is filled in place, so that another thread can show the progress
    (:attr:`IngestSummary.bytes_read`, ``read``, ``packets``) while the ingest runs.

    Raises:
        InputError: after everything valid was stored, when an input was damaged.
        ServiceError: Elasticsearch failed for good (from the indexer).
    """
    if indexer is None and to is None:
        raise ValueError("ingest needs a destination")
    summary = summary if summary is not None else IngestSummary()
    if indexer is not None and summary.ingested is None:
        summary.ingested = datetime.now(UTC)
    direct = _fast_ndjson(indexer, summary, options=options, site=site) if to is None else None
    events = iter_input_events(paths, summary, options=options, site=site, direct=direct)
    if to is not None:
        from sectool.traffic.localstore import write_events

        try:
            summary.written = write_events(to, events if indexer is None else _tee(events, indexer))
        except OSError as exc:
            # The output's folder or its temporary file: the user's --to (a file where a folder
            # should be, no permission, a full disk). An OS error of a reader names its own file.
            if exc.filename is not None and not _output_path(Path(exc.filename), to):
                raise
            raise InputError(
                f"cannot write the output: {exc.strerror or exc}", file=to, field="--to"
            ) from None
    elif indexer is not None:
        add = indexer.add
        for event in events:
            add(event)
    if indexer is not None:
        indexer.close()
        indexer.refresh()
        summary.indexed = indexer.stats.indexed
        summary.already_present = indexer.stats.already_present
        summary.rejected = indexer.stats.rejected
        summary.reasons = list(indexer.stats.reasons)
        summary.indices = sorted(indexer.indices)
    return summary


def _fast_ndjson(
    indexer: BulkIndexer | None, summary: IngestSummary, *, options: ReaderOptions, site: str | None
) -> Callable[[Path, str, ReadReport], bool] | None:
    """The ``direct`` hook of :func:`iter_input_events` that sends ECS NDJSON files through the
    compiled path (:mod:`sectool.traffic.es.fast_ndjson`); ``None`` without the extension."""
    if indexer is None:
        return None
    from sectool.traffic.es.fast_ndjson import accel_module, ingest_ndjson

    accel = accel_module()
    if accel is None:
        return None

    def direct(path: Path, fmt: str, report: ReadReport) -> bool:
        if fmt != "ndjson":
            return False
        labels = stamp_labels(input_labels(path, site=site, options=options), summary.ingested)
        return ingest_ndjson(
            path, labels=labels, report=report, indexer=indexer, summary=summary, accel=accel
        )

    return direct


def _output_path(name: Path, to: Path) -> bool:
    """Whether ``name`` is ``to``, a folder above it or a file next to it (its temporary file)."""
    return name == to or name.parent == to.parent or to.is_relative_to(name)


def _tee(events: Iterator[dict[str, Any]], indexer: BulkIndexer) -> Iterator[dict[str, Any]]:
    for event in events:
        indexer.add(event)
        yield event


def damage_error(summary: IngestSummary) -> InputError | None:
    """One error for the CLI that names every damaged input (``None`` when all were fine)."""
    if not summary.damaged:
        return None
    if len(summary.damaged) == 1:
        return summary.damaged[0]
    rest = "; ".join(str(e) for e in summary.damaged[1:])
    first = summary.damaged[0]
    return InputError(f"{first.reason}; also: {rest}", file=first.location.file, line=first.location.line)
