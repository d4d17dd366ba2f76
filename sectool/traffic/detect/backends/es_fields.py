"""Check that an index pattern has the ECS fields a detector needs, before any aggregation runs.

Without this check a missing field silently gives no buckets (Elasticsearch aggregates an
unmapped field as empty), and a detector would report "no findings" on data it never looked at.
A field mapped with the wrong type (``source.ip`` as ``keyword``) would break CIDR filters in
the same silent way. Both are :class:`~sectool.traffic.detect.spec.MissingFieldError` (an
:class:`sectool.errors.InputError`) naming the field and the ECS definition expected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sectool.errors import InputError
from sectool.traffic.detect.backends.es_paging import call_es
from sectool.traffic.detect.spec import MissingFieldError
from sectool.traffic.ecs import FIELDS

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["COMPATIBLE_TYPES", "check_fields", "field_types"]

#: Mapping types accepted for each ECS type (what the queries and aggregations need).
COMPATIBLE_TYPES: dict[str, frozenset[str]] = {
    "ip": frozenset({"ip"}),
    "keyword": frozenset({"keyword", "constant_keyword", "wildcard"}),
    "long": frozenset(
        {"long", "integer", "short", "byte", "unsigned_long", "double", "float", "half_float", "scaled_float"}
    ),
    "date": frozenset({"date", "date_nanos"}),
}


def field_types(es: Elasticsearch, index: str, fields: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """Mapping types of ``fields`` across the indices matching ``index``.

    Returns:
        ``{field: {type: [indices or ["*"]]}}``; fields mapped nowhere are absent.

    Raises:
        InputError: No index matches ``index``.
    """
    names = sorted(set(fields))
    resp = call_es(
        f"field capabilities request on {index!r}",
        es.field_caps,
        index=index,
        fields=names,
        allow_no_indices=True,
        ignore_unavailable=True,
    )
    if not resp.get("indices"):
        raise InputError(
            "no Elasticsearch index matches the pattern",
            field="--index",
            value=index,
            expected="a pattern matching the indices the ingest wrote (e.g. 'sectool-events-*')",
        )
    out: dict[str, dict[str, list[str]]] = {}
    caps: Mapping[str, Any] = resp.get("fields") or {}
    for name in names:
        per_type = caps.get(name) or {}
        types = {t: list(c.get("indices") or ["*"]) for t, c in per_type.items() if t != "unmapped"}
        if types:
            out[name] = types
    return out


def check_fields(es: Elasticsearch, index: str, fields: Iterable[str], *, query: str = "") -> None:
    """Fail with a :class:`MissingFieldError` when a needed field is missing or has the wrong type.

    Args:
        es: The client.
        index: Index name or pattern.
        fields: Flat ECS names the detector reads (filter, group-by, metrics, series).
        query: The name of the detector query that reads them, named in the message.

    Raises:
        MissingFieldError: Naming the field and the ECS type expected.
        InputError: No index matches ``index``.
    """
    wanted = sorted(set(fields))
    found = field_types(es, index, wanted)
    who = f"the detector query {query!r} needs" if query else "the detector needs"
    for name in wanted:
        ecs_type = FIELDS.get(name)
        expected = (
            f"the ECS field {name!r} mapped as {ecs_type!r} (see the sectool index template)"
            if ecs_type
            else f"the field {name!r}"
        )
        types = found.get(name)
        if not types:
            raise MissingFieldError(
                f"index {index!r} has no field {name!r}, which {who}", field=name, expected=expected
            )
        allowed = COMPATIBLE_TYPES.get(ecs_type or "", frozenset())
        wrong = {t: idx for t, idx in types.items() if allowed and t not in allowed}
        if wrong:
            shown = ", ".join(f"{t} in {', '.join(idx[:3])}" for t, idx in sorted(wrong.items()))
            raise MissingFieldError(
                f"field {name!r} in index {index!r} is mapped as {shown}; {who} it",
                field=name,
                expected=expected,
            )
