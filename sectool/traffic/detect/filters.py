"""A small declarative filter language over flat ECS fields, and its three translations.

Filters are frozen dataclasses: :class:`Eq`, :class:`In`, :class:`Range`, :class:`Exists`,
:class:`Cidr`, :class:`Not`, :class:`And`, :class:`Or`. The same filter becomes

* a boolean mask over a flat-events DataFrame (:func:`mask`, the pandas backend),
* an Elasticsearch query DSL clause (:func:`to_es`, the ES backend and finding evidence),
* a KQL string (:func:`to_kql`, for pasting into Kibana).

Semantics follow Elasticsearch: a condition on a field an event does not have is false, and
``Not`` of it is true (``bool.must_not``). IP fields compare by address, not by spelling
(``2001:db8::1`` equals ``2001:0db8:0:0:0:0:0:1``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sectool.traffic.ecs import FIELDS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "And",
    "Cidr",
    "Eq",
    "Exists",
    "Filter",
    "In",
    "Not",
    "Or",
    "Range",
    "canonical_ip",
    "filter_fields",
    "mask",
    "to_es",
    "to_kql",
]

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Eq:
    field: str
    value: Scalar


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class Range:
    """``gte <= field < lt`` style bounds; any bound may be omitted. Dates as aware datetimes."""

    field: str
    gte: float | datetime | None = None
    gt: float | datetime | None = None
    lte: float | datetime | None = None
    lt: float | datetime | None = None


@dataclass(frozen=True)
class Exists:
    field: str


@dataclass(frozen=True)
class Cidr:
    """The IP field lies in any of the networks (IPv4 and IPv6 mixed is fine)."""

    field: str
    cidrs: tuple[str, ...]

    def __post_init__(self) -> None:
        for c in self.cidrs:
            ipaddress.ip_network(c, strict=False)


@dataclass(frozen=True)
class Not:
    inner: Filter


@dataclass(frozen=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Filter, ...]


Filter = Eq | In | Range | Exists | Cidr | Not | And | Or


def filter_fields(f: Filter) -> frozenset[str]:
    """ECS fields a filter reads."""
    if isinstance(f, Not):
        return filter_fields(f.inner)
    if isinstance(f, And | Or):
        out: set[str] = set()
        for item in f.items:
            out |= filter_fields(item)
        return frozenset(out)
    return frozenset({f.field})


def canonical_ip(value: str) -> str | None:
    """The canonical text form of an IP (``None`` if it is not one)."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _is_ip(field: str) -> bool:
    return FIELDS.get(field) == "ip"


def _norm(field: str, value: Scalar) -> Scalar:
    if _is_ip(field) and isinstance(value, str):
        return canonical_ip(value) or value
    return value


# --------------------------------------------------------------------------- pandas
def _is_seq(v: Any) -> bool:
    return isinstance(v, list | tuple) or (hasattr(v, "ndim") and getattr(v, "ndim", 0) == 1)


def _multi_valued(s: pd.Series) -> bool:
    """True when an object column holds lists (multi-valued ECS fields)."""
    return s.dtype == object and bool(s.map(_is_seq).any())


