"""The quality oracle is strict: right detector, right window AND the right entity on every field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sectool.traffic.detect.findings import Entity, Finding
from sectool.traffic.simulate.evaluate import evaluate, unmatched

T0 = datetime(2026, 3, 3, 12, tzinfo=UTC)
ATTACKER, C2, CDN, OTHER = "10.20.1.15", "45.9.148.3", "151.101.1.1", "10.20.1.16"


def _f(detector: str, fields: dict[str, str], evidence: dict[str, Any] | None = None, *, hour: int = 0):
    kind = "pair" if len(fields) > 1 else "host"
    return Finding(
        detector=detector,
        severity="high",
        score=0.9,
        entity=Entity(kind, " -> ".join(fields.values()), tuple(fields.items())),  # type: ignore[arg-type]
        window_start=T0 + timedelta(hours=hour),
        window_end=T0 + timedelta(hours=hour + 1),
        title="t",
        evidence=evidence or {},
    )


TRUTH: dict[str, Any] = {
    "attacks": [
        {
            "type": "beaconing",
            "detectors": ["beaconing", "new_destination"],
            "entity": {"source.ip": ATTACKER, "destination.ip": C2},
            "start": "2026-03-03T12:00:00Z",
            "end": "2026-03-03T14:00:00Z",
        },
        {
            "type": "dns_tunnelling",
            "detectors": ["dns_tunnelling"],
            "entity": {"source.ip": ATTACKER, "dns.question.registered_domain": "evil.example"},
            "start": "2026-03-03T12:00:00Z",
            "end": "2026-03-03T14:00:00Z",
        },
        {
            "type": "exfiltration",
            "detectors": ["exfiltration", "volume_spike"],
            "entity": {"source.ip": OTHER, "destination.ip": C2},
            "start": "2026-03-03T12:00:00Z",
            "end": "2026-03-03T14:00:00Z",
            "also": [{"detectors": ["volume_spike"], "entity": {"source.ip": OTHER}}],
        },
    ]
}

DOMAIN = "dns.question.registered_domain"


@pytest.mark.parametrize(
    ("finding", "true"),
    [
        (_f("beaconing", {"source.ip": ATTACKER, "destination.ip": C2}), True),
        # The reviewer's case: the attacker's host, but a benign destination.
        (_f("beaconing", {"source.ip": ATTACKER, "destination.ip": CDN}), False),
        (_f("beaconing", {"source.ip": ATTACKER, "destination.ip": C2}, hour=3), False),  # wrong time
        (_f("beaconing", {"source.ip": ATTACKER}), False),  # a truth field the finding lacks
        (_f("new_destination", {"source.ip": ATTACKER, "destination.ip": C2}), True),
        (_f("dns_tunnelling", {DOMAIN: "evil.example"}, {"clients": [ATTACKER]}), True),
        (_f("dns_tunnelling", {DOMAIN: "evil.example"}, {"clients": [OTHER]}), False),
        (_f("dns_tunnelling", {DOMAIN: "akamaiedge.net"}, {"clients": [ATTACKER]}), False),
        (_f("volume_spike", {"source.ip": OTHER}), True),  # through "also"
        (_f("volume_spike", {"source.ip": ATTACKER}), False),
        (_f("exfiltration", {"source.ip": OTHER, "destination.ip": C2}), True),
        (_f("exfiltration", {"source.ip": OTHER, "destination.ip": CDN}), False),
    ],
)
def test_a_finding_is_true_only_on_the_attack_entity(finding: Finding, true: bool) -> None:
    assert (finding not in unmatched([finding], TRUTH)) is true


def test_precision_counts_every_finding_of_the_detector() -> None:
    findings = [
        _f("beaconing", {"source.ip": ATTACKER, "destination.ip": C2}),
        _f("beaconing", {"source.ip": ATTACKER, "destination.ip": CDN}),
        _f("beaconing", {"source.ip": OTHER, "destination.ip": CDN}),
    ]
    s = evaluate(findings, TRUTH)["beaconing"]
    assert (s.findings, s.true_findings, s.detected, s.entries) == (3, 1, 1, 1)
    assert s.precision == pytest.approx(1 / 3)


def test_recall_needs_the_primary_detector_on_the_entry_entity() -> None:
    # A volume spike on the exfiltrating host is a true finding, but does not detect the exfiltration.
    s = evaluate([_f("volume_spike", {"source.ip": OTHER})], TRUTH)
    assert s["exfiltration"].detected == 0
