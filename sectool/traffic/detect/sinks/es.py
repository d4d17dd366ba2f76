"""The Elasticsearch findings sink: an index of alerts, with its own mapping, usable from Kibana.

One document per :class:`~sectool.traffic.detect.findings.Finding`, with ``_id`` = the finding
id, so writing the same findings twice changes nothing (an upsert). Each document carries

* ECS alert fields Kibana's views understand: ``@timestamp`` (the window start: the alert sits on
  the timeline where the traffic happened), ``event.kind: alert``, ``event.category``,
  ``event.severity`` (21/47/73/99 for low/medium/high/critical, the Elastic detection-rule
  scale), ``event.risk_score`` (score × 100), ``event.start``/``event.end`` (the window),
  ``event.created`` (first written; kept on re-runs), ``rule.name``/``rule.id`` (the detector),
  ``message`` (the title), ``threat.framework``/``threat.technique.id`` (and
  ``threat.technique.subtechnique.id`` for ids like ``T1071.004``);
* the entity's ECS fields at their ECS names (``source.ip``, ``destination.ip``, ``user.name``,
  ``dns.question.registered_domain`` ...), so a click in Kibana filters the events index too;
* the whole finding under ``sectool.finding`` (:meth:`Finding.to_dict`), from which
  :func:`read_findings` rebuilds it exactly; evidence and entity fields are ``flattened``
  (searchable without a mapping per evidence key), the reproducing query is stored, not indexed.

The mapping is ``dynamic: strict``: a document that does not fit is an error, not a silent new
field. The index is created on first write; an existing index gets the (additive) mapping put
again, which is a no-op when it is already current.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sectool.errors import InputError, ServiceError
from sectool.traffic.detect.backends.es_paging import call_es, iter_hits
from sectool.traffic.detect.backends.es_query import all_of, es_datetime, range_, terms
from sectool.traffic.detect.findings import Finding
from sectool.traffic.ecs import FIELDS, nest

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = [
    "DEFAULT_FINDINGS_INDEX",
    "SEVERITY_NUMBER",
    "WriteResult",
    "ensure_findings_index",
    "finding_document",
    "findings_mapping",
    "read_findings",
    "validate_index_name",
    "write_findings",
]

DEFAULT_FINDINGS_INDEX = "sectool-findings"
#: ``event.severity`` / ``signal.rule.severity`` numbers of Elastic's detection rules.
SEVERITY_NUMBER = {"low": 21, "medium": 47, "high": 73, "critical": 99}
_CATEGORY = {
    "T1110": ["authentication", "intrusion_detection"],
}
#: Entity fields copied to their ECS names (only these, with their ECS types).
_ENTITY_ECS = (
    "source.ip",
    "destination.ip",
    "destination.port",
    "user.name",
    "dns.question.registered_domain",
    "observer.name",
    "sectool.site",
)


def _kw(**extra: Any) -> dict[str, Any]:
    return {"type": "keyword", "ignore_above": 1024, **extra}


def findings_mapping() -> dict[str, Any]:
    """The explicit mapping of the findings index."""
    entity_props: dict[str, Any] = {}
    for name in _ENTITY_ECS:
        node = entity_props
        parts = name.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {"properties": {}})["properties"]
        es_type = FIELDS[name]
        node[parts[-1]] = _kw() if es_type == "keyword" else {"type": es_type}
    props: dict[str, Any] = {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
        "event": {
            "properties": {
                "kind": _kw(),
                "category": _kw(),
                "type": _kw(),
                "module": _kw(),
                "dataset": _kw(),
                "severity": {"type": "long"},
                "risk_score": {"type": "float"},
                "start": {"type": "date"},
                "end": {"type": "date"},
                "created": {"type": "date"},
            }
        },
        "rule": {"properties": {"id": _kw(), "name": _kw(), "category": _kw()}},
        "threat": {
            "properties": {
                "framework": _kw(),
                "technique": {"properties": {"id": _kw(), "subtechnique": {"properties": {"id": _kw()}}}},
            }
        },
        "sectool": {
            "properties": {
                "finding": {
                    "properties": {
                        "id": _kw(),
                        "detector": _kw(),
                        "severity": _kw(),
                        "score": {"type": "float"},
                        "title": {"type": "text", "fields": {"keyword": _kw()}},
                        "entity": {
                            "properties": {
                                "kind": _kw(),
                                "value": _kw(),
                                "fields": {"type": "flattened"},
                            }
                        },
                        "window": {"properties": {"start": {"type": "date"}, "end": {"type": "date"}}},
                        "evidence": {"type": "flattened", "ignore_above": 1024},
                        "query": {"type": "object", "enabled": False},
                        "techniques": _kw(),
                    }
                }
            }
        },
    }
    _merge(props, entity_props)
    return {"dynamic": "strict", "properties": props}


def _merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Deep-merge mapping ``properties`` (``sectool.site`` joins ``sectool.finding``)."""
    for key, value in extra.items():
        if key in into and "properties" in into[key] and "properties" in value:
            _merge(into[key]["properties"], value["properties"])
        else:
            into[key] = value


def validate_index_name(index: str) -> str:
    """A concrete index name Elasticsearch accepts (no wildcards: findings are written to it)."""
    from sectool.traffic.es.template import checked_index_name

    return checked_index_name(index, what="findings index name", field="--findings-index")


