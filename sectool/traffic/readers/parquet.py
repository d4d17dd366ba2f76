"""sectool's own Parquet event files (``traffic simulate``'s ``events.parquet``, ``ingest --to
x.parquet``) as input: every file sectool writes is a file it reads.

The columns are :data:`sectool.traffic.localstore.COLUMNS` (ECS fields and the namespaces' JSON
columns); a file with a column outside them is not one of sectool's and is refused, naming the
column. Rows are read in batches (memory bounded), unset values left out, and each event gets the
id of the row as stored (:func:`sectool.traffic.localstore.event_id`, before labels), so
re-ingesting the file, or its JSONL twin, adds nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd  # this module is imported only when a Parquet file is read (the CLI starts fast)

from sectool.errors import InputError
from sectool.traffic.ecs import FIELDS, MULTI_VALUED, NAMESPACES
from sectool.traffic.localstore import COLUMNS, event_id, iter_event_batches
from sectool.traffic.readers.identity import SourceEvent
from sectool.traffic.readers.options import ReaderOptions, ReadReport
from sectool.traffic.readers.values import check_free_name

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


def _type_fits(name: str, typ: Any) -> bool:
    """Whether a column of Arrow type ``typ`` holds what field ``name`` takes (the family of the
    type sectool writes, :func:`sectool.traffic.localstore.arrow_type`: another writer's string
    or integer width is fine; a text port or a number where a name belongs is not)."""
    import pyarrow as pa

    t = pa.types
    if t.is_null(typ):  # a column nothing was written to
        return True
    if t.is_dictionary(typ):
        typ = typ.value_type

    def text(x: Any) -> bool:
        return bool(t.is_string(x) or t.is_large_string(x))

    if name in MULTI_VALUED:
        return bool(
            (t.is_list(typ) or t.is_large_list(typ)) and (text(typ.value_type) or t.is_null(typ.value_type))
        )
    kind = FIELDS.get(name, "namespace")
    if kind == "date":
        return bool(t.is_timestamp(typ))
    if kind == "long":
        return bool(t.is_integer(typ))
    return text(typ)


def _namespaces(flat: dict[str, Any], path: Path, row: int) -> dict[str, Any]:
    """A stored row as a flat event: each namespace's JSON column becomes its dotted names, checked
    as the NDJSON reader checks free names (another writer's file may hold anything there)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if key not in NAMESPACES or key in FIELDS:
            out[key] = value
            continue
        try:
            names = json.loads(value)
        except (TypeError, ValueError, RecursionError):
            names = None
        if not isinstance(names, dict):
            raise InputError(
                "bad value: not a JSON object",
                file=path,
                line=row,
                field=key,
                expected="a JSON object of names",
            )
        for name, item in names.items():
            dotted = f"{key}.{name}"
            if not isinstance(name, str) or "" in name.split("."):
                raise InputError("bad name: an empty part between dots", file=path, line=row, field=dotted)
            check_free_name(dotted, path, row)
            items = item if isinstance(item, list) else [item]
            if any(isinstance(x, (dict, list)) for x in items):
                raise InputError(
                    "bad value: nested lists or objects",
                    file=path,
                    line=row,
                    field=dotted,
                    expected="a scalar or a list of scalars",
                )
            if item is not None:
                out[dotted] = item
    return out


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
    for name in schema.names:
        typ = schema.field(name).type
        if not _type_fits(name, typ):
            raise InputError(
                "not a sectool event file: a column of the wrong type",
                file=path,
                field=name,
                value=str(typ),
                expected=FIELDS.get(name, "JSON text of the namespace's names"),
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
                event = _namespaces(flat, path, row)
                if event.get("@timestamp") is None:
                    raise InputError("event without @timestamp", file=path, line=row, field="@timestamp")
                doc_id = event_id(event)
                for key, value in labels.items():
                    if event.get(key) is None:
                        event[key] = value
                yield SourceEvent(event, doc_id)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"damaged Parquet file after row {row}: {exc}", file=path) from exc
