"""Pull raw events out of Elasticsearch into pandas frames: the *pull path*.

This is what the Elasticsearch backend exists to avoid, kept as the honest baseline the
benchmarks compare it with (and for exporting a range to local files): every event in the
range crosses the wire. It is still done carefully: point in time plus ``search_after``
sorted by ``@timestamp`` and ``_shard_doc``, doc values of the needed columns only, frames of
``batch_size`` rows, so client memory is one batch whatever the range.

:func:`es_frame_source` plugs into :class:`~sectool.traffic.detect.backends.local.PandasBackend`
(``PandasBackend(source=es_frame_source(es, "sectool-events-*"))``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.backends.es_paging import DEFAULT_HITS_PAGE, iter_hits
from sectool.traffic.detect.backends.es_query import time_range
from sectool.traffic.ecs import FIELDS, MULTI_VALUED

if TYPE_CHECKING:
    import pandas as pd
    from elasticsearch import Elasticsearch

__all__ = ["es_frame_source", "iter_event_frames"]


def iter_event_frames(
    es: Elasticsearch,
    index: str,
    *,
    columns: Sequence[str],
    since: datetime,
    until: datetime,
    batch_size: int = 100_000,
    page_size: int = DEFAULT_HITS_PAGE,
) -> Iterator[pd.DataFrame]:
    """Flat event frames (as :func:`sectool.traffic.localstore.read_events` shapes them).

    Args:
        es: The client.
        index: Index pattern.
        columns: Flat ECS fields to fetch (``@timestamp`` is always included).
        since: Start (inclusive).
        until: End (exclusive).
        batch_size: Rows per frame.
        page_size: Hits per request.
    """
    cols = list(dict.fromkeys(["@timestamp", *columns]))
    others = [c for c in cols if c != "@timestamp"]
    buffer: dict[str, list[Any]] = {c: [] for c in cols}
    fields: list[Any] = [
        {"field": c, "format": "epoch_millis"} if FIELDS.get(c) == "date" else c for c in others
    ]
    for hit in iter_hits(
        es,
        index=index,
        query=time_range(since, until),
        sort=[{"@timestamp": {"order": "asc", "format": "strict_date_optional_time_nanos"}}],
        fields=fields,
        page_size=page_size,
    ):
        got = hit.get("fields") or {}
        buffer["@timestamp"].append(hit["sort"][0])
        for c in others:
            values = got.get(c)
            if c in MULTI_VALUED:
                buffer[c].append(list(values) if values else None)
            else:
                buffer[c].append(values[0] if values else None)
        if len(buffer["@timestamp"]) >= batch_size:
            yield _frame(buffer, cols)
            buffer = {c: [] for c in cols}
    if buffer["@timestamp"]:
        yield _frame(buffer, cols)


def _frame(buffer: dict[str, list[Any]], cols: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    data: dict[str, Any] = {}
    for c in cols:
        kind = FIELDS.get(c)
        values = buffer[c]
        if c == "@timestamp":
            data[c] = pd.to_datetime(pd.Series(values, dtype="str"), utc=True, format="ISO8601").astype(
                "datetime64[ns, UTC]"
            )
        elif kind == "date":
            data[c] = pd.to_datetime(pd.Series(values, dtype="float64"), unit="ms", utc=True)
        elif kind == "long":
            data[c] = pd.Series(values, dtype="Int64")
        else:
            data[c] = pd.Series(values, dtype="object" if c in MULTI_VALUED else "str")
    return pd.DataFrame(data, columns=list(cols))


def es_frame_source(es: Elasticsearch, index: str, *, batch_size: int = 100_000) -> Any:
    """A ``FrameSource`` for :class:`PandasBackend` that pulls the events from Elasticsearch."""

    def source(columns: Sequence[str], since: datetime, until: datetime) -> Iterable[pd.DataFrame]:
        return iter_event_frames(es, index, columns=columns, since=since, until=until, batch_size=batch_size)

    return source
