"""The Elasticsearch backend: runs detector queries as aggregations inside the cluster.

:class:`ElasticsearchBackend` implements the :class:`~sectool.traffic.detect.spec.Backend`
protocol. For one :class:`~sectool.traffic.detect.spec.Query` it

1. checks with ``field_caps`` that the index pattern has every field the query reads
   (:func:`~sectool.traffic.detect.backends.es_fields.check_fields`; an
   :class:`~sectool.errors.InputError` names the missing field and the ECS type expected);
2. with :class:`~sectool.traffic.detect.spec.Candidates`, runs the first phase: a composite
   aggregation by the candidate keys over the whole read range, filtered client-side by the
   ``having`` conditions while paging, keeping the top ``limit`` groups in a bounded heap;
3. runs the main composite aggregation (group keys, then a ``date_histogram`` window), one
   page of buckets in memory at a time, restricted to the candidates when there are any,
   recounting large distinct counts exactly (:mod:`~sectool.traffic.detect.backends.es_distinct`) and
   dropping rows that fail the query's ``having`` as they arrive;
4. for :class:`~sectool.traffic.detect.spec.Series` metrics, pulls the timestamps and values
   of the surviving groups only (:mod:`~sectool.traffic.detect.backends.es_series`).

The result is the bucket table of the contract, identical to the pandas backend's.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.backends.es_aggs import (
    REFINE_AT,
    TERMS_INEXACT,
    aggregated_metrics,
    bucket_row,
    composite_sources,
    metric_aggs,
)
from sectool.traffic.detect.backends.es_distinct import exact_distinct_counts, exact_top_terms
from sectool.traffic.detect.backends.es_fields import check_fields
from sectool.traffic.detect.backends.es_paging import DEFAULT_HITS_PAGE, DEFAULT_PAGE_SIZE, iter_composite
from sectool.traffic.detect.backends.es_query import MATCH_NONE, all_of, pairs_query, time_range
from sectool.traffic.detect.backends.es_series import DEFAULT_KEY_CHUNK, fetch_series
from sectool.traffic.detect.filters import to_es
from sectool.traffic.detect.spec import (
    WINDOW_START,
    Candidates,
    Cardinality,
    Count,
    Having,
    Max,
    Metric,
    Min,
    Query,
    Series,
    Terms,
    empty_table,
    table_columns,
)
from sectool.traffic.ecs import FIELDS

if TYPE_CHECKING:
    import pandas as pd
    from elasticsearch import Elasticsearch

__all__ = ["BUCKET_BUDGET", "DEFAULT_SERIES_PART", "ElasticsearchBackend", "page_size_for", "query_dsl"]

#: Candidate rows whose series the client holds at once for a row-wise scorer (beaconing: up to
#: ``max_points`` connections each); 5,000 candidates are scored in ten parts.
DEFAULT_SERIES_PART = 500
#: Series points (events) of one part, by the candidates' counts: the top candidates of a large
#: range hold thousands of points each, so a part is also cut by points.
SERIES_PART_POINTS = 100_000


def query_dsl(query: Query, since: datetime, until: datetime) -> dict[str, Any]:
    """The query DSL selecting the events ``query`` reads in ``[since - lookback, until)``."""
    lo, hi = query.read_range(since, until)
    parts = [time_range(lo, hi)]
    if query.filter is not None:
        parts.append(to_es(query.filter))
    return all_of(parts)


class ElasticsearchBackend:
    """Runs :class:`Query` objects as composite aggregations on an index pattern.

    Args:
        es: An ``elasticsearch.Elasticsearch`` client (see
            :func:`sectool.traffic.detect.backends.es_connect.connect`).
        index: Index name or pattern holding ECS events (``sectool-events-*``).
        page_size: Composite buckets per request (at most; see :func:`page_size_for`).
        hits_page_size: Hits per request in the series phase.
        key_chunk: Group keys per request when restricting to candidates or fetching series.
        series_part: Rows per part in :meth:`run_parts` (how many candidates' series the client
            holds at once for a row-wise scorer).
        on_page: Called with the bucket/hit count of every page (progress bars, tests).
    """

    def __init__(
        self,
        es: Elasticsearch,
        index: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        hits_page_size: int = DEFAULT_HITS_PAGE,
        key_chunk: int = DEFAULT_KEY_CHUNK,
        series_part: int = DEFAULT_SERIES_PART,
        on_page: Callable[[int], None] | None = None,
    ) -> None:
        if series_part < 1:
            raise ValueError("series_part must be at least 1")
        self.es = es
        self.index = index
        self.series_part = series_part
        self.page_size = page_size
        self.hits_page_size = hits_page_size
        self.key_chunk = key_chunk
        self.on_page = on_page
        self._checked: set[str] = set()

    # ------------------------------------------------------------------ protocol
    def run(self, query: Query, since: datetime, until: datetime) -> pd.DataFrame:
        """The bucket table of ``query`` over ``[since - query.lookback, until)``."""
        base, rows = self._phases(query, since, until)
        if not rows:
            return empty_table(query)
        series = [m for m in query.metrics if isinstance(m, Series)]
        if series:
            self._fill_series(query, base, series, rows)
        return _frame(query, rows)

    def run_parts(self, query: Query, since: datetime, until: datetime) -> Iterator[pd.DataFrame]:
        """The table of :meth:`run` in parts of at most :attr:`series_part` rows and about
        :data:`SERIES_PART_POINTS` series points, in the same order; the series of a part are
        fetched when it is asked for and let go when the next one is: the client holds one part's
        series at a time (row-wise scorers, see ``DetectorSpec.row_wise``)."""
        base, rows = self._phases(query, since, until)
        series = [m for m in query.metrics if isinstance(m, Series)]
        if not rows or not series:
            yield _frame(query, rows) if rows else empty_table(query)
            return
        columns = [c for s in series for c in s.columns]
        rows = _in_table_order(query, rows)  # so that the parts, joined, are run()'s table
        limit = min(s.limit for s in series)
        for part in _parts(rows, self.series_part, SERIES_PART_POINTS, limit):
            self._fill_series(query, base, series, part)
            yield _frame(query, part)
            for row in part:  # the frame was the consumer's; these lists are the bulk of it
                for col in columns:
                    row[col] = None

    def _phases(
        self, query: Query, since: datetime, until: datetime
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The main phase's rows (after the candidate phase), without series."""
        self.check(query)
        base = query_dsl(query, since, until)
        restrict: list[tuple[Any, ...]] | None = None
        reused: list[dict[str, Any]] | None = None
        if query.candidates is not None:
            best = self._candidate_rows(query.candidates, base)
            if not best:
                return base, []
            restrict = [tuple(r[f] for f in query.candidates.group_by) for r in best]
            if _candidates_answer(query):
                # The first phase already aggregated exactly what the main query asks for.
                reused = [r for r in best if all(h.holds(r[h.column]) for h in query.having)]
        rows = (
            reused if reused is not None else list(self._main_rows(query, base, query.candidates, restrict))
        )
        return base, rows

    def check(self, query: Query) -> None:
        """Raise :class:`~sectool.errors.InputError` if the index lacks a field ``query`` reads."""
        missing = sorted(query.required - self._checked)
        if missing:
            check_fields(self.es, self.index, missing, query=query.name)
            self._checked.update(missing)

    # ------------------------------------------------------------------ phases
    def _candidate_rows(self, cand: Candidates, base: Mapping[str, Any]) -> list[dict[str, Any]]:
        """First phase: the top ``cand.limit`` group rows passing ``cand.having``.

        Ordered by the first ``having`` column (else the first metric column) descending, then
        by the keys ascending; the heap holds at most ``limit`` rows whatever the number of groups.
        """
        rows = self._rows(base, cand.group_by, None, cand.metrics, cand.having)
        # Without a having, the first metric column orders (as in the pandas backend).
        col = cand.having[0].column if cand.having else cand.metrics[0].columns[0]
        return heapq.nsmallest(cand.limit, rows, key=lambda r: (-r[col], tuple(r[f] for f in cand.group_by)))

    def _main_rows(
        self,
        query: Query,
        base: Mapping[str, Any],
        cand: Candidates | None,
        restrict: Sequence[tuple[Any, ...]] | None,
    ) -> Iterator[dict[str, Any]]:
        if cand is None or restrict is None:
            yield from self._rows(base, query.group_by, query.interval, query.metrics, query.having)
            return
        for start in range(0, len(restrict), self.key_chunk):
            chunk = restrict[start : start + self.key_chunk]
            narrowed = all_of([base, pairs_query(cand.group_by, chunk)])
            yield from self._rows(narrowed, query.group_by, query.interval, query.metrics, query.having)

    def _rows(
        self,
        query_body: Mapping[str, Any],
        group_by: Sequence[str],
        interval: timedelta | None,
        metrics: Sequence[Metric],
        having: Sequence[Having],
    ) -> Iterator[dict[str, Any]]:
        if query_body == MATCH_NONE:
            return
        aggs = metric_aggs(metrics) if aggregated_metrics(metrics) else None
        distinct = [m for m in metrics if isinstance(m, Cardinality)]
        pending: list[dict[str, Any]] = []
        for bucket in iter_composite(
            self.es,
            index=self.index,
            query=query_body,
            sources=composite_sources(group_by, interval),
            aggs=aggs,
            page_size=page_size_for(metrics, self.page_size),
            on_page=self.on_page,
        ):
            row = bucket_row(bucket, group_by, interval, metrics)
            if TERMS_INEXACT in row or any(row[m.columns[0]] >= REFINE_AT for m in distinct):
                # An estimate: recount exactly before any having looks at it.
                pending.append(row)
                if len(pending) >= self.key_chunk:
                    yield from self._refined(query_body, group_by, interval, metrics, having, pending)
                    pending = []
                continue
            if all(h.holds(row[h.column]) for h in having):
                yield row
        if pending:
            yield from self._refined(query_body, group_by, interval, metrics, having, pending)

    def _refined(
        self,
        query_body: Mapping[str, Any],
        group_by: Sequence[str],
        interval: timedelta | None,
        metrics: Sequence[Metric],
        having: Sequence[Having],
        rows: list[dict[str, Any]],
    ) -> Iterator[dict[str, Any]]:
        """Replace estimated distinct counts and top lists of ``rows`` by exact ones."""

        def row_key(row: dict[str, Any]) -> tuple[Any, ...]:
            key = tuple(row[f] for f in group_by)
            return key if interval is None else (*key, row[WINDOW_START])

        common: dict[str, Any] = {
            "index": self.index,
            "base_query": query_body,
            "group_by": group_by,
            "interval": interval,
            "key_chunk": self.key_chunk,
            "page_size": self.page_size,
        }
        for m in metrics:
            if isinstance(m, Cardinality):
                todo = [r for r in rows if r[m.columns[0]] >= REFINE_AT]
                if todo:
                    keys = [tuple(r[f] for f in group_by) for r in todo]
                    exact = exact_distinct_counts(self.es, field=m.field, keys=keys, **common)
                    for r in todo:
                        r[m.columns[0]] = exact.get(row_key(r), 0)
            elif isinstance(m, Terms):
                todo = [r for r in rows if m in r.get(TERMS_INEXACT, ())]
                if todo:
                    keys = [tuple(r[f] for f in group_by) for r in todo]
                    top = exact_top_terms(self.es, field=m.field, size=m.size, keys=keys, **common)
                    for r in todo:
                        r[m.columns[0]] = top.get(row_key(r), [])
        for row in rows:
            row.pop(TERMS_INEXACT, None)
            if all(h.holds(row[h.column]) for h in having):
                yield row

    def _fill_series(
        self, query: Query, base: Mapping[str, Any], series: Sequence[Series], rows: list[dict[str, Any]]
    ) -> None:
        keys = [tuple(r[f] for f in query.group_by) for r in rows]
        # The rows' own event counts let the series phase aggregate instead of fetching hits.
        counted = query.interval is None and any(
            isinstance(m, Count) and m.where is None for m in query.metrics
        )
        fetched = fetch_series(
            self.es,
            index=self.index,
            base_query=base,
            group_by=query.group_by,
            interval=query.interval,
            series=series,
            keys=keys,
            counts={k: int(r["count"]) for k, r in zip(keys, rows, strict=True)} if counted else None,
            key_chunk=self.key_chunk,
            page_size=self.hits_page_size,
        )
        for row, key in zip(rows, keys, strict=True):
            row_key = key if query.interval is None else (*key, row[WINDOW_START])
            cols = fetched.get(row_key, {})
            for s in series:
                for col in s.columns:
                    row[col] = cols.get(col, [])


