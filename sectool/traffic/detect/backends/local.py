"""The pandas backend: runs detector queries over local event files, chunk by chunk.

Memory stays bounded by the number of *groups*, not of events: each chunk of events (from
:func:`sectool.traffic.localstore.iter_event_batches`) is reduced to partial aggregates that
merge exactly across chunks: counts and sums add, min/max fold, distinct counts keep the
distinct (group, value) pairs, terms keep (group, value) counts. Percentiles and series keep
raw values, which is why detectors use them only on a candidate subset (two-phase queries).
Partials are re-merged every few chunks so that they never pile up.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.filters import mask
from sectool.traffic.detect.spec import (
    WINDOW_START,
    Cardinality,
    Count,
    Max,
    Min,
    MissingFieldError,
    Percentiles,
    Query,
    Series,
    Sum,
    Terms,
    empty_table,
    table_columns,
)
from sectool.traffic.ecs import FIELDS, MULTI_VALUED, namespace_of

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FrameSource", "PandasBackend", "missing_field_error"]

#: Chunks reduced before partial aggregates are merged again.
_MERGE_EVERY = 8

FrameSource = Callable[[Sequence[str], datetime, datetime], Iterable["pd.DataFrame"]]


def missing_field_error(field: str, where: str) -> MissingFieldError:
    """The error for a field a detector needs that the events do not have."""
    kind = FIELDS.get(field, "keyword")
    return MissingFieldError(
        f"{where} have no field '{field}', which the detector needs",
        field=field,
        expected=f"ECS field '{field}' ({kind})",
    )


class PandasBackend:
    """Runs :class:`~sectool.traffic.detect.spec.Query` objects over flat ECS event frames.

    Args:
        paths: Parquet/JSONL event files (see :mod:`sectool.traffic.localstore`).
        batch_size: Events per chunk (memory is about ``batch_size`` rows of the needed columns).
        source: Instead of ``paths``, a callable ``(columns, since, until) -> frames`` (tests,
            or events already in memory).
    """

    def __init__(
        self,
        paths: Sequence[Path] = (),
        *,
        batch_size: int = 200_000,
        source: FrameSource | None = None,
    ) -> None:
        if source is None:
            from sectool.traffic.localstore import iter_event_batches

            files = [Path(p) for p in paths]

            def read(columns: Sequence[str], since: datetime, until: datetime) -> Iterable[pd.DataFrame]:
                return iter_event_batches(
                    files, batch_size=batch_size, columns=columns, since=since, until=until
                )

            source = read
            self._where = "the event files"
        else:
            self._where = "the events"
        self._source = source

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, batch_size: int = 200_000) -> PandasBackend:
        """A backend over events already in a DataFrame (chunked the same way as files)."""

        def read(columns: Sequence[str], since: datetime, until: datetime) -> Iterator[pd.DataFrame]:
            import pandas as pd

            if "@timestamp" not in df.columns:
                return
            ts = df["@timestamp"]
            sel = df.loc[
                (ts >= pd.Timestamp(since)) & (ts < pd.Timestamp(until)),
                [c for c in columns if c in df.columns],
            ]
            for i in range(0, len(sel), batch_size):
                yield sel.iloc[i : i + batch_size]

        return cls(source=read, batch_size=batch_size)

    # ------------------------------------------------------------------ public
    def run(self, query: Query, since: datetime, until: datetime) -> pd.DataFrame:
        """The bucket table of ``query`` over ``[since - lookback, until)``."""
        lo, hi = query.read_range(since, until)
        allowed = None
        if query.candidates is not None:
            allowed = self._candidates(query, since, until)
            if allowed is not None and len(allowed) == 0:
                return empty_table(query)
        agg = _Aggregator(query)
        # Parquet chunks carry every column, JSONL chunks only the fields their events have:
        # a field is missing only if no chunk of the whole read had it.
        seen: set[str] = set()
        any_rows = False
        for chunk in self._source(_stored_columns(query.fields), lo, hi):
            seen |= set(chunk.columns)
            if len(chunk):
                any_rows = True
                agg.add(_prepare(chunk, query, allowed))
        if any_rows:
            for f in sorted(query.required - seen):
                raise missing_field_error(f, self._where)
        return agg.result()

    # ------------------------------------------------------------------ internals
    def _candidates(self, query: Query, since: datetime, until: datetime) -> Any:
        import pandas as pd

        cand = query.candidates
        assert cand is not None
        first = Query(
            name=f"{query.name}:candidates",
            group_by=cand.group_by,
            metrics=cand.metrics,
            filter=query.filter,
            lookback=query.lookback,
            having=cand.having,
            optional=query.optional,
        )
        table = self.run(first, since, until)
        if table.empty:
            return pd.MultiIndex.from_tuples([], names=list(cand.group_by))
        order_col = cand.having[0].column if cand.having else table_columns(first)[len(cand.group_by)]
        table = table.sort_values(
            [order_col, *cand.group_by], ascending=[False] + [True] * len(cand.group_by)
        )
        table = table.head(cand.limit)
        return pd.MultiIndex.from_frame(table[list(cand.group_by)])


def _canonical_ip(text: str) -> str:
    # IPv4 text as readers and Elasticsearch write it is already canonical; IPv6 has many
    # spellings of one address. inet_pton/inet_ntop (C) give the RFC 5952 form ipaddress uses.
    if ":" not in text:
        return text
    try:
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))
    except OSError:
        return text


def _canonical_ips(s: pd.Series) -> pd.Series:
    uniq = s.dropna().unique()
    mapping = {u: _canonical_ip(str(u)) if isinstance(u, str) else u for u in uniq}
    if all(k == v for k, v in mapping.items()):
        return s
    return s.map(mapping)


def _stored_columns(fields: frozenset[str]) -> list[str]:
    """The columns to read for ``fields``: a free name (``zeek.ssh.auth_attempts``) is stored in
    its namespace's JSON column (``zeek``) in Parquet, flat in JSONL; ask for both."""
    roots = {ns for f in fields if (ns := namespace_of(f)) is not None}
    return sorted(fields | roots)


