"""The time span of local event files: the default analysed range of ``traffic detect FILE``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["data_span"]

_MS = timedelta(milliseconds=1)


def _floor_ms(t: datetime) -> datetime:
    # Detectors see @timestamp at millisecond precision (the Elasticsearch date): a range that
    # starts a few microseconds after the first event would put that event "before" it.
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def data_span(paths: Sequence[Path]) -> tuple[datetime, datetime] | None:
    """``[first event, last event + 1 ms)`` of the files, at millisecond precision (``None``:
    no events). Reads only the ``@timestamp`` column."""
    from sectool.traffic.localstore import iter_event_batches

    lo: datetime | None = None
    hi: datetime | None = None
    for chunk in iter_event_batches(list(paths), columns=["@timestamp"]):
        if "@timestamp" not in chunk.columns or chunk.empty:
            continue
        ts = chunk["@timestamp"].dropna()
        if ts.empty:
            continue
        first, last = ts.min().to_pydatetime(), ts.max().to_pydatetime()
        lo = first if lo is None or first < lo else lo
        hi = last if hi is None or last > hi else hi
    if lo is None or hi is None:
        return None
    return _floor_ms(lo.astimezone(UTC)), _floor_ms(hi.astimezone(UTC)) + _MS
