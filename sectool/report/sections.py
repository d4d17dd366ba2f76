"""Pure functions from :class:`~sectool.report.model.ReportData` to the report sections."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from sectool.report.attack import technique_name
from sectool.report.finding_text import finding_summary
from sectool.report.indicators import ReportOptions
from sectool.report.model import (
    CLINIC_STATUSES,
    SEVERITIES,
    Period,
    PracticeData,
    RiskData,
    RiskItem,
    Text,
    TrafficData,
    TrafficFinding,
)
from sectool.report.numbers import (
    DetectorRow,
    DomainRow,
    GapRow,
    Notable,
    PracticeSection,
    RiskChange,
    RiskChanges,
    RiskFindingRow,
    RiskRow,
    RiskSection,
    Series,
    ServiceRow,
    TechniqueRow,
    TrafficSection,
)
from sectool.report.previous import Previous

__all__ = ["practice_section", "risk_section", "traffic_section"]

_SEV_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def _rank_key(f: TrafficFinding) -> tuple[int, float, datetime, str]:
    return (-_SEV_RANK[f.severity], -f.score, f.window_start, f.id)


def _notable(findings: list[TrafficFinding], n: int) -> list[TrafficFinding]:
    """The ``n`` most severe findings, at most a third of them (rounded up) from one detector
    while others have findings to show: forty port scans must not hide the one compromised
    login from the forum. Heap select, not a full sort (50,000 findings)."""
    pool = heapq.nsmallest(n * 20, findings, key=_rank_key)
    cap = max(1, -(-n // 3))
    chosen: list[TrafficFinding] = []
    per: Counter[str] = Counter()
    for f in pool:
        if len(chosen) == n:
            break
        if per[f.detector] < cap:
            chosen.append(f)
            per[f.detector] += 1
    if len(chosen) < n:  # few detectors: fill with the next most severe
        taken = {id(f) for f in chosen}
        chosen += [f for f in pool if id(f) not in taken][: n - len(chosen)]
    return sorted(chosen, key=_rank_key)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --------------------------------------------------------------------------- risk


def _row(rank: int, r: RiskItem) -> RiskRow:
    return RiskRow(
        rank=rank,
        id=r.id,
        title=r.title,
        owner=r.owner,
        inherent_level=r.inherent.level,
        inherent_score=r.inherent.score,
        current_level=r.current.level,
        current_score=r.current.score,
        residual_level=r.residual.level,
        residual_score=r.residual.score,
        above_appetite=r.above_appetite,
        treatment=r.treatment,
    )


def _changes(data: RiskData, previous: Previous) -> RiskChanges:
    assert previous.risk_levels is not None
    order = {name: i for i, name in enumerate(data.matrix.level_order)}
    now = {r.id: r for r in data.risks}
    before = previous.risk_levels
    raised: list[RiskChange] = []
    lowered: list[RiskChange] = []
    for rid, risk in now.items():
        old = before.get(rid)
        if old is None or old == risk.residual.level:
            continue
        change = RiskChange(id=rid, title=risk.title, before=old, after=risk.residual.level)
        # A level unknown to the current matrix (the matrix changed) counts as raised.
        (lowered if order.get(risk.residual.level, 0) < order.get(old, -1) else raised).append(change)
    return RiskChanges(
        previous_period=previous.period,
        new=sorted(set(now) - set(before)),
        removed=sorted(set(before) - set(now)),
        raised=sorted(raised, key=lambda c: c.id),
        lowered=sorted(lowered, key=lambda c: c.id),
    )


def risk_section(data: RiskData, options: ReportOptions, previous: Previous | None) -> RiskSection:
    """Heat maps, top risks, risks above appetite, findings and changes since ``previous``."""
    n_l, n_i = len(data.matrix.likelihood_levels), len(data.matrix.impact_levels)
    inherent = [[0] * n_i for _ in range(n_l)]
    residual = [[0] * n_i for _ in range(n_l)]
    for r in data.risks:
        inherent[min(r.inherent.likelihood, n_l - 1)][min(r.inherent.impact, n_i - 1)] += 1
        residual[min(r.residual.likelihood, n_l - 1)][min(r.residual.impact, n_i - 1)] += 1
    rank = {name: i for i, name in enumerate(data.matrix.level_order)}
    # Same order as the register's own ranking: today's (current) risk first.
    ranked = sorted(
        data.risks,
        key=lambda r: (
            -rank.get(r.current.level, 0),
            -r.current.score,
            -rank.get(r.residual.level, 0),
            -r.inherent.score,
            r.id,
        ),
    )
    rows = [_row(i + 1, r) for i, r in enumerate(ranked)]
    by_level = Counter(r.residual.level for r in data.risks)
    overdue = [
        RiskFindingRow(risk_id=f.risk_id, message=f.message)
        for f in data.findings
        if f.kind == "review_overdue"
    ]
    expired = [
        RiskFindingRow(risk_id=f.risk_id, message=f.message)
        for f in data.findings
        if f.kind == "acceptance_expired"
    ]
    changes = _changes(data, previous) if previous is not None and previous.risk_levels is not None else None
    return RiskSection(
        as_of=data.as_of,
        register_name=data.register_name,
        appetite=data.appetite,
        total=len(data.risks),
        likelihood_levels=data.matrix.likelihood_levels,
        impact_levels=data.matrix.impact_levels,
        cell_levels=data.matrix.cell_levels,
        level_colours=data.matrix.level_colours,
        level_order=data.matrix.level_order,
        level_labels=data.matrix.level_labels,
        likelihood_labels=data.matrix.likelihood_labels,
        impact_labels=data.matrix.impact_labels,
        heatmap_inherent=inherent,
        heatmap_residual=residual,
        residual_by_level={lvl: by_level.get(lvl, 0) for lvl in data.matrix.level_order},
        top=rows[: options.top_risks],
        above_appetite=[r for r in rows if r.above_appetite],
        review_overdue=overdue,
        acceptance_expired=expired,
        other_findings=len(data.findings) - len(overdue) - len(expired),
        residual_levels={r.id: r.residual.level for r in data.risks},
        changes=changes,
    )


# --------------------------------------------------------------------------- practice


def practice_section(
    data: PracticeData, options: ReportOptions, previous: Previous | None
) -> PracticeSection:
    """Participation, status distribution, maturity per domain, most common gaps, trend."""
    submitted = [c for c in data.clinics if c.submitted]
    status = Counter(c.status for c in submitted)
    maturity = Counter(c.maturity for c in submitted)
    n = len(submitted)
    titles: dict[str, Text] = {d.id: d.title for d in data.domains}
    order = [d.id for d in data.domains]
    sums: dict[str, list[float]] = defaultdict(list)
    for c in submitted:
        for dom, score in c.domain_scores.items():
            sums[dom].append(score)
            if dom not in titles:
                titles[dom] = Text(da=dom, en=dom)
                order.append(dom)
    prev_domains = previous.domain_scores if previous is not None else None
    domains: list[DomainRow] = []
    for dom in order:
        scores = sums.get(dom, [])
        mean = round(sum(scores) / len(scores), 1) if scores else None
        prev = prev_domains.get(dom) if prev_domains else None
        change = round(mean - prev, 1) if mean is not None and prev is not None else None
        domains.append(
            DomainRow(
                id=dom, title=titles[dom], mean_score=mean, clinics=len(scores), previous=prev, change=change
            )
        )
    questions = {q.id: q for q in data.questions}
    gap_counts = Counter(g for c in submitted for g in set(c.gaps))
    gaps = sorted(gap_counts.items(), key=lambda kv: (-kv[1], kv[0]))[: options.top_gaps]
    top_gaps = [
        GapRow(
            question_id=qid,
            domain=questions[qid].domain if qid in questions else "",
            text=questions[qid].text if qid in questions else Text(da=qid, en=qid),
            clinics=count,
            share=round(count / n, 4),
        )
        for qid, count in gaps
    ]
    mean_maturity = round(sum(c.maturity or 0 for c in submitted) / n, 2) if n else None
    return PracticeSection(
        invited=len(data.clinics),
        submitted=n,
        submitted_share=_ratio(n, len(data.clinics)),
        status_counts={s: status.get(s, 0) for s in CLINIC_STATUSES},
        standards_met_share=_ratio(status.get("met", 0), n),
        maturity_counts={str(level): maturity.get(level, 0) for level in range(1, 6)},
        mean_maturity=mean_maturity,
        domains=domains,
        top_gaps=top_gaps,
        named=options.name_clinics,
        clinics_not_met=sorted(c.name for c in submitted if c.status == "not_met")
        if options.name_clinics
        else [],
        previous_period=previous.period if previous is not None else None,
        previous_submitted_share=previous.submitted_share if previous is not None else None,
        previous_standards_met_share=previous.standards_met_share if previous is not None else None,
        previous_mean_maturity=previous.mean_maturity if previous is not None else None,
    )


# --------------------------------------------------------------------------- traffic


def _series(findings: list[TrafficFinding], period: Period) -> Series:
    bucket_days = 1 if period.days <= 93 else 7
    n_buckets = (period.days + bucket_days - 1) // bucket_days
    starts = [period.start + timedelta(days=i * bucket_days) for i in range(n_buckets)]
    counts = {s: [0] * n_buckets for s in SEVERITIES}
    first = period.start_dt
    for f in findings:
        day: date = max(f.window_start, first).date()
        idx = min((day - period.start).days // bucket_days, n_buckets - 1)
        counts[f.severity][idx] += 1
    return Series(bucket="day" if bucket_days == 1 else "week", starts=starts, counts=counts)


def _silent(findings: list[TrafficFinding], detector: str, hours: float) -> int:
    spans: dict[str, list[TrafficFinding]] = defaultdict(list)
    for f in findings:
        if f.detector == detector and f.status == "open":
            spans[f.entity].append(f)
    silent = 0
    for items in spans.values():
        span = max(f.window_end for f in items) - min(f.window_start for f in items)
        if span.total_seconds() > hours * 3600:
            silent += 1
    return silent


def traffic_section(
    data: TrafficData, period: Period, options: ReportOptions, previous: Previous | None
) -> TrafficSection:
    """Findings of the period by detector and severity, over time, per service, notable incidents."""
    lo, hi = period.start_dt, period.end_dt
    findings = [f for f in data.findings if f.window_end > lo and f.window_start < hi]
    by_sev = Counter(f.severity for f in findings)
    per_det: dict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        per_det[f.detector][f.severity] += 1
    detectors = [
        DetectorRow(detector=name, total=sum(c.values()), **{s: c.get(s, 0) for s in SEVERITIES})
        for name, c in sorted(per_det.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]
    services: dict[str, list[TrafficFinding]] = defaultdict(list)
    for f in findings:
        services[f.service or f.entity].append(f)
    service_rows = [
        ServiceRow(
            service=name,
            findings=len(items),
            max_severity=SEVERITIES[max(_SEV_RANK[f.severity] for f in items)],
        )
        for name, items in services.items()
    ]
    service_rows.sort(key=lambda r: (-r.findings, -SEVERITIES.index(r.max_severity), r.service))
    ranked = _notable(findings, options.notable_incidents)
    notable = [
        Notable(
            id=f.id,
            detector=f.detector,
            severity=f.severity,
            score=round(f.score, 3),
            entity=f.entity,
            window_start=f.window_start,
            window_end=f.window_end,
            techniques=f.techniques,
            status=f.status,
            summary=finding_summary(f.detector, f.evidence, f.summary),
        )
        for f in ranked[: options.notable_incidents]
    ]
    techniques = Counter(t for f in findings for t in set(f.techniques))
    return TrafficSection(
        # The analysed range is shown for the period only (the data may cover more).
        data_from=max(data.data_from, lo) if data.data_from is not None else None,
        data_until=min(data.data_until, hi) if data.data_until is not None else None,
        total=len(findings),
        open_high=sum(
            1 for f in findings if f.status == "open" and _SEV_RANK[f.severity] >= _SEV_RANK["high"]
        ),
        silent_sensors=_silent(findings, data.silent_detector, options.silent_hours),
        silent_hours=options.silent_hours,
        by_severity={s: by_sev.get(s, 0) for s in SEVERITIES},
        by_detector=detectors,
        series=_series(findings, period),
        top_services=service_rows[: options.top_services],
        notable=notable,
        techniques=[
            TechniqueRow(id=t, name=technique_name(t), findings=n)
            for t, n in sorted(techniques.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        previous_period=previous.period if previous is not None else None,
        previous_by_severity=previous.traffic_by_severity if previous is not None else None,
    )