def _expand_namespaced(df: pd.DataFrame, fields: frozenset[str]) -> pd.DataFrame:
    """Add the free names a query reads from their namespace's JSON column (when stored so)."""
    wanted = [f for f in fields if f not in df.columns and namespace_of(f) in df.columns]
    if not wanted:
        return df
    import json

    added: dict[str, list[Any]] = {f: [] for f in wanted}
    for f in wanted:
        ns = namespace_of(f)
        assert ns is not None
        key = f[len(ns) + 1 :]
        for text in df[ns]:
            obj = json.loads(text) if isinstance(text, str) else None
            added[f].append(obj.get(key) if isinstance(obj, dict) else None)
    return df.assign(**added)


def _prepare(chunk: pd.DataFrame, query: Query, allowed: Any) -> pd.DataFrame:
    """Filter a chunk, normalise its keys, add the window column."""
    import pandas as pd

    df = _expand_namespaced(chunk, query.fields)
    absent = [f for f in query.fields if f not in df.columns]
    if absent:
        # A JSONL chunk holds only the fields its events have: the others are all unset here.
        df = df.assign(**{f: None for f in absent})
    if query.filter is not None:
        df = df.loc[mask(df, query.filter)]
    keys = list(query.group_by)
    df = df.dropna(subset=keys)
    if df.empty:
        return df
    df = df.copy()
    for f in query.fields:
        # Keys, terms and distinct counts of IPs compare addresses, not spellings.
        if FIELDS.get(f) == "ip":
            df[f] = _canonical_ips(df[f])
    for k in keys:
        if FIELDS.get(k) == "ip":
            df[k] = df[k].astype(str)
        elif FIELDS.get(k) == "long":
            df[k] = df[k].astype("int64")
        else:
            df[k] = df[k].astype(str)
    if allowed is not None:
        names = list(allowed.names)
        idx = pd.MultiIndex.from_frame(df[names])
        df = df.loc[idx.isin(allowed)]
    if query.interval is not None:
        step = int(query.interval.total_seconds() * 1_000_000_000)
        ns = df["@timestamp"].astype("datetime64[ns, UTC]").astype("int64")
        df[WINDOW_START] = pd.to_datetime((ns // step) * step, utc=True)
    return df


class _Aggregator:
    """Partial aggregates of one query, merged across chunks."""

    def __init__(self, query: Query) -> None:
        self.q = query
        self.keys = list(query.group_by) + ([WINDOW_START] if query.interval is not None else [])
        self.simple: list[pd.DataFrame] = []
        self.distinct: dict[str, list[pd.DataFrame]] = {}
        self.raw: dict[str, list[pd.DataFrame]] = {}
        self.n_chunks = 0

    def add(self, df: pd.DataFrame) -> None:
        if df.empty:
            return
        import pandas as pd

        keys = self.keys
        g = df.groupby(keys, sort=False, dropna=False)
        parts: dict[str, pd.Series] = {"count": g.size()}
        for m in self.q.metrics:
            if isinstance(m, Count) and m.where is not None:
                hit = mask(df, m.where).astype("int64")
                parts[m.columns[0]] = hit.groupby([df[k] for k in keys], sort=False).sum()
            elif isinstance(m, Sum):
                vals = pd.to_numeric(df[m.field], errors="coerce").astype("float64").fillna(0.0)
                parts[m.columns[0]] = vals.groupby([df[k] for k in keys], sort=False).sum()
            elif isinstance(m, Min | Max):
                vals = _numeric_or_time(df[m.field])
                grouped = vals.groupby([df[k] for k in keys], sort=False)
                parts[m.columns[0]] = grouped.min() if isinstance(m, Min) else grouped.max()
            elif isinstance(m, Cardinality | Terms):
                sub = df[[*keys, m.field]]
                if m.field in MULTI_VALUED:
                    # Each value of an ECS array counts, as Elasticsearch counts them.
                    sub = sub.explode(m.field)
                sub = sub.dropna(subset=[m.field])
                if isinstance(m, Terms):
                    sub = (
                        sub.assign(_n=1)
                        .groupby([*keys, m.field], sort=False, as_index=False)
                        .agg(_n=("_n", "sum"))
                    )
                else:
                    sub = sub.drop_duplicates()
                self.distinct.setdefault(m.columns[0], []).append(sub)
            elif isinstance(m, Percentiles | Series):
                cols = [m.field] if isinstance(m, Percentiles) else list(m.of)
                self.raw.setdefault(m.columns[0], []).append(df[[*keys, *[c for c in cols if c not in keys]]])
        self.simple.append(pd.DataFrame(parts))
        self.n_chunks += 1
        if self.n_chunks % _MERGE_EVERY == 0:
            self._compact()

    def _compact(self) -> None:
        import pandas as pd

        if len(self.simple) > 1:
            self.simple = [self._merge_simple(pd.concat(self.simple))]
        for col, parts in self.distinct.items():
            if len(parts) > 1:
                self.distinct[col] = [self._merge_distinct(col, pd.concat(parts, ignore_index=True))]

    def _merge_simple(self, df: pd.DataFrame) -> pd.DataFrame:
        how: dict[str, str] = {}
        for c in df.columns:
            how[c] = "min" if c.startswith("min:") else "max" if c.startswith("max:") else "sum"
        return df.groupby(level=list(range(len(self.keys))), sort=False).agg(how)

    def _merge_distinct(self, col: str, df: pd.DataFrame) -> pd.DataFrame:
        field = col.split(":", 1)[1]
        if col.startswith("terms:"):
            return df.groupby([*self.keys, field], sort=False, as_index=False).agg(_n=("_n", "sum"))
        return df.drop_duplicates()

    def result(self) -> pd.DataFrame:
        import pandas as pd

        q = self.q
        if not self.simple:
            return empty_table(q)
        simple = self._merge_simple(pd.concat(self.simple))
        out = simple.reset_index()
        out.columns = [*self.keys, *simple.columns]
        out["count"] = out["count"].astype("int64")
        for m in q.metrics:
            col = m.columns[0]
            if isinstance(m, Count) and m.where is not None:
                out[col] = out[col].astype("int64")
            elif isinstance(m, Cardinality):
                d = self._merge_distinct(
                    col, pd.concat(self.distinct.get(col, []) or [_empty(self.keys, m.field)])
                )
                n = d.groupby(self.keys, sort=False).size().rename(col)
                out = out.merge(n, left_on=self.keys, right_index=True, how="left")
                out[col] = out[col].fillna(0).astype("int64")
            elif isinstance(m, Terms):
                d = self._merge_distinct(
                    col, pd.concat(self.distinct.get(col, []) or [_empty(self.keys, m.field, True)])
                )
                d = d.sort_values(
                    [*self.keys, "_n", m.field], ascending=[True] * len(self.keys) + [False, True]
                )
                top = d.groupby(self.keys, sort=False)[m.field].agg(_head_list(m.size))
                out = out.merge(top.rename(col), left_on=self.keys, right_index=True, how="left")
                out[col] = [v if isinstance(v, list) else [] for v in out[col]]
            elif isinstance(m, Percentiles):
                raw = pd.concat(self.raw[col])
                vals = pd.to_numeric(raw[m.field], errors="coerce").astype("float64")
                grouped = vals.groupby([raw[k] for k in self.keys])
                for p, pcol in zip(m.percents, m.columns, strict=True):
                    out = out.merge(
                        grouped.quantile(p / 100.0).rename(pcol),
                        left_on=self.keys,
                        right_index=True,
                        how="left",
                    )
            elif isinstance(m, Series):
                out = _add_series(out, self.keys, m, pd.concat(self.raw[col]))
        cols = table_columns(q)
        out = out[cols]
        for h in q.having:
            out = out.loc[[h.holds(float(x)) for x in out[h.column]]]
        out = out.sort_values(self.keys, kind="mergesort").reset_index(drop=True)
        return out


def _head_list(size: int) -> Callable[[pd.Series], list[str]]:
    def head(s: pd.Series) -> list[str]:
        return [str(x) for x in s.head(size)]

    return head


def _empty(keys: list[str], field: str, counted: bool = False) -> pd.DataFrame:
    import pandas as pd

    cols = [*keys, field] + (["_n"] if counted else [])
    return pd.DataFrame({c: [] for c in cols})


def _numeric_or_time(s: pd.Series) -> pd.Series:
    import pandas as pd

    if isinstance(s.dtype, pd.DatetimeTZDtype):
        # Millisecond precision, as Elasticsearch stores dates.
        return s.astype("datetime64[ns, UTC]").dt.floor("ms")
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _add_series(out: pd.DataFrame, keys: list[str], m: Series, raw: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    raw = raw.copy()
    raw["@timestamp"] = raw["@timestamp"].astype("datetime64[ns, UTC]").astype("int64") // 1_000_000
    others = [f for f in m.of if f != "@timestamp"]
    for f in others:
        raw[f] = pd.to_numeric(raw[f], errors="coerce").astype("float64")
    raw = raw.sort_values([*keys, "@timestamp", *others], kind="mergesort")
    raw = raw.groupby(keys, sort=False).head(m.limit)
    grouped = raw.groupby(keys, sort=False)
    for f, col in zip(m.of, m.columns, strict=True):
        lists = grouped[f].agg(list)
        if f == "@timestamp":
            lists = lists.map(lambda v: [int(x) for x in v])
        elif not m.aligned:
            # A multiset: the present values, ascending (the Series contract, unaligned form).
            lists = lists.map(lambda v: sorted(float(x) for x in v if x == x))
        out = out.merge(lists.rename(col), left_on=keys, right_index=True, how="left")
        out[col] = [v if isinstance(v, list) else [] for v in out[col]]
    return out