def _candidates_answer(query: Query) -> bool:
    """Whether the first phase's rows are the main query's rows: same groups, no window, and
    every aggregated metric of the query computed by the first phase over the same events."""
    cand = query.candidates
    if cand is None or query.interval is not None or tuple(cand.group_by) != tuple(query.group_by):
        return False
    return all(m in cand.metrics for m in query.metrics if not isinstance(m, Series))


#: Buckets one search may create (Elasticsearch's ``search.max_buckets`` is 65,536), with a margin.
BUCKET_BUDGET = 60_000


def page_size_for(metrics: Sequence[Metric], wanted: int) -> int:
    """Composite page size for ``metrics``: as large as asked, within the bucket budget.

    Every composite page is one pass over the matching documents, so fewer, larger pages are
    faster; but ``terms`` sub-aggregations add their own buckets to each composite bucket,
    and ``search.max_buckets`` caps the total per request.
    """
    per_bucket = 1 + sum(m.size + max(m.size, 10) for m in metrics if isinstance(m, Terms))
    return max(1, min(wanted, BUCKET_BUDGET // per_bucket))


def _frame(query: Query, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows to the contract's DataFrame: dtypes per column, sorted by keys then window."""
    import pandas as pd

    columns = table_columns(query)
    data: dict[str, Any] = {}
    for col in columns:
        values = [r[col] for r in rows]
        dtype = _dtype(query, col)
        if dtype == "datetime64[ns, UTC]":
            # Epoch milliseconds (None: no value) to timestamps, the whole column at once.
            ms = pd.Series(values, dtype="float64")
            data[col] = pd.to_datetime(ms, unit="ms", utc=True).astype(dtype)
        else:
            data[col] = pd.Series(values, dtype=dtype)
    df = pd.DataFrame(data, columns=columns)
    order = _table_order(query)
    if order:
        df = df.sort_values(order, kind="stable")
    return df.reset_index(drop=True)


def _parts(
    rows: list[dict[str, Any]], most_rows: int, most_points: int, limit: int
) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in consecutive parts of at most ``most_rows`` rows and, by the rows' event counts
    (capped at the series ``limit``), about ``most_points`` series points (at least one row)."""
    part: list[dict[str, Any]] = []
    points = 0
    for row in rows:
        count = row.get("count")
        need = min(int(count), limit) if isinstance(count, int) else 0
        if part and (len(part) >= most_rows or points + need > most_points):
            yield part
            part, points = [], 0
        part.append(row)
        points += need
    if part:
        yield part


def _table_order(query: Query) -> list[str]:
    """The columns a bucket table is sorted by: the group keys, then the window."""
    return [*query.group_by, *([WINDOW_START] if query.interval is not None else [])]


def _in_table_order(query: Query, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` in the order :func:`_frame` sorts them (keys, then window)."""
    import pandas as pd

    order = _table_order(query)
    if not order:
        return rows
    keys = pd.DataFrame({col: pd.Series([r[col] for r in rows], dtype=_dtype(query, col)) for col in order})
    return [rows[i] for i in keys.sort_values(order, kind="stable").index]


def _dtype(query: Query, col: str) -> Any:
    if col in query.group_by:
        # pandas' own string dtype (``str`` in pandas 3), as the pandas backend returns.
        return "int64" if FIELDS.get(col) == "long" else "str"
    if col == WINDOW_START:
        return "datetime64[ns, UTC]"
    metric = _metric_of(query.metrics, col)
    if isinstance(metric, Count):
        return "int64"
    if metric is not None and metric.columns[0].startswith("cardinality:"):
        return "int64"
    if isinstance(metric, Min | Max) and FIELDS.get(metric.field) == "date":
        return "datetime64[ns, UTC]"
    if metric is not None and col.split(":", 1)[0] in {"terms", "series"}:
        return "object"
    return "float64"


def _metric_of(metrics: Sequence[Metric], col: str) -> Metric | None:
    for m in metrics:
        if col in m.columns:
            return m
    return None
