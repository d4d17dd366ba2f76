"""The stable JSON shape of a scored register (``schema_version`` 1; see docs/risk-register.md).

Additive changes (new keys) keep ``schema_version``; renaming or removing a key raises it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sectool.iso27001.catalogue import load_catalogue
from sectool.iso27001.model import STATUSES
from sectool.iso27001.scoring import TIERS

if TYPE_CHECKING:
    from sectool.iso27001.matrix import Level, RiskMatrix
    from sectool.iso27001.model import ControlRef
    from sectool.iso27001.scoring import ScoredRegister, ScoredRisk, Tier

__all__ = ["SCHEMA_VERSION", "scored_to_dict", "tier_dict"]

SCHEMA_VERSION = 1


def tier_dict(matrix: RiskMatrix, tier: Tier) -> dict[str, Any]:
    return {
        "likelihood": tier.likelihood,
        "impact": tier.impact,
        "score": tier.score,
        "level": matrix.risk_levels[tier.level].name,
        "level_rank": tier.level,
    }


def _levels(levels: tuple[Level, ...]) -> list[dict[str, Any]]:
    return [{"value": lv.value, "name": lv.name, "label": lv.label.model_dump()} for lv in levels]


def _refs(refs: tuple[ControlRef, ...]) -> list[dict[str, Any]]:
    cat = load_catalogue()
    return [
        {
            "control": r.control,
            "title": cat[r.control].en,
            "title_da": cat[r.control].da,
            "status": r.status,
            "reduces": r.reduces or cat[r.control].reduces,
        }
        for r in refs
    ]


def _risk(rank: int, s: ScoredRisk, matrix: RiskMatrix) -> dict[str, Any]:
    r = s.risk
    acc = r.acceptance
    return {
        "rank": rank,
        "id": r.id,
        "title": r.title,
        "description": r.description,
        "owner": r.owner,
        "assets": list(r.assets),
        "threat": r.threat,
        "vulnerability": r.vulnerability,
        "treatment": r.treatment,
        "inherent": tier_dict(matrix, s.inherent),
        "current": tier_dict(matrix, s.current),
        "residual": {**tier_dict(matrix, s.residual), "declared": s.residual_declared},
        "above_appetite": s.above_appetite,
        "residual_above_appetite": s.residual_above_appetite,
        "existing_controls": _refs(r.existing_controls),
        "planned_controls": _refs(r.planned_controls),
        "acceptance": None
        if acc is None
        else {
            "approved_by": acc.approved_by,
            "date": acc.date.isoformat(),
            "expiry": acc.expiry.isoformat(),
            "justification": acc.justification,
            "valid": s.acceptance_valid,
        },
        "next_review": r.next_review.isoformat() if r.next_review else None,
        "review_overdue": s.review_overdue,
        "findings": [f.code for f in s.findings],
    }


def _assets(scored: ScoredRegister) -> list[dict[str, Any]]:
    """Assets with C/I/A as impact values (already checked against the matrix) and their risks."""
    m = scored.matrix
    by_asset: dict[str, list[str]] = {}
    for s in scored.risks:
        for asset in s.risk.assets:
            by_asset.setdefault(asset, []).append(s.risk.id)
    out = []
    for a in scored.register.assets:
        cia = a.classification
        out.append(
            {
                "id": a.id,
                "name": a.name,
                "owner": a.owner,
                "data_categories": list(a.data_categories),
                "classification": None
                if cia is None
                else {
                    "confidentiality": m.resolve("impact", cia.confidentiality),
                    "integrity": m.resolve("impact", cia.integrity),
                    "availability": m.resolve("impact", cia.availability),
                },
                "risks": by_asset.get(a.id, []),
            }
        )
    return out


def _soa_summary(scored: ScoredRegister) -> dict[str, Any]:
    from sectool.iso27001.soa import build_soa

    rows = build_soa(scored.register, scored=scored)
    status = {s: 0 for s in STATUSES}
    for r in rows:
        if r.applicable and r.status:
            status[r.status] += 1
    return {
        "controls": len(rows),
        "applicable": sum(r.applicable is True for r in rows),
        "not_applicable": sum(r.applicable is False for r in rows),
        "undecided": sum(r.applicable is None for r in rows),
        "status": status,
    }


def scored_to_dict(scored: ScoredRegister) -> dict[str, Any]:
    """The documented JSON shape (plain dicts, lists, strings, numbers, booleans, null)."""
    m = scored.matrix
    reg = scored.register
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in scored.findings:
        counts[f.severity] += 1
    heatmap: dict[str, list[dict[str, Any]]] = {}
    for tier in TIERS:
        grid = scored.heatmap(tier)
        heatmap[tier] = [
            {
                "likelihood": li,
                "impact": ii,
                "level": m.level(li, ii).name,
                "count": grid[li - 1][ii - 1],
            }
            for li in range(1, len(m.likelihood) + 1)
            for ii in range(1, len(m.impact) + 1)
        ]
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "sectool.iso27001.scored_register",
        "as_of": scored.as_of.isoformat(),
        "register": {
            "name": reg.name,
            "organisation": reg.organisation,
            "source": reg.origin.files.get("") or reg.origin.files.get("risks"),
            "appetite": reg.appetite,
        },
        "matrix": {
            "name": m.name,
            "title": m.title.model_dump(),
            "method": m.method,
            "likelihood": _levels(m.likelihood),
            "impact": _levels(m.impact),
            "risk_levels": [
                {"rank": i, "name": lv.name, "label": lv.label.model_dump(), "colour": lv.colour}
                for i, lv in enumerate(m.risk_levels)
            ],
        },
        "control_effect": scored.effect.model_dump(),
        "summary": {
            "risks": len(scored.risks),
            "above_appetite": sum(s.above_appetite for s in scored.risks),
            "residual_above_appetite": sum(s.residual_above_appetite for s in scored.risks),
            "levels": {t: scored.level_counts(t) for t in TIERS},
            "findings": counts,
            "soa": _soa_summary(scored),
        },
        "assets": _assets(scored),
        "risks": [_risk(i, s, m) for i, s in enumerate(scored.risks, start=1)],
        "above_appetite": [s.risk.id for s in scored.above_appetite],
        "heatmap": heatmap,
        "findings": [f.to_dict() for f in scored.findings],
    }
