"""Translate a :class:`~sectool.traffic.detect.spec.Query` into composite-aggregation parts, and
composite buckets back into bucket-table rows.

Pure functions (no client): the sources and sub-aggregations for a query, and the parsing of
one bucket into ``{column: value}`` with the dtypes of the bucket-table contract
(``/work/notes/detect-contract.md``).

Exactness (what parity with the pandas backend can rely on):

* ``count``, ``count:<name>``, ``sum``, ``min``/``max`` and the group keys are exact.
* ``cardinality`` uses ``precision_threshold: 3000``; estimates of :data:`REFINE_AT` or more
  are recounted exactly by :mod:`~sectool.traffic.detect.backends.es_distinct` (why, and the residual
  hash-collision probability below it, is explained there).
* ``percentiles`` are TDigest estimates; the pandas backend interpolates exactly. They agree
  for the few values per group that ES keeps unmerged, and drift within TDigest's error
  otherwise; no shipped detector scores on them.
* ``terms`` ask each shard for ``max(size * 4, 100)`` candidates, exact on one shard and
  for any value frequent enough to be in each shard's top list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sectool.traffic.detect.filters import to_es
from sectool.traffic.detect.spec import (
    WINDOW_START,
    Cardinality,
    Count,
    Max,
    Metric,
    Min,
    Percentiles,
    Series,
    Sum,
    Terms,
)
from sectool.traffic.ecs import FIELDS

__all__ = [
    "PRECISION_THRESHOLD",
    "REFINE_AT",
    "TERMS_INEXACT",
    "aggregated_metrics",
    "bucket_row",
    "composite_sources",
    "interval_ms",
    "key_value",
    "metric_aggs",
    "top_terms",
]

#: ``precision_threshold`` of the ``cardinality`` aggregations (Elasticsearch's default; a few
#: KiB per bucket, where the maximum of 40,000 reserves 256 KiB per bucket).
PRECISION_THRESHOLD = 3000
#: Distinct-count estimates at or above this are recounted exactly (see ``es_distinct``).
REFINE_AT = 1500
_WINDOW_KEY = "w"


def _key_name(i: int) -> str:
    return f"k{i}"


def interval_ms(interval: timedelta) -> int:
    """The window length in whole milliseconds (ES ``fixed_interval`` resolution)."""
    ms = interval // timedelta(milliseconds=1)
    if ms <= 0 or timedelta(milliseconds=ms) != interval:
        raise ValueError(f"window interval must be a positive whole number of milliseconds, got {interval}")
    return ms


def composite_sources(group_by: Sequence[str], interval: timedelta | None) -> list[dict[str, Any]]:
    """Composite ``sources``: one ``terms`` per group-by field, then the window.

    No ``missing_bucket``: events without a group-by field are left out, as the contract says.
    The window is a ``date_histogram`` with ``fixed_interval`` in UTC and no offset, which
    aligns windows to the Unix epoch exactly as ``Series.dt.floor`` does in pandas.
    """
    sources: list[dict[str, Any]] = [
        {_key_name(i): {"terms": {"field": field}}} for i, field in enumerate(group_by)
    ]
    if interval is not None:
        sources.append(
            {
                _WINDOW_KEY: {
                    "date_histogram": {
                        "field": "@timestamp",
                        "fixed_interval": f"{interval_ms(interval)}ms",
                        "time_zone": "UTC",
                    }
                }
            }
        )
    return sources


def aggregated_metrics(metrics: Sequence[Metric]) -> list[tuple[int, Metric]]:
    """The metrics computed in the aggregation (all but :class:`Series` and plain counts)."""
    return [(i, m) for i, m in enumerate(metrics) if not isinstance(m, Series) and not _is_plain_count(m)]


def _is_plain_count(m: Metric) -> bool:
    return isinstance(m, Count) and m.where is None


def metric_aggs(metrics: Sequence[Metric]) -> dict[str, Any]:
    """Sub-aggregations per bucket, named ``m<i>`` after the metric's position."""
    aggs: dict[str, Any] = {}
    for i, m in aggregated_metrics(metrics):
        name = f"m{i}"
        if isinstance(m, Count):
            assert m.where is not None
            aggs[name] = {"filter": to_es(m.where)}
        elif isinstance(m, Sum):
            aggs[name] = {"sum": {"field": m.field}}
        elif isinstance(m, Min):
            aggs[name] = {"min": {"field": m.field}}
        elif isinstance(m, Max):
            aggs[name] = {"max": {"field": m.field}}
        elif isinstance(m, Cardinality):
            aggs[name] = {"cardinality": {"field": m.field, "precision_threshold": PRECISION_THRESHOLD}}
        elif isinstance(m, Percentiles):
            aggs[name] = {"percentiles": {"field": m.field, "percents": list(m.percents), "keyed": False}}
        elif isinstance(m, Terms):
            # Over-fetch, then order ties client-side: ES orders equal counts by the binary
            # address for ip fields, the contract by the text (see :func:`top_terms`).
            aggs[name] = {
                "terms": {
                    "field": m.field,
                    "size": m.size + max(m.size, 10),
                    "shard_size": max(m.size * 4, 100),
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                    "show_term_doc_count_error": True,
                }
            }
        else:  # pragma: no cover - the Metric union is closed
            raise TypeError(f"unsupported metric {m!r}")
    return aggs


