"""Detector specifications: the contract between detectors and the backends that run them.

A detector knows nothing about where the data lives. It is a :class:`DetectorSpec`: one or
more :class:`Query` objects (what to aggregate) and the name of a scorer (how the resulting
buckets become findings). A backend (:class:`Backend`) runs one query over a time range and
returns a **bucket table**, a :class:`pandas.DataFrame` with a fixed shape:

* one column per group-by field, named by its ECS name (``source.ip``), in ``group_by`` order;
  IPs as canonical strings (``ipaddress`` form), keywords as strings, numbers as ``int64``;
  events missing a group-by field are left out (the ES ``composite`` default);
* ``window_start`` (``datetime64[ns, UTC]``) when the query has a window interval; windows are
  aligned to the Unix epoch (the ES ``fixed_interval`` alignment) and only non-empty windows
  appear;
* one column per metric, named by :attr:`Metric.column` (``count``, ``sum:source.bytes``,
  ``cardinality:destination.port``, ``p50:event.duration``, ``terms:dns.question.subdomain``,
  ``series:@timestamp``);
* rows sorted by the group keys then ``window_start``.

``docs/traffic-detection.md`` describes the detectors; each metric's docstring names the
Elasticsearch aggregation it stands for, which is the contract the Elasticsearch backend implements.
Everything here is a frozen dataclass: specs are values, safe to share and to hash.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from sectool.errors import InputError
from sectool.traffic.detect.filters import Filter, filter_fields

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "WINDOW_START",
    "Backend",
    "BucketTable",
    "Candidates",
    "Cardinality",
    "Count",
    "DetectorSpec",
    "Having",
    "Max",
    "Metric",
    "Min",
    "MissingFieldError",
    "PartsBackend",
    "Percentiles",
    "Query",
    "Series",
    "Sum",
    "Terms",
    "empty_table",
    "table_columns",
]

#: Name of the window column of a windowed bucket table.
WINDOW_START = "window_start"

#: A bucket table is a plain DataFrame with the shape described in the module docstring.
BucketTable: TypeAlias = "pd.DataFrame"


# --------------------------------------------------------------------------- metrics
@dataclass(frozen=True)
class Count:
    """Number of events in the bucket; with ``where``, only events matching that filter.

    Column ``count``, or ``count:<name>`` for a filtered count (ES: a ``filter`` sub-aggregation).
    """

    where: Filter | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.where is not None and not self.name:
            raise ValueError("a filtered Count needs a name")

    @property
    def columns(self) -> tuple[str, ...]:
        return ("count" if self.where is None else f"count:{self.name}",)

    @property
    def fields(self) -> frozenset[str]:
        return filter_fields(self.where) if self.where is not None else frozenset()


@dataclass(frozen=True)
class _FieldMetric:
    field: str

    kind = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"{self.kind}:{self.field}",)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


@dataclass(frozen=True)
class Sum(_FieldMetric):
    """Sum of a numeric field (``float64``; missing values count as 0). ES: ``sum``."""

    kind = "sum"


@dataclass(frozen=True)
class Min(_FieldMetric):
    """Minimum of a numeric or date field. ``@timestamp`` gives ``datetime64[ns, UTC]`` at
    millisecond precision, numbers give ``float64``. ES: ``min``."""

    kind = "min"


@dataclass(frozen=True)
class Max(_FieldMetric):
    """Maximum, as :class:`Min`. ES: ``max``."""

    kind = "max"


@dataclass(frozen=True)
class Cardinality(_FieldMetric):
    """Number of distinct values (``int64``), exact on both backends. ES: ``cardinality`` with a
    modest ``precision_threshold``, and an exact recount of the buckets whose estimate is large
    (see :mod:`sectool.traffic.detect.backends.es_distinct`)."""

    kind = "cardinality"


@dataclass(frozen=True)
class Percentiles:
    """Percentiles of a numeric field; one ``float64`` column per percent, ``p50:<field>``.

    The pandas backend is exact (linear interpolation); ES ``percentiles`` (TDigest) is
    approximate, so no shipped detector scores on percentiles where parity matters.
    """

    field: str
    percents: tuple[float, ...] = (50.0,)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f"p{_pct(p)}:{self.field}" for p in self.percents)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


@dataclass(frozen=True)
class Terms:
    """The most frequent distinct values of a field, as a list column ``terms:<field>``.

    At most ``size`` values, ordered by event count descending then value ascending (ES:
    ``terms`` with ``order: [{_count: desc}, {_key: asc}]``).
    """

    field: str
    size: int = 100

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"terms:{self.field}",)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset({self.field})


@dataclass(frozen=True)
class Series:
    """Per-group raw values for two-phase detectors (beaconing): one list column per field,
    ``series:<field>``, aligned and sorted by ``@timestamp`` ascending (ties: by the other
    fields in order). ``series:@timestamp`` holds ``int`` epoch **milliseconds** (the ES date
    precision); other fields hold numbers (``float``; a missing value is ``nan``).

    Only the first ``limit`` events (by time) per group are kept. ES: the backend reads only
    the candidate groups' events (never all documents): as aggregations for unaligned series,
    else as hits with a filtered, sorted ``search_after``.

    ``aligned=False`` is for scorers that use the other fields only as a multiset (beaconing's
    bytes: median, MAD, quartiles): ``series:@timestamp`` is as above, and every other column
    holds that field's present values (no ``nan``) of the same events, sorted ascending. The
    Elasticsearch backend can then build the series from aggregations (per group a millisecond
    ``date_histogram`` and a value histogram) instead of transferring one hit per event.
    """

    of: tuple[str, ...] = ("@timestamp",)
    limit: int = 10_000
    aligned: bool = True

    def __post_init__(self) -> None:
        if not self.of or self.of[0] != "@timestamp":
            raise ValueError("a Series starts with '@timestamp'")

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f"series:{f}" for f in self.of)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.of)


Metric = Count | Sum | Min | Max | Cardinality | Percentiles | Terms | Series


def _pct(p: float) -> str:
    return str(int(p)) if float(p).is_integer() else str(p).replace(".", "_")


# --------------------------------------------------------------------------- query
@dataclass(frozen=True)
class Having:
    """A condition on a metric column of a bucket row (a post-aggregation filter)."""

    column: str
    op: Literal[">=", ">", "<=", "<", "=="]
    value: float

    def holds(self, x: float) -> bool:
        """Whether the condition holds for ``x``."""
        if self.op == ">=":
            return x >= self.value
        if self.op == ">":
            return x > self.value
        if self.op == "<=":
            return x <= self.value
        if self.op == "<":
            return x < self.value
        return x == self.value


@dataclass(frozen=True)
class Candidates:
    """The first phase of a two-phase query.

    The backend aggregates the query's events (same filter, same time range including the
    lookback, **no window**) by ``group_by`` (a prefix-free subset of the query's group-by
    fields) with ``metrics``, keeps the groups where every ``having`` holds, takes at most
    ``limit`` of them ordered by the first ``having`` column descending (ties by group keys
    ascending), and runs the main query only over events of those groups.
    """

    group_by: tuple[str, ...]
    metrics: tuple[Metric, ...]
    having: tuple[Having, ...]
    limit: int = 1000


@dataclass(frozen=True)
class Query:
    """One aggregation a backend runs.

    Attributes:
        name: Key of the resulting table in the scorer's input.
        filter: Events taken into account (``None``: all events in the range).
        group_by: ECS fields to group by (the composite ``sources``).
        metrics: Metrics per group (and window).
        interval: Window length (``date_histogram`` ``fixed_interval``); ``None`` aggregates
            the whole range into one row per group.
        lookback: The backend reads ``[since - lookback, until)`` so the scorer has a
            baseline before ``since``.
        candidates: Optional first phase selecting the groups (see :class:`Candidates`).
        having: Conditions on metric columns; rows that fail any are left out of the table.
        optional: Fields the query reads where events have them (a heuristic marker, a
            sensor's free ``zeek.*`` key): a store without them is not an error, its events
            simply do not match conditions on them (Elasticsearch semantics).
    """

    name: str
    group_by: tuple[str, ...]
    metrics: tuple[Metric, ...]
    filter: Filter | None = None
    interval: timedelta | None = None
    lookback: timedelta = timedelta(0)
    candidates: Candidates | None = None
    having: tuple[Having, ...] = ()
    optional: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        cols = table_columns(self)
        if len(cols) != len(set(cols)):
            raise ValueError(f"query {self.name!r} has duplicate columns: {cols}")
        if self.candidates is not None and not set(self.candidates.group_by) <= set(self.group_by):
            raise ValueError("candidate group_by must be a subset of the query group_by")
        for h in self.having:
            if h.column not in cols:
                raise ValueError(f"having column {h.column!r} is not a column of {self.name!r}")

    @property
    def fields(self) -> frozenset[str]:
        """Every ECS field the query reads (for the "missing field" check)."""
        out: set[str] = {"@timestamp", *self.group_by}
        if self.filter is not None:
            out |= filter_fields(self.filter)
        for m in self.metrics:
            out |= m.fields
        if self.candidates is not None:
            for m in self.candidates.metrics:
                out |= m.fields
        return frozenset(out)

    @property
    def required(self) -> frozenset[str]:
        """The fields a store must have for the query to run (:attr:`fields` but the optional)."""
        return self.fields - self.optional

    def read_range(self, since: datetime, until: datetime) -> tuple[datetime, datetime]:
        """The time range the backend reads: ``[since - lookback, until)``."""
        return since - self.lookback, until


def table_columns(query: Query) -> list[str]:
    """The columns of the bucket table of ``query``, in order."""
    cols = list(query.group_by)
    if query.interval is not None:
        cols.append(WINDOW_START)
    for m in query.metrics:
        cols.extend(m.columns)
    return cols


def empty_table(query: Query) -> pd.DataFrame:
    """A bucket table with the right columns and no rows."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series([], dtype="object") for c in table_columns(query)})


# --------------------------------------------------------------------------- detector
@dataclass(frozen=True)
class DetectorSpec:
    """A detector: named queries plus the scorer that turns their tables into findings.

    Attributes:
        name: Detector name (``beaconing``); part of each finding id.
        queries: The aggregations the scorer needs, keyed by :attr:`Query.name`.
        scorer: Key into :data:`sectool.traffic.detect.scoring.SCORERS`.
        techniques: MITRE ATT&CK technique ids the findings carry.
        params: Thresholds the scorer reads (from the detector config), as a frozen mapping.
        description: One line for ``--help`` and the docs.
        row_wise: The spec has one query and its scorer judges each row of the table on its
            own, so a backend may hand the table over in parts (``run_parts``) and the engine
            scores part by part: the Elasticsearch backend then holds the series of one part of
            the candidates at a time, not of all of them.
    """

    name: str
    queries: tuple[Query, ...]
    scorer: str
    techniques: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    row_wise: bool = False

    @property
    def fields(self) -> frozenset[str]:
        out: set[str] = set()
        for q in self.queries:
            out |= q.fields
        return frozenset(out)


class MissingFieldError(InputError):
    """The events lack a field a query needs, or hold it with a type the query cannot use.

    Its own class so that a run of all detectors can skip the detector (engine) while any
    other bad input still stops the run.
    """


class Backend(Protocol):
    """Runs queries over some store of ECS events.

    ``run`` returns the bucket table of ``query`` over events with ``@timestamp`` in
    ``[since - query.lookback, until)``. A field the query needs that the store does not
    have raises :class:`MissingFieldError` naming the field (``field=``) and the ECS
    name expected; an unreachable store raises :class:`sectool.errors.ServiceError`.
    """

    def run(self, query: Query, since: datetime, until: datetime) -> BucketTable: ...


class PartsBackend(Backend, Protocol):
    """A backend that can also hand a table over in parts (rows in the order of :meth:`run`);
    the engine uses it for :attr:`DetectorSpec.row_wise` specs."""

    def run_parts(self, query: Query, since: datetime, until: datetime) -> Iterator[BucketTable]: ...
