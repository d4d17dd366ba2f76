"""From bucket tables to findings: the context, shared statistics, and the dispatcher.

The per-detector formulas live in :mod:`~sectool.traffic.detect.scorers.net` and
:mod:`~sectool.traffic.detect.scorers.events`; this module holds
what they share: robust statistics (median, MAD, Bowley skew), Shannon entropy, the score
to severity mapping, and the builder of a finding with its reproducing Elasticsearch query.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.filters import And, Eq, Filter, Range, to_es, to_kql
from sectool.traffic.detect.findings import Entity, EntityKind, Finding, severity_for
from sectool.traffic.detect.spec import WINDOW_START, DetectorSpec, Query

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

__all__ = [
    "SCORERS",
    "ScoreContext",
    "bowley_skew",
    "clip01",
    "entropy",
    "finding_order",
    "mad",
    "make_finding",
    "median",
    "score",
]


@dataclass(frozen=True)
class ScoreContext:
    """What a scorer may know besides the tables: the analysed range and the configuration."""

    since: datetime
    until: datetime
    config: DetectConfig


Scorer = Callable[[DetectorSpec, Mapping[str, "pd.DataFrame"], ScoreContext], list[Finding]]
SCORERS: dict[str, Scorer] = {}


def scorer(name: str) -> Callable[[Scorer], Scorer]:
    """Register a scorer under ``name`` (the :attr:`DetectorSpec.scorer` reference)."""

    def deco(fn: Scorer) -> Scorer:
        SCORERS[name] = fn
        return fn

    return deco


def score(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Turn the bucket tables of ``spec`` into findings, sorted by window, then entity."""
    import sectool.traffic.detect.scorers.auth
    import sectool.traffic.detect.scorers.c2
    import sectool.traffic.detect.scorers.dns
    import sectool.traffic.detect.scorers.events
    import sectool.traffic.detect.scorers.net
    import sectool.traffic.detect.scorers.scan
    import sectool.traffic.detect.scorers.sensor  # noqa: F401  (importing registers the scorers)

    found = SCORERS[spec.scorer](spec, tables, ctx)
    return sorted(found, key=finding_order)


def finding_order(f: Finding) -> tuple[Any, ...]:
    """How a detector's findings are sorted: by window, then entity."""
    return (f.window_start, f.entity.value, f.window_end)


# --------------------------------------------------------------------------- statistics
def median(xs: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    if not xs:
        return 0.0
    s = sorted(xs)
    n = len(s)
    return float(s[n // 2]) if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def mad(xs: Sequence[float]) -> float:
    """Median absolute deviation from the median."""
    m = median(xs)
    return median([abs(x - m) for x in xs])


def quartiles(xs: Sequence[float] | npt.NDArray[np.float64]) -> tuple[float, float, float]:
    """(Q1, Q2, Q3) with linear interpolation (numpy's default)."""
    import numpy as np

    q1, q2, q3 = np.percentile(np.asarray(xs, dtype=float), [25, 50, 75])
    return float(q1), float(q2), float(q3)


def bowley_skew(xs: Sequence[float] | npt.NDArray[np.float64]) -> float:
    """Bowley (quartile) skewness ``(Q3 + Q1 - 2 Q2) / (Q3 - Q1)`` in -1..1; 0 when Q3 = Q1."""
    q1, q2, q3 = quartiles(xs)
    if q3 == q1:
        return 0.0
    return (q3 + q1 - 2 * q2) / (q3 - q1)


def entropy(text: str) -> float:
    """Shannon entropy of the characters of ``text``, in bits per character."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def clip01(x: float) -> float:
    return 0.0 if x != x else max(0.0, min(1.0, x))  # nan -> 0


# --------------------------------------------------------------------------- findings
def to_datetime(value: Any) -> datetime:
    """A table cell (pandas Timestamp, epoch ms int, datetime) as an aware UTC datetime."""
    if isinstance(value, int | float):
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(value))
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    assert isinstance(value, datetime)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def make_finding(
    spec: DetectorSpec,
    ctx: ScoreContext,
    *,
    query: Query,
    kind: EntityKind,
    value: str,
    fields: Sequence[tuple[str, Any]],
    start: datetime,
    end: datetime,
    score_: float,
    title: str,
    evidence: Mapping[str, Any],
    techniques: Sequence[str] | None = None,
) -> Finding:
    """A finding with its severity and an ES query selecting the events behind it."""
    clean = tuple((f, v.item() if hasattr(v, "item") else v) for f, v in fields)
    items: list[Filter] = [] if query.filter is None else [query.filter]
    items += [Eq(f, v) for f, v in clean]
    items.append(Range("@timestamp", gte=start, lt=end if end > start else start + timedelta(milliseconds=1)))
    flt = And(tuple(items))
    s = round(clip01(score_), 4)
    return Finding(
        detector=spec.name,
        severity=severity_for(s, ctx.config.severity_bands),
        score=s,
        entity=Entity(kind, value, clean),
        window_start=start,
        window_end=end,
        title=title,
        evidence=dict(evidence),
        query={"dsl": {"query": to_es(flt)}, "kql": to_kql(flt)},
        techniques=tuple(techniques if techniques is not None else spec.techniques),
    )


# --------------------------------------------------------------------------- table helpers


def query_of(spec: DetectorSpec, name: str) -> Query:
    return next(q for q in spec.queries if q.name == name)


def windows(df: pd.DataFrame, interval: timedelta, ctx: ScoreContext) -> pd.DataFrame:
    """Rows whose window overlaps ``[since, until)`` (the rest is baseline)."""
    import pandas as pd

    if df.empty:
        return df
    start = pd.Timestamp(ctx.since) - pd.Timedelta(interval)
    return df.loc[df[WINDOW_START] > start]


def rows(df: pd.DataFrame) -> Iterator[dict[str, Any]]:
    cols = list(df.columns)
    for values in df.itertuples(index=False, name=None):
        yield dict(zip(cols, values, strict=True))


def grid(start: datetime, end: datetime, interval: timedelta) -> list[datetime]:
    """Epoch-aligned window starts ``w`` with ``start <= w < end``."""
    step = interval.total_seconds()
    first = math.ceil(start.timestamp() / step) * step
    out = []
    t = first
    while t < end.timestamp():
        out.append(datetime.fromtimestamp(t, tz=start.tzinfo))
        t += step
    return out


def floor(t: datetime, interval: timedelta) -> datetime:
    step = interval.total_seconds()
    return datetime.fromtimestamp(math.floor(t.timestamp() / step) * step, tz=t.tzinfo)


def as_ts(t: datetime) -> Any:
    import pandas as pd

    return pd.Timestamp(t)
