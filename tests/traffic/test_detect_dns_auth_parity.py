"""Parity of the DNS, logon and sensor-verdict detectors on the real Elasticsearch node.

The simulator injects none of DGA, TXT payloads or sensor verdicts, so these detectors run here
on crafted events (tests/traffic/dns_auth_events.py), indexed the production way (the ingest's
template: ``zeek.*`` as a flattened field), and must give the same findings on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sectool.traffic.detect.backends.es import ElasticsearchBackend
from sectool.traffic.detect.backends.es_testing import ingested_events
from sectool.traffic.detect.backends.local import PandasBackend
from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.detectors import build_detectors
from sectool.traffic.detect.engine import run_detectors

from .dns_auth_events import (
    SINCE,
    UNTIL,
    at,
    auth,
    benign_nxdomain,
    cdn_names,
    low_rate_tunnel,
    random_dga,
    simda_like,
    txt_benign,
    txt_payloads,
    verdict,
)
from .test_detect_dns_auth import frame


def _events() -> list[dict[str, Any]]:
    ev = simda_like("fd77::5", 120) + random_dga("10.0.0.7", 40) + benign_nxdomain("10.0.0.9")
    ev += low_rate_tunnel("10.0.0.8", "t.example.com", 15) + cdn_names("10.0.0.9", 150)
    ev += txt_payloads("10.0.0.8", "stage.example.net", 50) + txt_benign("10.0.0.25", 20)
    ev += [auth(at(i * 0.5), "203.0.113.5") for i in range(30)]
    ev += [auth(at(i), "203.0.113.6", attempts=4) for i in range(8)]
    ev += [auth(at(i), "203.0.113.7", heuristic=True) for i in range(50)]
    ev += [auth(at(60 + i), "203.0.113.8") for i in range(12)] + [
        auth(at(80), "203.0.113.8", outcome="success", user="root")
    ]
    ev += [
        auth(at(i), "10.0.0.66", "10.0.0.88", user=f"user{i}", action="kerberos-as-req") for i in range(25)
    ]
    ev += [auth(at(i), f"198.51.100.{i % 12}", user="admin") for i in range(36)]
    ev += [
        verdict(at(i * 0.1), "ET SCAN MSSQL", "198.51.100.7", "10.0.0.5", severity=2, sid="2010935")
        for i in range(40)
    ]
    ev += [verdict(at(2), "ET EXPLOIT x", "198.51.100.8", "10.0.0.5", severity=1, sid="1")]
    ev += [verdict(at(3), "Scan::Port_Scan", "198.51.100.9", None, zeek=True)]
    ev += [verdict(at(6), "Notice::Tally", None, None, zeek=True)]
    return ev


@pytest.fixture(scope="module")
def backends(es: Any) -> Iterator[tuple[PandasBackend, ElasticsearchBackend]]:
    events = _events()
    with ingested_events(es, [dict(e) for e in events]) as pattern:
        yield PandasBackend.from_frame(frame(events)), ElasticsearchBackend(es, pattern, page_size=7)


@pytest.mark.parametrize("name", ["dns_tunnelling", "dns_txt_c2", "dga", "brute_force", "sensor_alerts"])
def test_same_findings_on_both_backends(backends: Any, name: str) -> None:
    cfg = DetectConfig()
    runs = [
        run_detectors(build_detectors(cfg, [name]), b, since=SINCE, until=UNTIL, config=cfg) for b in backends
    ]
    on_pandas, on_es = ([f.to_dict() for f in r.findings] for r in runs)
    assert runs[0].skipped == runs[1].skipped == {}
    assert on_pandas, f"{name} must fire on the crafted attacks, or this parity proves nothing"
    assert sorted(on_es, key=lambda d: d["id"]) == sorted(on_pandas, key=lambda d: d["id"])
    assert runs[0].buckets == runs[1].buckets


def test_brute_force_weighs_auth_attempts_from_the_flattened_zeek_field(backends: Any) -> None:
    cfg = DetectConfig()
    es_run = run_detectors(
        build_detectors(cfg, ["brute_force"]), backends[1], since=SINCE, until=UNTIL, config=cfg
    )
    by_source = {f.entity.value: f for f in es_run.findings}
    assert by_source["203.0.113.6"].evidence["weighted_failures"] == 32
    assert by_source["203.0.113.8"].evidence["variant"] == "compromise"
    assert by_source["203.0.113.8"].severity == "critical"
