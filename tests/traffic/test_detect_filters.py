from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from sectool.traffic.detect.filters import (
    And,
    Cidr,
    Eq,
    Exists,
    In,
    Not,
    Or,
    Range,
    filter_fields,
    mask,
    to_es,
    to_kql,
)

T = pd.Timestamp("2026-03-03T10:00:00Z")
EVENTS = pd.DataFrame(
    {
        "@timestamp": [T, T + pd.Timedelta(hours=1), T + pd.Timedelta(hours=2), T + pd.Timedelta(hours=3)],
        "source.ip": ["10.0.0.1", "2001:0db8:0:0:0:0:0:1", "192.168.1.5", None],
        "destination.port": pd.array([22, 443, None, 3389], dtype="Int64"),
        "network.protocol": ["ssh", "tls", None, "rdp"],
    }
)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Eq("network.protocol", "ssh"), [True, False, False, False]),
        (Eq("source.ip", "2001:db8::1"), [False, True, False, False]),  # IPs compare as addresses
        (In("destination.port", (22, 3389)), [True, False, False, True]),
        (Range("destination.port", gte=100, lt=3389), [False, True, False, False]),
        (Range("@timestamp", gte=datetime(2026, 3, 3, 11, tzinfo=UTC)), [False, True, True, True]),
        (Exists("network.protocol"), [True, True, False, True]),
        (Cidr("source.ip", ("10.0.0.0/8", "2001:db8::/32")), [True, True, False, False]),
        (Not(Eq("network.protocol", "ssh")), [False, True, True, True]),  # missing -> not(false) = true
        (Not(Cidr("source.ip", ("10.0.0.0/8",))), [False, True, True, True]),
        (And((Exists("destination.port"), Eq("network.protocol", "tls"))), [False, True, False, False]),
        (
            Or((Eq("network.protocol", "rdp"), Cidr("source.ip", ("192.168.0.0/16",)))),
            [False, False, True, True],
        ),
        (Eq("user.name", "root"), [False, False, False, False]),  # column absent: no event has it
    ],
)
def test_mask(flt, expected):
    assert mask(EVENTS, flt).tolist() == expected


def test_es_translation():
    flt = And(
        (
            Cidr("source.ip", ("10.1.2.3/8",)),
            Not(In("destination.port", (53,))),
            Or((Eq("source.ip", "2001:0db8::0001"), Exists("user.name"))),
            Range("@timestamp", gte=datetime(2026, 1, 1, tzinfo=UTC), lt=datetime(2026, 1, 2, tzinfo=UTC)),
        )
    )
    assert to_es(flt) == {
        "bool": {
            "filter": [
                {"terms": {"source.ip": ["10.0.0.0/8"]}},
                {"bool": {"must_not": [{"terms": {"destination.port": [53]}}]}},
                {
                    "bool": {
                        "should": [
                            {"term": {"source.ip": "2001:db8::1"}},
                            {"exists": {"field": "user.name"}},
                        ],
                        "minimum_should_match": 1,
                    }
                },
                {"range": {"@timestamp": {"gte": "2026-01-01T00:00:00Z", "lt": "2026-01-02T00:00:00Z"}}},
            ]
        }
    }


def test_kql_quotes_hostile_values():
    kql = to_kql(And((Eq("user.name", 'a" OR *:*'), In("destination.port", (22, 3389)))))
    assert kql == '(user.name:"a\\" OR *:*") AND (destination.port:(22 OR 3389))'


def test_filter_fields():
    flt = And((Eq("a.b", 1), Not(Or((Exists("c"), Cidr("source.ip", ("10.0.0.0/8",)))))))
    assert filter_fields(flt) == {"a.b", "c", "source.ip"}


def test_bad_cidr_is_rejected():
    with pytest.raises(ValueError):
        Cidr("source.ip", ("10.0.0.0/33",))


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Eq("event.type", "connection"), [True, True, False, False]),
        (In("event.type", ("denied", "allowed")), [False, False, True, False]),
        (Not(Eq("event.type", "connection")), [False, False, True, True]),
    ],
)
def test_mask_multi_valued_fields_match_any_value(flt, expected):
    """ECS arrays (Filebeat writes event.type: [connection, end]) match like an ES term query."""
    df = pd.DataFrame({"event.type": [["connection", "end"], "connection", ["allowed"], None]})
    assert mask(df, flt).tolist() == expected