def ensure_findings_index(es: Elasticsearch, index: str = DEFAULT_FINDINGS_INDEX) -> None:
    """Create the findings index with its mapping, or put the mapping on an existing one.

    Raises:
        InputError: An invalid index name.
        ServiceError: The node is unreachable, or an existing index has a conflicting mapping.
    """
    from elastic_transport import TransportError
    from elasticsearch import ApiError

    validate_index_name(index)
    mapping = findings_mapping()
    exists = call_es(f"check of index {index!r}", es.indices.exists, index=index)
    if exists:
        call_es(f"mapping update of {index!r}", es.indices.put_mapping, index=index, **mapping)
        return
    try:
        es.indices.create(index=index, mappings=mapping, settings={"number_of_shards": 1})
    except ApiError as exc:
        # Two runs racing to create it: the other one won, which is fine.
        if getattr(exc, "error", "") != "resource_already_exists_exception":
            raise ServiceError(f"cannot create the findings index {index!r}: {exc.message}") from exc
    except TransportError as exc:
        raise ServiceError(f"Elasticsearch is unreachable creating {index!r}: {exc.message}") from exc


def finding_document(finding: Finding, *, created: datetime) -> dict[str, Any]:
    """The Elasticsearch document of a finding (see the module docstring)."""
    d = finding.to_dict()
    techniques = list(finding.techniques)
    doc: dict[str, Any] = {
        "@timestamp": d["window"]["start"],
        "message": finding.title,
        "event": {
            "kind": "alert",
            "category": sorted({c for t in techniques for c in _CATEGORY.get(t, [])} or {"network"}),
            "type": ["info"],
            "module": "sectool",
            "dataset": "sectool.findings",
            "severity": SEVERITY_NUMBER[finding.severity],
            "risk_score": round(float(finding.score) * 100.0, 2),
            "start": d["window"]["start"],
            "end": d["window"]["end"],
            "created": es_datetime(created),
        },
        "rule": {"id": finding.detector, "name": finding.detector, "category": "traffic-anomaly"},
        "threat": {
            "framework": "MITRE ATT&CK",
            "technique": {
                "id": sorted({t.split(".")[0] for t in techniques}),
                "subtechnique": {"id": sorted(t for t in techniques if "." in t)},
            },
        },
        "sectool": {"finding": d},
    }
    entity = nest({k: v for k, v in finding.entity.fields if k in _ENTITY_ECS})
    if "sectool" in entity:
        doc["sectool"].update(entity.pop("sectool"))
    doc.update(entity)
    return doc


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_findings` did."""

    created: int
    updated: int


def write_findings(
    es: Elasticsearch,
    findings: Sequence[Finding],
    *,
    index: str = DEFAULT_FINDINGS_INDEX,
    now: datetime,
    refresh: bool = True,
) -> WriteResult:
    """Upsert findings by id; ``event.created`` of findings already in the index is kept.

    Args:
        es: The client.
        findings: The findings to write.
        index: The findings index (created on first use).
        now: The ``event.created`` of findings not yet in the index.
        refresh: Make them searchable before returning (the next run's re-alert reads them).

    Raises:
        ServiceError: The node is unreachable or rejected a document (the first reasons shown).
    """
    from elasticsearch import helpers

    if not findings:
        return WriteResult(0, 0)
    ensure_findings_index(es, index)
    by_id = {f.id: f for f in findings}
    ids = list(by_id)
    known: dict[str, str] = {}
    for start in range(0, len(ids), 1000):
        resp = call_es(
            f"lookup in {index!r}",
            es.mget,
            index=index,
            ids=ids[start : start + 1000],
            source_includes=["event.created"],
        )
        for doc in resp["docs"]:
            if doc.get("found"):
                known[doc["_id"]] = doc["_source"]["event"]["created"]

    def actions() -> Iterator[dict[str, Any]]:
        for fid, finding in by_id.items():
            created = datetime.fromisoformat(known[fid].replace("Z", "+00:00")) if fid in known else now
            yield {
                "_op_type": "index",
                "_index": index,
                "_id": fid,
                "_source": finding_document(finding, created=created),
            }

    from elastic_transport import TransportError
    from elasticsearch import ApiError

    try:
        _ok, errors = helpers.bulk(es, actions(), raise_on_error=False, max_retries=3, refresh=refresh)
    except (ApiError, TransportError) as exc:
        raise ServiceError(f"writing findings to {index!r} failed: {exc}") from exc
    if errors:
        reasons = "; ".join(str(e)[:200] for e in list(errors)[:3])  # type: ignore[arg-type]
        raise ServiceError(f"{len(errors)} findings were rejected by {index!r}: {reasons}")  # type: ignore[arg-type]
    return WriteResult(created=len(by_id) - len(known), updated=len(known))


def read_findings(
    es: Elasticsearch,
    *,
    index: str = DEFAULT_FINDINGS_INDEX,
    since: datetime,
    detectors: Sequence[str] | None = None,
) -> list[Finding]:
    """Findings whose window ends at or after ``since`` (the re-alert look-back), oldest first.

    A missing findings index means no previous findings.

    Raises:
        InputError: The index holds documents that are not sectool findings.
    """
    validate_index_name(index)
    exists = call_es(f"check of index {index!r}", es.indices.exists, index=index)
    if not exists:
        return []
    parts: list[Mapping[str, Any]] = [range_("sectool.finding.window.end", gte=es_datetime(since))]
    if detectors:
        parts.append(terms("sectool.finding.detector", detectors))
    out: list[Finding] = []
    for hit in iter_hits(
        es,
        index=index,
        query=all_of(parts),
        sort=[{"sectool.finding.window.end": "asc"}, {"sectool.finding.id": "asc"}],
        fields=[],
        source=["sectool.finding"],
        page_size=1000,
    ):
        try:
            out.append(Finding.from_dict(hit["_source"]["sectool"]["finding"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"document {hit.get('_id')!r} in {index!r} is not a sectool finding ({exc})",
                field="--findings-index",
                value=index,
                expected="an index written by sectool (sectool.finding.*)",
            ) from None
    return out
