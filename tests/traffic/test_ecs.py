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
    assert all(t in {"date", "keyword", "long", "ip"} for t in FIELDS.values())
