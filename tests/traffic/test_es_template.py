from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sectool.errors import InputError
from sectool.traffic.ecs import FIELDS
from sectool.traffic.es.template import ensure_template, index_name, mappings, template_body, validate_prefix


def _leaf(props: dict, name: str) -> dict:
    if name.startswith("@"):
        return props[name]
    node = props
    parts = name.split(".")
    for part in parts[:-1]:
        node = node[part]["properties"]
    return node[parts[-1]]


def test_every_ecs_field_is_mapped_explicitly() -> None:
    m = mappings()
    assert m["dynamic"] == "strict"
    for name, kind in FIELDS.items():
        assert _leaf(m["properties"], name)["type"] == kind
    assert _leaf(m["properties"], "source.ip")["type"] == "ip"
    assert _leaf(m["properties"], "@timestamp")["type"] == "date"


def test_index_names_are_daily_in_utc() -> None:
    cph = timezone(timedelta(hours=1))
    assert (
        index_name("sectool-events", datetime(2026, 3, 3, 0, 30, tzinfo=cph)) == "sectool-events-2026.03.02"
    )
    assert index_name("p", datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "p-2026.12.31"


@pytest.mark.parametrize("prefix", ["Sectool", "-x", "a b", "x*", "a/b", "", "."])
def test_bad_prefixes(prefix: str) -> None:
    with pytest.raises(InputError, match="invalid index prefix"):
        validate_prefix(prefix)


def test_longer_prefix_has_priority() -> None:
    assert template_body("sectool-events-dc")["priority"] > template_body("sectool-events")["priority"]


def test_template_on_the_real_node(es_url: str, es_prefix: str) -> None:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url)
    ensure_template(client, es_prefix)
    ensure_template(client, es_prefix)  # idempotent
    client.index(
        index=f"{es_prefix}-2026.03.03", document={"@timestamp": "2026-03-03T00:00:00Z"}, refresh=True
    )
    got = client.indices.get_mapping(index=f"{es_prefix}-2026.03.03")
    props = next(iter(got.body.values()))["mappings"]["properties"]
    assert props["source"]["properties"]["ip"]["type"] == "ip"
    assert props["event"]["properties"]["duration"]["type"] == "long"
    ensure_template(client, es_prefix)  # with an existing index: mappings are re-applied
    client.close()
