"""Local event files: the embedded default store (no server).

Events are flat ECS dicts (keys from :data:`sectool.traffic.ecs.FIELDS`). Two formats, chosen by
the file suffix:

* ``.parquet``: one column per ECS field with its type (timestamps ``timestamp[ns, UTC]``, longs
  ``int64``, everything else ``string``, multi-valued fields ``list<string>``), and one ``string``
  column per free namespace (``zeek``, ``suricata``, ``labels``) holding a JSON object of the
  event's names in it without the namespace (``{"ssh.auth_success": "F"}``); every file carries
  the full schema, so columns of a Parquet file are always present (null where unset).
* ``.jsonl`` / ``.ndjson``: one flat JSON object per line, unset fields left out, timestamps as
  ISO 8601 in UTC with a ``Z`` suffix, namespaced names flat (``"zeek.ssh.auth_success": "F"``).
  A JSONL file is valid ECS NDJSON input for ``ingest``.

Writing is streaming (bounded memory: events are converted in batches) and atomic (a temporary
sibling is renamed over the target only when everything was written). Reading returns pandas
frames with flat dotted columns, ``@timestamp`` (and ``event.start``/``event.end``) as
``datetime64[ns, UTC]``, longs as nullable ``Int64``, and ``dns.answers.data`` as lists of str.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sectool.errors import InputError
from sectool.fileio import atomic_open
from sectool.traffic.ecs import FIELDS, MULTI_VALUED, NAMESPACES, namespace_of

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "COLUMNS",
    "JSONL_SUFFIXES",
    "PARQUET_SUFFIXES",
    "canonical_id",
    "document_id",
    "event_id",
    "expand_namespaces",
    "iter_event_batches",
    "namespace_json",
    "read_events",
    "to_json_value",
    "write_events",
]

PARQUET_SUFFIXES = frozenset({".parquet"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})

_DATE_FIELDS = frozenset(k for k, t in FIELDS.items() if t == "date")
#: The nanoseconds a timestamp column holds (``readers.common.TIME_RANGE``: 1678-01-01 .. 2262-01-01).
_NS_LOW, _NS_HIGH = -9_214_560_000 * 1_000_000_000, 9_214_646_400 * 1_000_000_000
#: Every column of a local event table: the ECS fields, then one JSON column per namespace.
COLUMNS: tuple[str, ...] = (*FIELDS, *NAMESPACES)
#: Events converted to Arrow per batch when writing (bounds memory).
_WRITE_BATCH = 50_000
#: Fields that do not make two events different (the same capture moved to another path is
#: the same traffic), so they stay out of the document id.
_ID_EXCLUDED = frozenset({"log.file.path"})


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    raise InputError(
        "unsupported event file type",
        file=path,
        value=path.suffix or "(no suffix)",
        expected=".parquet, .jsonl or .ndjson",
    )


def _utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{field}: naive datetime {value!r}; events carry timezone-aware UTC datetimes")
    return value.astimezone(UTC)


def _epoch_ns(value: Any, field: str) -> int:
    """A timestamp as integer nanoseconds since the epoch (keeps pandas' nanoseconds)."""
    ts_value = getattr(value, "value", None)  # pandas.Timestamp: exact ns
    if isinstance(value, datetime) and isinstance(ts_value, int):
        if value.tzinfo is None:
            raise ValueError(f"{field}: naive timestamp {value!r}")
        return ts_value
    if isinstance(value, datetime):
        dt = _utc(value, field)
        delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
    if isinstance(value, str):
        return _epoch_ns(_parse_iso(value, field), field)
    raise ValueError(f"{field}: expected a datetime, got {type(value).__name__}")


def _parse_iso(text: str, field: str) -> Any:
    import pandas as pd

    try:
        ts = pd.Timestamp(text)
    except ValueError as exc:
        raise ValueError(f"{field}: not an ISO 8601 timestamp: {text!r}") from exc
    if ts.tzinfo is None:
        raise ValueError(f"{field}: timestamp without a timezone: {text!r}")
    return ts.tz_convert("UTC")


def iso_z(value: Any, field: str = "@timestamp") -> str:
    """ISO 8601 in UTC with a ``Z`` suffix; nanoseconds kept when present, else microseconds."""
    ns = _epoch_ns(value, field)
    seconds, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac % 1000:
        return f"{base}.{frac:09d}Z"
    return f"{base}.{frac // 1000:06d}Z"


def to_json_value(field: str, value: Any) -> Any:
    """A flat event value as JSON-compatible data (timestamps as ISO 8601 Z strings)."""
    if field in _DATE_FIELDS:
        return iso_z(value, field)
    if field in MULTI_VALUED:
        return [str(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def namespace_json(names: Mapping[str, Any], namespace: str) -> str:
    """The JSON column value of one namespace: its names (without ``namespace.``) and values."""
    try:
        return orjson.dumps(dict(names), option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError as exc:  # a value that is no JSON scalar or list of them
        raise InputError(
            "event value has the wrong type", field=namespace, expected="scalars or lists of scalars"
        ) from exc


def expand_namespaces(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row back as a flat event: the namespace JSON columns become their dotted names."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in NAMESPACES and key not in FIELDS:
            if isinstance(value, str):  # null (None or a frame's NaN): nothing in the namespace
                for name, item in json.loads(value).items():
                    out[f"{key}.{name}"] = item
        else:
            out[key] = value
    return out


def event_id(event: Mapping[str, Any]) -> str:
    """Deterministic document id of a flat event: BLAKE2b-128 over its canonical JSON.

    Unset (``None``) values and the source file name are left out, timestamps count as integer
    nanoseconds, so the id does not depend on how a value was represented (``datetime``,
    ``pandas.Timestamp`` or ISO text) or on where the input file lay.
    """
    canon: dict[str, Any] = {}
    for key, value in event.items():
        if value is None or key in _ID_EXCLUDED:
            continue
        if key in _DATE_FIELDS:
            canon[key] = _epoch_ns(value, key)
        elif key in MULTI_VALUED:
            canon[key] = [str(v) for v in value]
        elif hasattr(value, "item") and not isinstance(value, (str, bytes)):
            canon[key] = value.item()
        else:
            canon[key] = value
    return canonical_id(canon)


def canonical_id(canon: Mapping[str, Any], *, checked: bool = False) -> str:
    """BLAKE2b-128 (hex) of ``json.dumps(canon, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` encoded as UTF-8: the hash behind :func:`event_id`, for callers that
    already hold the canonical values (integer ns for timestamps, no ``None``, no source file).

    orjson produces exactly these bytes, several times faster, when every value is a ``str``,
    an ``int`` or a list of ``str`` and no string needs an escape (then neither encoder writes a
    backslash, and both sort keys by code point); everything else (floats, escapes, integers
    beyond 64 bits, lone surrogates) takes the standard library as before, so ids never move.
    ``checked=True`` says the caller guarantees those value types (a validating reader), which
    skips checking them here.
    """
    data: bytes | None = None
    if checked or (
        all(type(v) is str or type(v) is int or type(v) is list for v in canon.values()) and _str_lists(canon)
    ):
        try:
            data = orjson.dumps(canon, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # integers beyond 64 bits, lone surrogates, non-str keys
            data = None
        if data is not None and b"\\" in data:
            data = None
    if data is None:
        text = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        data = text.encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _str_lists(canon: Mapping[str, Any]) -> bool:
    return all(type(x) is str for v in canon.values() if type(v) is list for x in v)


def document_id(event: Mapping[str, Any]) -> str:
    """The Elasticsearch ``_id`` of an event: the id of its source record when the reader attached
    one (:class:`sectool.traffic.readers.identity.SourceEvent`), else :func:`event_id`."""
    doc_id = getattr(event, "doc_id", None)
    return doc_id if isinstance(doc_id, str) else event_id(event)


# ---------------------------------------------------------------------------------------- arrow


def arrow_type(field: str) -> pa.DataType:
    """The Arrow type that stores an ECS field."""
    import pyarrow as pa

    if field in MULTI_VALUED:
        return pa.list_(pa.string())
    kind = FIELDS.get(field, "namespace")
    if kind == "date":
        return pa.timestamp("ns", tz="UTC")
    if kind == "long":
        return pa.int64()
    return pa.string()


def arrow_schema(fields: Iterable[str] | None = None) -> pa.Schema:
    """Arrow schema for the given ECS fields (all of :data:`FIELDS` by default)."""
    import pyarrow as pa

    names = list(COLUMNS) if fields is None else list(fields)
    return pa.schema([pa.field(name, arrow_type(name)) for name in names])


def _column(field: str, values: list[Any]) -> pa.Array:
    import pyarrow as pa

    typ = arrow_type(field)
    if field in _DATE_FIELDS:
        values = [None if v is None else _epoch_ns(v, field) for v in values]
        return pa.array(values, type=pa.int64()).cast(typ)
    try:
        return pa.array(values, type=typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
        bad = next((v for v in values if v is not None and not _fits(field, v)), None)
        raise InputError(
            "event value has the wrong type", field=field, value=bad, expected=FIELDS.get(field, "JSON text")
        ) from exc


def _fits(field: str, value: Any) -> bool:
    kind = FIELDS.get(field, "namespace")
    if field in MULTI_VALUED:
        return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    if kind == "long":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def _batch_table(events: list[Mapping[str, Any]], fields: Sequence[str]) -> pa.Table:
    import pyarrow as pa

    columns: dict[str, list[Any]] = {name: [] for name in fields}
    spaces = [ns for ns in NAMESPACES if ns in columns]
    for event in events:
        free: dict[str, dict[str, Any]] = {}
        for key, value in event.items():
            if key not in columns:
                ns = namespace_of(key)
                if ns is None or ns not in columns:
                    raise InputError("event has a field that is not in the ECS field list", field=key)
                if value is not None:
                    free.setdefault(ns, {})[key[len(ns) + 1 :]] = value
        for name, col in columns.items():
            col.append(event.get(name))
        for ns in spaces:
            columns[ns][-1] = namespace_json(free[ns], ns) if ns in free else None
    return pa.Table.from_arrays([_column(n, columns[n]) for n in fields], schema=arrow_schema(fields))


# ---------------------------------------------------------------------------------------- write


def write_events(path: Path, events: Iterable[Mapping[str, Any]]) -> int:
    """Write flat ECS events to ``path`` (format by suffix), atomically and streaming.

    Returns:
        The number of events written.

    Raises:
        InputError: unsupported suffix, or an event with an unknown field or a badly typed value.
    """
    path = Path(path)
    fmt = _format(path)
    if fmt == "parquet":
        return _write_parquet(path, events)
    return _write_jsonl(path, events)


def _write_parquet(path: Path, events: Iterable[Mapping[str, Any]]) -> int:
    import pyarrow.parquet as pq

    schema = arrow_schema()
    fields = list(COLUMNS)
    count = 0
    with atomic_open(path, "wb") as fh:
        writer = pq.ParquetWriter(fh, schema, compression="zstd")
        try:
            batch: list[Mapping[str, Any]] = []
            for event in events:
                batch.append(event)
                if len(batch) >= _WRITE_BATCH:
                    writer.write_table(_batch_table(batch, fields))
                    count += len(batch)
                    batch = []
            if batch or count == 0:
                writer.write_table(_batch_table(batch, fields))
                count += len(batch)
        finally:
            writer.close()
    return count


def _write_jsonl(path: Path, events: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    with atomic_open(path, "w") as fh:
        for event in events:
            fh.write(_json_line(event))
            count += 1
    return count


def _json_line(event: Mapping[str, Any]) -> str:
    row: dict[str, Any] = {}
    for key, value in event.items():
        if key not in FIELDS and namespace_of(key) is None:
            raise InputError("event has a field that is not in the ECS field list", field=key)
        if value is None:
            continue
        row[key] = to_json_value(key, value)
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


# ----------------------------------------------------------------------------------------- read


def _to_frame(table: pa.Table) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa

    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    for name in MULTI_VALUED:
        if name in frame.columns:
            frame[name] = [None if v is None else [str(x) for x in v] for v in frame[name]]
    return frame


def _time_filter(table: pa.Table, since: datetime | None, until: datetime | None) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    if since is None and until is None:
        return table
    if "@timestamp" not in table.column_names:
        return table.slice(0, 0)
    ts = table.column("@timestamp").cast(pa.int64())
    mask = None
    if since is not None:
        mask = pc.greater_equal(ts, _epoch_ns(since, "since"))
    if until is not None:
        upper = pc.less(ts, _epoch_ns(until, "until"))
        mask = upper if mask is None else pc.and_(mask, upper)
    return table.filter(pc.fill_null(mask, False))


def _parquet_batches(
    path: Path, batch_size: int, columns: Sequence[str] | None, since: datetime | None, until: datetime | None
) -> Iterator[pa.Table]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"cannot read Parquet file: {exc}", file=path) from exc
    present = pf.schema_arrow.names
    wanted = present if columns is None else [c for c in columns if c in present]
    need = list(wanted)
    if (since or until) and "@timestamp" in present and "@timestamp" not in need:
        need.append("@timestamp")
    batches = pf.iter_batches(batch_size=batch_size, columns=need)
    rows = 0
    while True:
        try:
            record_batch = next(batches, None)
        except (OSError, pa.ArrowException) as exc:  # a damaged page: the footer read fine
            raise InputError(f"damaged Parquet file after row {rows}: {exc}", file=path) from None
        if record_batch is None:
            return
        rows += record_batch.num_rows
        table = _time_filter(pa.Table.from_batches([record_batch]), since, until)
        yield table.select(wanted)


def _tables(
    paths: Sequence[Path],
    batch_size: int,
    columns: Sequence[str] | None,
    since: datetime | None,
    until: datetime | None,
) -> Iterator[pa.Table]:
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError("event file not found", file=path)
        if _format(path) == "parquet":
            yield from _parquet_batches(path, batch_size, columns, since, until)
        else:
            from sectool.traffic.localstore_jsonl import jsonl_batches

            yield from jsonl_batches(path, batch_size, columns, since, until)


def iter_event_batches(
    paths: Sequence[Path],
    *,
    batch_size: int = 200_000,
    columns: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[pd.DataFrame]:
    """Stream events from local files as DataFrames of at most ``batch_size`` rows.

    ``since`` is inclusive, ``until`` exclusive (both on ``@timestamp``). Columns that a file
    does not have are absent from its frames (JSONL frames hold the fields seen in the batch).
    Empty batches (everything filtered out) are not yielded.
    """
    for table in _tables(paths, batch_size, columns, since, until):
        if table.num_rows:
            yield _to_frame(table)


def read_events(
    paths: Sequence[Path],
    *,
    columns: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """All events of ``paths`` in one DataFrame (see :func:`iter_event_batches`)."""
    import pyarrow as pa

    tables = [t for t in _tables(paths, 200_000, columns, since, until)]
    if not tables:
        return _to_frame(arrow_schema([c for c in (columns or []) if c in COLUMNS]).empty_table())
    # Batches of JSONL files may hold different column sets: unify by name, missing -> null.
    table = pa.concat_tables(tables, promote_options="default")
    return _to_frame(table)