def mask(df: pd.DataFrame, f: Filter) -> pd.Series:
    """Boolean mask of the rows of a flat-events frame matching ``f``.

    A missing column behaves like a field no event has (all false).
    """
    import pandas as pd

    def col(name: str) -> pd.Series | None:
        return df[name] if name in df.columns else None

    false = pd.Series(False, index=df.index, dtype=bool)
    if isinstance(f, Not):
        return ~mask(df, f.inner)
    if isinstance(f, And):
        m = pd.Series(True, index=df.index, dtype=bool)
        for item in f.items:
            m &= mask(df, item)
        return m
    if isinstance(f, Or):
        m = false.copy()
        for item in f.items:
            m |= mask(df, item)
        return m
    s = col(f.field)
    if s is None:
        return false
    if isinstance(f, Eq | In) and _is_ip(f.field):
        # Compare addresses, not spellings: canonicalise each distinct value once.
        canon = {u: canonical_ip(str(u)) or u for u in s.dropna().unique()}
        changed = {u: c for u, c in canon.items() if c != u}
        if changed:  # normally every stored address is canonical already: skip the pointwise map
            s = s.map(lambda v: changed.get(v, v))
    if isinstance(f, Exists):
        return s.notna().astype(bool)
    if isinstance(f, Eq | In) and _multi_valued(s):
        # ECS arrays (event.category: [network, intrusion_detection]): like an Elasticsearch
        # term query, a condition holds when any of the values matches.
        wanted = {_norm(f.field, v) for v in ((f.value,) if isinstance(f, Eq) else f.values)}
        return s.map(lambda v: bool(wanted & set(v)) if _is_seq(v) else v in wanted).astype(bool)
    if isinstance(f, Eq):
        return (s == _norm(f.field, f.value)).fillna(False).astype(bool)
    if isinstance(f, In):
        return s.isin([_norm(f.field, v) for v in f.values]).astype(bool)
    if isinstance(f, Range):
        m = s.notna().astype(bool)
        for op, bound in (("ge", f.gte), ("gt", f.gt), ("le", f.lte), ("lt", f.lt)):
            if bound is not None:
                value: Any = pd.Timestamp(bound) if isinstance(bound, datetime) else bound
                m &= getattr(s, op)(value).fillna(False).astype(bool)
        return m
    # Cidr: decide once per distinct address, then map. (isin was measured slower here when most
    # addresses are distinct: 1.0 s against 0.66 s for 200,000 rows.)
    nets = [ipaddress.ip_network(c, strict=False) for c in f.cidrs]
    uniques = s.dropna().unique()
    inside: dict[Any, bool] = {}
    for u in uniques:
        try:
            addr = ipaddress.ip_address(str(u))
        except ValueError:
            inside[u] = False
            continue
        inside[u] = any(addr.version == n.version and addr in n for n in nets)
    return s.map(inside).fillna(False).astype(bool)


# --------------------------------------------------------------------------- Elasticsearch
def _es_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat().replace("+00:00", "Z")
    return v


def to_es(f: Filter) -> dict[str, Any]:
    """The Elasticsearch query DSL clause for ``f``."""
    if isinstance(f, Not):
        return {"bool": {"must_not": [to_es(f.inner)]}}
    if isinstance(f, And):
        return {"bool": {"filter": [to_es(i) for i in f.items]}}
    if isinstance(f, Or):
        return {"bool": {"should": [to_es(i) for i in f.items], "minimum_should_match": 1}}
    if isinstance(f, Exists):
        return {"exists": {"field": f.field}}
    if isinstance(f, Eq):
        return {"term": {f.field: _norm(f.field, f.value)}}
    if isinstance(f, In):
        return {"terms": {f.field: [_norm(f.field, v) for v in f.values]}}
    if isinstance(f, Range):
        bounds = {
            k: _es_value(v)
            for k, v in (("gte", f.gte), ("gt", f.gt), ("lte", f.lte), ("lt", f.lt))
            if v is not None
        }
        return {"range": {f.field: bounds}}
    # An ip field accepts CIDR notation in term/terms queries.
    return {"terms": {f.field: [str(ipaddress.ip_network(c, strict=False)) for c in f.cidrs]}}


def _kql_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, datetime):
        return '"' + v.isoformat().replace("+00:00", "Z") + '"'
    text = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def to_kql(f: Filter) -> str:
    """A KQL rendering of ``f`` (Kibana's query bar)."""
    if isinstance(f, Not):
        return f"NOT ({to_kql(f.inner)})"
    if isinstance(f, And):
        return " AND ".join(f"({to_kql(i)})" for i in f.items) or "*"
    if isinstance(f, Or):
        return " OR ".join(f"({to_kql(i)})" for i in f.items)
    if isinstance(f, Exists):
        return f"{f.field}:*"
    if isinstance(f, Eq):
        return f"{f.field}:{_kql_value(_norm(f.field, f.value))}"
    if isinstance(f, In):
        return f"{f.field}:(" + " OR ".join(_kql_value(_norm(f.field, v)) for v in f.values) + ")"
    if isinstance(f, Range):
        parts = []
        for op, v in ((">=", f.gte), (">", f.gt), ("<=", f.lte), ("<", f.lt)):
            if v is not None:
                parts.append(f"{f.field} {op} {_kql_value(v)}")
        return " AND ".join(parts)
    return (
        f"{f.field}:("
        + " OR ".join(_kql_value(str(ipaddress.ip_network(c, strict=False))) for c in f.cidrs)
        + ")"
    )
