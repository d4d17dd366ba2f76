"""Synthetic report data of any size (tests, the benchmark, trying out a layout).

Deterministic for a given seed. Not used by the real pipeline, which collects from the
risk register, the self-assessments and the traffic findings (:mod:`sectool.report.collect`).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sectool.report.model import (
    SEVERITIES,
    ClinicResult,
    DataSource,
    Domain,
    Period,
    PracticeData,
    QuestionRef,
    ReportData,
    RiskData,
    RiskFindingItem,
    RiskItem,
    RiskMatrixInfo,
    Text,
    TierInfo,
    TrafficData,
    TrafficFinding,
)

__all__ = ["sample_data", "sample_matrix"]

_DOMAINS = [
    ("organisation", "Organisation og ansvar", "Organisation and responsibility"),
    ("staff", "Personale og adfærd", "Staff and behaviour"),
    ("access", "Adgang og identitet", "Access and identity"),
    ("physical", "Fysisk sikkerhed", "Physical security"),
    ("devices", "Udstyr og netværk", "Devices and network"),
    ("workflows", "Arbejdsgange med sundhedsdata", "Workflows for health data"),
    ("citizen", "Borgerrettede tjenester", "Citizen-facing services"),
    ("suppliers", "Leverandører", "Suppliers"),
    ("continuity", "Backup, beredskab og hændelser", "Backup, continuity and incidents"),
]
_DETECTORS = [
    ("port_scan", ["T1046"]),
    ("beaconing", ["T1071", "T1573"]),
    ("dns_tunnelling", ["T1071.004"]),
    ("exfiltration", ["T1048"]),
    ("brute_force", ["T1110"]),
    ("new_destination", ["T1071"]),
    ("silent_source", ["T1562"]),
    ("off_hours_admin", ["T1021"]),
    ("volume_spike", ["T1498"]),
]
_THREATS = ["ransomware", "insider misuse", "supplier outage", "DDoS"]
_SERVICES = [
    "nsp.sundhed.dk",
    "fmk.sundhed.dk",
    "journal.sundhed.dk",
    "sdn-gw01",
    "sor.sundhed.dk",
    "10.20.0.15",
]


def sample_matrix() -> RiskMatrixInfo:
    """A 5×5 matrix with four levels (likelihood × impact thresholds)."""
    names = ["Low", "Medium", "High", "Very high"]

    def level(li: int, ii: int) -> str:
        score = (li + 1) * (ii + 1)
        return names[0] if score <= 4 else names[1] if score <= 9 else names[2] if score <= 16 else names[3]

    return RiskMatrixInfo(
        likelihood_levels=["Rare", "Unlikely", "Possible", "Likely", "Almost certain"],
        impact_levels=["Negligible", "Minor", "Moderate", "Major", "Severe"],
        cell_levels=[[level(li, ii) for ii in range(5)] for li in range(5)],
        level_colours={"Low": "#6cbf84", "Medium": "#f2d45c", "High": "#f29d4b", "Very high": "#d9534f"},
        level_order=names,
    )


def sample_data(
    *,
    clinics: int = 40,
    risks: int = 25,
    findings: int = 300,
    period: Period,
    seed: int = 1,
    submitted_share: float = 0.75,
    clinic_name: str | None = None,
    entity_name: str | None = None,
) -> ReportData:
    """Synthetic :class:`ReportData` (``clinic_name``/``entity_name``: put one hostile name in)."""
    rnd = random.Random(seed)  # noqa: S311 - synthetic data, not security
    matrix = sample_matrix()
    order = {n: i for i, n in enumerate(matrix.level_order)}
    risk_items: list[RiskItem] = []

    def tier(li: int, ii: int) -> TierInfo:
        return TierInfo(
            likelihood=li, impact=ii, level=matrix.cell_levels[li][ii], score=float((li + 1) * (ii + 1))
        )

    risk_findings: list[RiskFindingItem] = []
    for i in range(risks):
        il, ii = rnd.randrange(1, 5), rnd.randrange(1, 5)
        cl, ci = max(0, il - rnd.randrange(0, 2)), ii
        rl, ri = max(0, cl - rnd.randrange(0, 2)), max(0, ci - rnd.randrange(0, 2))
        current = matrix.cell_levels[cl][ci]
        rid = f"R-{i + 1:03d}"
        risk_items.append(
            RiskItem(
                id=rid,
                title=f"Risk {i + 1}: {rnd.choice(_THREATS)}",
                owner=rnd.choice(["CISO", "Head of operations", "Service owner", None]),
                inherent=tier(il, ii),
                current=tier(cl, ci),
                residual=tier(rl, ri),
                above_appetite=order[current] > order["Medium"],
                treatment=rnd.choice(["mitigate", "accept", "transfer"]),
            )
        )
        if rnd.random() < 0.1:
            risk_findings.append(
                RiskFindingItem(
                    kind="review_overdue",
                    risk_id=rid,
                    message=Text(da="revurdering overskredet", en="review was due"),
                )
            )
        if rnd.random() < 0.05:
            risk_findings.append(
                RiskFindingItem(
                    kind="acceptance_expired",
                    risk_id=rid,
                    message=Text(da="accept udløbet", en="acceptance expired"),
                )
            )
    questions = [
        QuestionRef(
            id=f"{d[0][:3].upper()}-{k}",
            domain=d[0],
            text=Text(da=f"{d[1]}: krav {k}", en=f"{d[2]}: requirement {k}"),
        )
        for d in _DOMAINS
        for k in range(1, 5)
    ]
    clinic_items: list[ClinicResult] = []
    for c in range(clinics):
        name = clinic_name if (clinic_name and c == 0) else f"Clinic {c + 1:04d}"
        if rnd.random() > submitted_share and c != 0:
            clinic_items.append(ClinicResult(name=name, size="solo", submitted=False))
            continue
        scores = {d[0]: round(rnd.uniform(30, 100), 1) for d in _DOMAINS}
        mean = sum(scores.values()) / len(scores)
        status = "met" if mean > 75 else "approaching" if mean > 55 else "not_met"
        if c == 0 and clinic_name:
            status = "not_met"
        clinic_items.append(
            ClinicResult(
                name=name,
                size=rnd.choice(["solo", "partnership", "large"]),
                submitted=True,
                submitted_at=period.start + timedelta(days=rnd.randrange(period.days)),
                status=status,
                maturity=min(5, max(1, round(mean / 20))),
                score=round(mean, 1),
                domain_scores=scores,
                gaps=rnd.sample([q.id for q in questions], k=rnd.randrange(0, 8)),
            )
        )
    finding_items: list[TrafficFinding] = []
    span = int((period.end_dt - period.start_dt).total_seconds())
    for f in range(findings):
        det, techniques = rnd.choice(_DETECTORS)
        start = period.start_dt + timedelta(seconds=rnd.randrange(span - 3600))
        length = timedelta(hours=rnd.choice([1, 1, 1, 6, 30]))
        entity = entity_name if (entity_name and f == 0) else rnd.choice(_SERVICES)
        finding_items.append(
            TrafficFinding(
                id=f"F-{f:06d}",
                detector=det,
                severity=SEVERITIES[min(3, int(rnd.expovariate(1.3)))]
                if not (entity_name and f == 0)
                else "critical",
                score=round(rnd.random(), 3) if not (entity_name and f == 0) else 0.999,
                entity=entity,
                service=entity,
                window_start=start,
                window_end=start + length,
                techniques=techniques,
                status="open" if rnd.random() < 0.6 else "closed",
            )
        )
    return ReportData(
        period=period,
        generated_at=datetime(period.end.year, period.end.month, period.end.day, 23, 0, tzinfo=UTC),
        organisation="Sample health IT operator",
        risk=RiskData(
            register_name="Sample register",
            as_of=period.end,
            appetite="Medium",
            matrix=matrix,
            risks=risk_items,
            findings=risk_findings,
        ),
        practice=PracticeData(
            domains=[Domain(id=d[0], title=Text(da=d[1], en=d[2])) for d in _DOMAINS],
            questions=questions,
            clinics=clinic_items,
        ),
        traffic=TrafficData(data_from=period.start_dt, data_until=period.end_dt, findings=finding_items),
        sources=[
            DataSource(section="risk", key="sample", records=risks),
            DataSource(section="practice", key="sample", records=clinics),
            DataSource(
                section="traffic",
                key="sample",
                time_from=period.start_dt,
                time_until=period.end_dt,
                records=findings,
            ),
        ],
    )
