"""Reading sectool's JSONL event files (``ingest --to x.jsonl``) into Arrow tables for
:mod:`sectool.traffic.localstore`: each line checked as the Parquet columns would hold it.

A hostile line (not UTF-8, nested thousands deep, numbers beyond 64 bits, lone surrogates, a
value of the wrong type, a year beyond what nanosecond timestamps hold, a line longer than
:data:`~sectool.traffic.readers.common.MAX_LINE_BYTES`) is an :class:`InputError` naming the
file, line and field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa  # imported with the local store's read path only

from sectool.errors import InputError
from sectool.traffic.ecs import FIELDS, namespace_of
from sectool.traffic.localstore import (
    _DATE_FIELDS,
    _NS_HIGH,
    _NS_LOW,
    COLUMNS,
    _column,
    _epoch_ns,
    _fits,
    _time_filter,
    arrow_schema,
    arrow_type,
    namespace_json,
)
from sectool.traffic.readers.common import json_object, raw_lines

__all__ = ["jsonl_batches", "parse_line", "rows_table"]


def jsonl_batches(
    path: Path, batch_size: int, columns: Sequence[str] | None, since: datetime | None, until: datetime | None
) -> Iterator[pa.Table]:
    rows: list[dict[str, Any]] = []
    for lineno, raw in raw_lines(path, decompress=False):  # sectool writes plain JSONL
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"not UTF-8 text at byte {exc.start} of the line (a JSONL event file is plain text)",
                file=path,
                line=lineno,
            ) from None
        if not line.strip():
            continue
        rows.append(parse_line(path, lineno, line, columns))
        if len(rows) >= batch_size:
            yield rows_table(rows, since, until, columns)
            rows = []
    if rows:
        yield rows_table(rows, since, until, columns)


def parse_line(path: Path, lineno: int, line: str, columns: Sequence[str] | None) -> dict[str, Any]:
    row = json_object(path, lineno, line)
    for key, value in row.items():
        if key in FIELDS and value is not None and key not in _DATE_FIELDS and not _fits(key, value):
            raise InputError(
                "event value has the wrong type",
                file=path,
                line=lineno,
                field=key,
                value=value,
                expected=FIELDS[key],
            )
    free: dict[str, dict[str, Any]] = {}
    for key in list(row):
        if key not in FIELDS:
            ns = namespace_of(key)
            if ns is None:
                raise InputError("unknown ECS field", file=path, line=lineno, field=key)
            value = row.pop(key)
            if value is not None:
                free.setdefault(ns, {})[key[len(ns) + 1 :]] = value
    for ns, names in free.items():
        row[ns] = namespace_json(names, ns)
    for key in _DATE_FIELDS & row.keys():
        if row[key] is not None:
            try:
                row[key] = _epoch_ns(row[key], key)
            except (ValueError, TypeError, OverflowError) as exc:
                raise InputError(str(exc), file=path, line=lineno, field=key) from exc
            if not _NS_LOW <= row[key] < _NS_HIGH:
                raise InputError(
                    "timestamp outside the years 1678-2261 (what nanosecond timestamps hold)",
                    file=path,
                    line=lineno,
                    field=key,
                )
    return row


def rows_table(
    rows: list[dict[str, Any]], since: datetime | None, until: datetime | None, columns: Sequence[str] | None
) -> pa.Table:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    names = [n for n in COLUMNS if n in seen]
    arrays = []
    for name in names:
        values = [row.get(name) for row in rows]
        if name in _DATE_FIELDS:
            arrays.append(pa.array(values, type=pa.int64()).cast(arrow_type(name)))
        else:
            arrays.append(_column(name, values))
    table = pa.Table.from_arrays(arrays, schema=arrow_schema(names))
    table = _time_filter(table, since, until)
    if columns is not None:
        table = table.select([c for c in columns if c in table.column_names])
    return table