def key_value(field: str, value: Any) -> Any:
    """A group key as the tables hold it: ``int`` for long fields (aggregations may answer
    ``1.0``), the value itself otherwise (IP and keyword keys are already normalised strings)."""
    if FIELDS.get(field) == "long" and value is not None:
        return int(value)
    return value


def _epoch_ms(value: float) -> int:
    # Dates stay integer epoch milliseconds in rows; the table builder converts whole columns
    # at once (a Timestamp per bucket costs more than the rest of the row).
    return math.floor(value)


#: Row key listing the :class:`Terms` metrics whose top list may be inexact (several shards
#: each returned only their own top values); the backend recounts those rows exactly.
TERMS_INEXACT = "__terms_inexact__"


def _terms_inexact(sub: Mapping[str, Any]) -> bool:
    """Whether a shard may have held back a value that belongs in the top list.

    Elasticsearch reports an error bound of 0 when every shard returned all its values (one
    shard, or fewer values than ``shard_size``); anything else is treated as inexact.
    """
    if int(sub.get("doc_count_error_upper_bound") or 0) != 0:
        return True
    return any(int(b.get("doc_count_error_upper_bound") or 0) != 0 for b in sub.get("buckets") or [])


def top_terms(buckets: Sequence[Mapping[str, Any]], size: int) -> list[str]:
    """The ``size`` most frequent values, ties by value ascending (numbers by number, text by text)."""

    def order(b: Mapping[str, Any]) -> tuple[int, int, float, str]:
        key = b["key"]
        if isinstance(key, int | float) and not isinstance(key, bool):
            return (-int(b["doc_count"]), 0, float(key), "")
        return (-int(b["doc_count"]), 1, 0.0, str(b.get("key_as_string", key)))

    return [str(b.get("key_as_string", b["key"])) for b in sorted(buckets, key=order)[:size]]


def bucket_row(
    bucket: Mapping[str, Any],
    group_by: Sequence[str],
    interval: timedelta | None,
    metrics: Sequence[Metric],
) -> dict[str, Any]:
    """One composite bucket as ``{column: value}`` (series columns are filled later).

    Dates (``window_start``, ``min``/``max`` of date fields) are epoch milliseconds here
    (``None`` when missing); :func:`sectool.traffic.detect.backends.es` converts the columns.

    Args:
        bucket: The composite bucket (built from :func:`composite_sources` and :func:`metric_aggs`).
        group_by: The group-by fields, in order.
        interval: The window length, or ``None`` when the query has no window.
        metrics: The metrics, in order.
    """
    key = bucket["key"]
    row: dict[str, Any] = {}
    for i, field in enumerate(group_by):
        row[field] = key_value(field, key[_key_name(i)])
    if interval is not None:
        row[WINDOW_START] = _epoch_ms(key[_WINDOW_KEY])
    for i, m in enumerate(metrics):
        sub: Any = bucket.get(f"m{i}")
        if isinstance(m, Count):
            row[m.columns[0]] = int(bucket["doc_count"] if m.where is None else sub["doc_count"])
        elif isinstance(m, Sum):
            value = sub.get("value") if sub else None
            row[m.columns[0]] = float(value) if value is not None else 0.0
        elif isinstance(m, Min | Max):
            value = sub.get("value") if sub else None
            if FIELDS.get(m.field) == "date":
                row[m.columns[0]] = _epoch_ms(value) if value is not None else None
            else:
                row[m.columns[0]] = float(value) if value is not None else math.nan
        elif isinstance(m, Cardinality):
            row[m.columns[0]] = int(sub["value"])
        elif isinstance(m, Percentiles):
            values = {float(v["key"]): v.get("value") for v in sub["values"]}
            for pct, col in zip(m.percents, m.columns, strict=True):
                v = values.get(float(pct))
                row[col] = float(v) if v is not None else math.nan
        elif isinstance(m, Terms):
            row[m.columns[0]] = top_terms(sub["buckets"], m.size)
            if _terms_inexact(sub):
                row.setdefault(TERMS_INEXACT, []).append(m)
        else:  # Series: filled by the second phase
            for col in m.columns:
                row[col] = []
    return row
