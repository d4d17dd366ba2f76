from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sectool.report.build import build_report
from sectool.report.indicators import ReportConfig
from sectool.report.model import Period, TrafficData, TrafficFinding
from sectool.report.sample import sample_data
from sectool.report.sections import traffic_section


def _finding(
    i: int,
    start: datetime,
    *,
    detector: str = "port_scan",
    severity: str = "high",
    hours: float = 1,
    entity: str = "h",
    status: str = "open",
) -> TrafficFinding:
    return TrafficFinding(
        id=f"f{i}",
        detector=detector,
        severity=severity,
        entity=entity,
        service=entity,  # type: ignore[arg-type]
        window_start=start,
        window_end=start + timedelta(hours=hours),
        techniques=["T1046"],
        status=status,  # type: ignore[arg-type]
    )


def test_risk_section_counts_and_order(q4: Period, config: ReportConfig) -> None:
    data = sample_data(period=q4, risks=60, clinics=3, findings=3, seed=3)
    risk = build_report(data, config).risk
    assert risk is not None
    assert sum(map(sum, risk.heatmap_inherent)) == sum(map(sum, risk.heatmap_residual)) == 60
    assert len(risk.top) == 10
    assert [r.rank for r in risk.top] == list(range(1, 11))
    order = {n: i for i, n in enumerate(risk.level_order)}
    keys = [(order[r.current_level], r.current_score) for r in risk.top]
    assert keys == sorted(keys, reverse=True)
    assert {r.id for r in risk.above_appetite} == {r.id for r in data.risk.risks if r.above_appetite}  # type: ignore[union-attr]
    assert sum(risk.residual_by_level.values()) == 60


def test_practice_section(q4: Period, config: ReportConfig) -> None:
    data = sample_data(period=q4, clinics=200, risks=2, findings=2, seed=5)
    p = build_report(data, config).practice
    assert p is not None
    clinics = data.practice.clinics  # type: ignore[union-attr]
    submitted = [c for c in clinics if c.submitted]
    assert (p.invited, p.submitted) == (200, len(submitted))
    assert p.submitted_share == round(len(submitted) / 200, 4)
    assert sum(p.status_counts.values()) == p.submitted
    assert sum(p.maturity_counts.values()) == p.submitted
    gap_counts = [g.clinics for g in p.top_gaps]
    assert gap_counts == sorted(gap_counts, reverse=True)
    assert len(gap_counts) == 5
    top = p.top_gaps[0]
    assert top.clinics == sum(top.question_id in c.gaps for c in submitted)
    assert p.clinics_not_met == []
    assert not p.named


def test_traffic_section_period_series_services(q4: Period, config: ReportConfig) -> None:
    start = q4.start_dt
    findings = [
        _finding(1, start + timedelta(days=1), entity="a.example"),
        _finding(2, start + timedelta(days=1, hours=3), severity="critical", entity="a.example"),
        _finding(
            3, start + timedelta(days=40), severity="low", detector="beaconing", entity="b", status="closed"
        ),
        _finding(4, start - timedelta(days=3)),  # before the period: left out
        _finding(5, start + timedelta(days=2), detector="silent_source", entity="sensor-1", hours=30),
        _finding(6, start + timedelta(days=2), detector="silent_source", entity="sensor-2", hours=5),
    ]
    t = traffic_section(TrafficData(findings=findings), q4, config.options, None)
    assert t.total == 5
    assert t.by_severity == {"low": 1, "medium": 0, "high": 3, "critical": 1}
    assert t.open_high == 4
    assert t.silent_sensors == 1
    assert t.series.bucket == "day"
    assert len(t.series.starts) == 92
    assert sum(sum(v) for v in t.series.counts.values()) == 5
    assert t.series.counts["critical"][1] == 1
    assert t.top_services[0].service == "a.example"
    assert t.top_services[0].findings == 2
    assert t.top_services[0].max_severity == "critical"
    assert t.notable[0].severity == "critical"
    assert next(d.detector for d in t.by_detector) == "port_scan"


def test_year_uses_weekly_buckets(config: ReportConfig) -> None:
    from sectool.report.model import parse_period

    year = parse_period("2026")
    t = traffic_section(
        TrafficData(findings=[_finding(1, datetime(2026, 12, 31, 20, tzinfo=UTC))]),
        year,
        config.options,
        None,
    )
    assert t.series.bucket == "week"
    assert len(t.series.starts) == 53
    assert t.series.counts["high"][-1] == 1


def test_techniques_carry_their_attack_names(q4: Period, config: ReportConfig) -> None:
    from sectool.traffic.detect.config import load_config as detect_config
    from sectool.traffic.detect.detectors import DETECTORS

    start = q4.start_dt
    t = traffic_section(
        TrafficData(findings=[_finding(1, start + timedelta(days=1))]), q4, config.options, None
    )
    assert [(x.id, x.name, x.findings) for x in t.techniques] == [("T1046", "Network Service Discovery", 1)]
    # Every technique the shipped detectors report has a name.
    from sectool.report.attack import TECHNIQUES

    cfg = detect_config(None)
    used = {tech for build in DETECTORS.values() for tech in getattr(build(cfg), "techniques", ())}
    assert used, "the detector specs name their techniques"
    assert used <= set(TECHNIQUES)


def test_every_attack_technique_has_a_danish_description() -> None:
    from sectool.report.attack import TECHNIQUES, TECHNIQUES_DA

    assert set(TECHNIQUES_DA) == set(TECHNIQUES)
    assert all(text.strip() and text != TECHNIQUES[k] for k, text in TECHNIQUES_DA.items())


@pytest.mark.parametrize(
    ("lang", "technique", "expected"),
    [
        ("en", "T1046", "Network Service Discovery"),
        ("da", "T1046", "Kortlægning af netværkstjenester (portscanning) (Network Service Discovery)"),
        ("da", "T1071.004", "Kommunikation gemt i DNS (Application Layer Protocol: DNS)"),
        ("en", "T9999", None),
        ("da", "T9999", None),
    ],
)
def test_technique_label_per_language(lang: str, technique: str, expected: str | None) -> None:
    from sectool.report.attack import technique_label

    assert technique_label(technique, lang) == expected


def test_notable_incidents_are_not_all_one_detector() -> None:
    """Forty port scans must not hide a compromised login: at most a third of the notable rows
    (rounded up) from one detector while others have findings; filled up when few detectors."""
    from datetime import UTC, datetime, timedelta

    from sectool.report.sections import _notable

    t0 = datetime(2026, 11, 1, tzinfo=UTC)

    def finding(i: int, detector: str, severity: str, score: float) -> Any:
        class F:
            pass

        f = F()
        f.id, f.detector, f.severity, f.score = f"f{i}", detector, severity, score  # type: ignore[attr-defined]
        f.window_start = t0 + timedelta(minutes=i)  # type: ignore[attr-defined]
        return f

    scans = [finding(i, "port_scan", "critical", 0.99) for i in range(40)]
    login = finding(100, "brute_force", "high", 0.95)
    c2 = finding(101, "c2", "medium", 0.6)
    got = _notable([*scans, login, c2], 10)
    assert [f.detector for f in got].count("port_scan") == 8  # 4 by the cap, then filled up
    assert login in got
    assert c2 in got
    assert got[0].detector == "port_scan"  # still ordered by severity
    only = _notable(scans, 10)
    assert len(only) == 10
    assert _notable([], 10) == []
