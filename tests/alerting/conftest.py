"""Fixtures of the alerting tests: a private CA and findings in the shapes the detectors write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sectool.traffic.detect.findings import Entity, Finding, write_jsonl

from .receivers import Pki, make_pki

#: Windows close to now: the journal forgets (and never sends) findings older than `keep` (30 days).
BASE = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=6)


def finding(
    detector: str,
    severity: str,
    kind: str,
    value: str,
    fields: tuple[tuple[str, str | int], ...],
    *,
    hour: int = 0,
    title: str | None = None,
    techniques: tuple[str, ...] = ("T1071",),
    score: float | None = None,
) -> Finding:
    start = BASE + timedelta(hours=hour)
    return Finding(
        detector=detector,
        severity=severity,  # type: ignore[arg-type]
        score=score
        if score is not None
        else {"low": 0.4, "medium": 0.6, "high": 0.8, "critical": 0.95}[severity],
        entity=Entity(kind, value, fields),  # type: ignore[arg-type]
        window_start=start,
        window_end=start + timedelta(hours=1),
        title=title or f"{detector} on {value}",
        evidence={"connections": 42},
        techniques=techniques,
    )


def sample_findings() -> list[Finding]:
    """Six findings of every severity and entity kind (internal and external addresses)."""
    return [
        finding(
            "beaconing",
            "critical",
            "pair",
            "10.10.70.123 -> 185.181.61.91",
            (("destination.ip", "185.181.61.91"), ("source.ip", "10.10.70.123")),
            title="42 connections every 1024s from 10.10.70.123 to 185.181.61.91",
            techniques=("T1071", "T1573"),
        ),
        finding(
            "dns_tunnelling",
            "high",
            "domain",
            "k7q2x.info",
            (("dns.question.registered_domain", "k7q2x.info"),),
            hour=1,
            techniques=("T1071.004", "T1048"),
        ),
        finding(
            "brute_force",
            "high",
            "host",
            "80.53.94.215",
            (("source.ip", "80.53.94.215"),),
            hour=2,
            techniques=("T1110", "T1110.001"),
        ),
        finding(
            "port_scan",
            "medium",
            "pair",
            "10.10.70.20 -> 10.10.10.11",
            (("destination.ip", "10.10.10.11"), ("source.ip", "10.10.70.20")),
            hour=3,
            techniques=("T1046",),
        ),
        finding(
            "c2",
            "critical",
            "pair",
            "fd00:5ec7:40::13 -> 2a0b:3c93:e756::6167:5552",
            (
                ("destination.ip", "2a0b:3c93:e756::6167"),
                ("destination.port", 5552),
                ("source.ip", "fd00:5ec7:40::13"),
            ),
            hour=4,
            title='C2 <b>"channel"</b> to 2a0b:3c93:e756::6167 port 5552 ] \\ from fd00:5ec7:40::13',
            techniques=("T1071", "T1571"),
        ),
        finding(
            "volume_spike",
            "low",
            "source",
            "sensor-aarhus",
            (("observer.name", "sensor-aarhus"),),
            hour=5,
            techniques=(),
        ),
    ]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def findings_file(tmp_path: Path) -> Path:
    path = tmp_path / "findings.jsonl"
    write_jsonl(path, sample_findings(), merge=False)
    return path
