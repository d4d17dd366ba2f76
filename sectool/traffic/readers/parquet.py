"""sectool's own Parquet event files (``traffic simulate``'s ``events.parquet``, ``ingest --to
x.parquet``) as input: every file sectool writes is a file it reads.

The columns are :data:`sectool.traffic.localstore.COLUMNS` (ECS fields and the namespaces' JSON
columns); a file with a column outside them is not one of sectool's and is refused, naming the
column. Rows are read in batches (memory bounded), unset values left out, and each event gets the
id of the row as stored (:func:`sectool.traffic.localstore.event_id`, before labels), so
re-ingesting the file, or its JSONL twin, adds nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd  # this module is imported only when a Parquet file is read (the CLI starts fast)

from sectool.errors import InputError
from sectool.traffic.localstore import COLUMNS, event_id, expand_namespaces, iter_event_batches
from sectool.traffic.readers.identity import SourceEvent
from sectool.traffic.readers.options import ReaderOptions, ReadReport

__all__ = ["read_parquet"]

_BATCH = 50_000


def _value(value: Any) -> Any:
    """A frame cell as a flat-event value: ``None`` for pandas' nulls, Python scalars for numpy
    ones, aware datetimes for ``Timestamp``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def read_parquet(
    path: Path, options: ReaderOptions, labels: dict[str, Any], report: ReadReport
) -> Iterator[dict[str, Any]]:
    """Flat events of one of sectool's Parquet event files."""
    del options  # events are stored complete: directions and flows were decided when written
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"damaged Parquet file: {exc}", file=path) from exc
    known = set(COLUMNS)
    for name in schema.names:
        if name not in known:
            raise InputError(
                "not a sectool event file: unknown column", file=path, field=name, expected="ECS fields"
            )
    if "@timestamp" not in schema.names:
        raise InputError("not a sectool event file: no @timestamp column", file=path, field="@timestamp")
    row = 0
    try:
        for frame in iter_event_batches([path], batch_size=_BATCH):
            columns = list(frame.columns)
            for values in frame.itertuples(index=False, name=None):
                row += 1
                report.lines += 1
                flat = {k: v for k, v in zip(columns, map(_value, values), strict=True) if v is not None}
                event = expand_namespaces(flat)
                if event.get("@timestamp") is None:
                    raise InputError("event without @timestamp", file=path, line=row, field="@timestamp")
                doc_id = event_id(event)
                for key, value in labels.items():
                    if event.get(key) is None:
                        event[key] = value
                yield SourceEvent(event, doc_id)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"damaged Parquet file after row {row}: {exc}", file=path) from exc
