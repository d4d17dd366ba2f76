"""Query DSL building blocks for the Elasticsearch backend.

Small pure functions that return query DSL dicts. The translation of a detector's declarative
filter (see :mod:`sectool.traffic.detect.es_translate`) is built from them, so each DSL shape
is written (and tested) once.

Semantics follow the pandas backend, which is the reference:

* ``term``/``terms`` on ``keyword``, ``long`` and ``ip`` fields compare exact values; an ``ip``
  field also accepts CIDR notation in a ``term`` (``10.0.0.0/8``, ``fd00::/8``), which is how
  address ranges are pushed down without scripts.
* ``range`` bounds are inclusive/exclusive exactly as given.
* A negation (``must_not``) also matches documents that lack the field, like ``~isin`` in
  pandas matches ``NaN``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "MATCH_ALL",
    "MATCH_NONE",
    "all_of",
    "any_of",
    "cidr",
    "es_datetime",
    "exists",
    "not_",
    "pairs_query",
    "range_",
    "term",
    "terms",
    "time_range",
]

MATCH_ALL: dict[str, Any] = {"match_all": {}}
MATCH_NONE: dict[str, Any] = {"match_none": {}}

#: Values per ``terms`` query. The default ``index.max_terms_count`` is 65,536.
MAX_TERMS = 65_536


def term(field: str, value: Any) -> dict[str, Any]:
    """Exact match on one value."""
    return {"term": {field: {"value": value}}}


def terms(field: str, values: Iterable[Any]) -> dict[str, Any]:
    """Match any of ``values`` (an empty list matches nothing, as ``isin([])`` does)."""
    vals = list(dict.fromkeys(values))
    if not vals:
        return dict(MATCH_NONE)
    if len(vals) == 1:
        return term(field, vals[0])
    if len(vals) > MAX_TERMS:
        return any_of(terms(field, vals[i : i + MAX_TERMS]) for i in range(0, len(vals), MAX_TERMS))
    return {"terms": {field: vals}}


def range_(
    field: str,
    *,
    gt: Any = None,
    gte: Any = None,
    lt: Any = None,
    lte: Any = None,
    fmt: str | None = None,
) -> dict[str, Any]:
    """A range query; ``None`` bounds are left out."""
    body: dict[str, Any] = {
        op: val for op, val in (("gt", gt), ("gte", gte), ("lt", lt), ("lte", lte)) if val is not None
    }
    if not body:
        raise ValueError(f"range on {field!r} needs at least one bound")
    if fmt:
        body["format"] = fmt
    return {"range": {field: body}}


def exists(field: str) -> dict[str, Any]:
    """The field has at least one indexed value."""
    return {"exists": {"field": field}}


def cidr(field: str, networks: Iterable[str]) -> dict[str, Any]:
    """The ``ip`` field lies in any of ``networks`` (CIDR strings, IPv4 or IPv6).

    Each network is validated and normalised with :mod:`ipaddress` first (``strict=False``, so
    ``10.1.2.3/8`` means ``10.0.0.0/8``), so a typo fails here with a clear message rather than
    as a query-parsing error on the cluster.
    """
    nets = [str(ipaddress.ip_network(n, strict=False)) for n in networks]
    if not nets:
        return dict(MATCH_NONE)
    if len(nets) == 1:
        return term(field, nets[0])
    return any_of(term(field, n) for n in nets)


def all_of(queries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Conjunction in filter context (no scoring, cacheable)."""
    qs = [dict(q) for q in queries if q != MATCH_ALL]
    if any(q == MATCH_NONE for q in qs):
        return dict(MATCH_NONE)
    if not qs:
        return dict(MATCH_ALL)
    if len(qs) == 1:
        return qs[0]
    return {"bool": {"filter": qs}}


def any_of(queries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Disjunction: at least one must match."""
    qs = [dict(q) for q in queries if q != MATCH_NONE]
    if any(q == MATCH_ALL for q in qs):
        return dict(MATCH_ALL)
    if not qs:
        return dict(MATCH_NONE)
    if len(qs) == 1:
        return qs[0]
    return {"bool": {"should": qs, "minimum_should_match": 1}}


def not_(query: Mapping[str, Any]) -> dict[str, Any]:
    """Negation (also true for documents without the field)."""
    if query == MATCH_ALL:
        return dict(MATCH_NONE)
    if query == MATCH_NONE:
        return dict(MATCH_ALL)
    return {"bool": {"must_not": [dict(query)]}}


def es_datetime(value: datetime) -> str:
    """An aware datetime as the ISO 8601 UTC string Elasticsearch parses (``...Z``).

    Raises:
        ValueError: For naive datetimes: a window without a timezone is ambiguous.
    """
    if value.tzinfo is None:
        raise ValueError(f"datetime {value.isoformat()} has no timezone")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def time_range(since: datetime, until: datetime, field: str = "@timestamp") -> dict[str, Any]:
    """``since <= field < until`` (half-open, like the pandas backend's window)."""
    return range_(field, gte=es_datetime(since), lt=es_datetime(until), fmt="strict_date_optional_time_nanos")


def pairs_query(fields: Sequence[str], keys: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """Match documents whose ``fields`` equal any one of the key tuples.

    One-field keys become a single ``terms`` query; multi-field keys a ``bool.should`` of
    per-tuple conjunctions (callers chunk the tuples to keep the clause count moderate).
    """
    tuples = [tuple(k) for k in keys]
    if len(fields) == 1:
        return terms(fields[0], (t[0] for t in tuples))
    return any_of(all_of(term(f, v) for f, v in zip(fields, t, strict=True)) for t in tuples)
