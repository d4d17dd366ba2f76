from __future__ import annotations

from sectool.traffic.ecs import FIELDS, flatten, nest, unknown_fields


def test_nest_and_flatten_round_trip() -> None:
    flat = {
        "@timestamp": "2026-01-01T00:00:00Z",
        "source.ip": "10.0.0.1",
        "source.port": 1,
        "dns.answers.data": ["a"],
    }
    nested = nest(flat)
    assert nested == {
        "@timestamp": "2026-01-01T00:00:00Z",
        "source": {"ip": "10.0.0.1", "port": 1},
        "dns": {"answers": {"data": ["a"]}},
    }
    assert flatten(nested) == flat


def test_nest_drops_none() -> None:
    assert nest({"source.ip": None, "user.name": "x"}) == {"user": {"name": "x"}}


def test_unknown_fields() -> None:
    assert unknown_fields(["source.ip", "source.ipp"]) == ["source.ipp"]
    assert all(t in {"date", "keyword", "long", "ip", "text"} for t in FIELDS.values())


def test_nest_replaces_a_scalar_parent_and_keeps_at_keys_whole() -> None:
    # A hostile or odd document: "a" as a value, then "a.b" below it; "@meta.x" is not split.
    assert nest({"a": 1, "a.b": 2, "@meta.x": 3}) == {"a": {"b": 2}, "@meta.x": 3}


def test_nest_is_stable_across_many_distinct_keys() -> None:
    flat = {f"k{i}.v": i for i in range(12_000)}  # more than the path cache holds
    assert nest(flat)["k11999"] == {"v": 11999}
