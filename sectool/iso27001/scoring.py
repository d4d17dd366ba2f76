"""Score a register on a matrix: inherent, current and residual risk, appetite and findings.

Tiers (see docs/risk-register.md for a worked example):

- **inherent**: the likelihood and impact as assessed without any control.
- **current**: lowered by the existing controls only, each at the effect of its *status*
  (implemented 1.0, partially 0.5 by default), as the issue defines it ("implemented existing
  controls"). Planned controls never count today, whatever their status: a control that is in
  place belongs in ``existing_controls`` (the ``planned_control_in_place`` finding says so).
- **residual**: the state once the treatment plan is done: existing controls at their status,
  planned controls at the effect of ``implemented``. A risk may instead declare the owner's own
  residual assessment (``residual:``), which then replaces the computed one.

Control effect (:class:`~sectool.iso27001.matrix.ControlEffect`, from the matrix, overridable
in the register): each control lowers one axis (``reduces`` on the reference, else the
catalogue's default: preventive controls likelihood, detective/corrective ones impact) by
its status's weight. A control counts once per risk, at its strongest reference. Per axis
the weights are summed, rounded down to whole levels, capped at ``max_reduction`` and the
axis never goes below level 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import ValidationError

from sectool.errors import InputError
from sectool.iso27001.catalogue import Catalogue, load_catalogue
from sectool.iso27001.findings import Finding, make_finding
from sectool.iso27001.matrix import SHIPPED_MATRICES, ControlEffect, RiskMatrix, load_matrix
from sectool.iso27001.model import ControlRef, Register, Risk
from sectool.yamlio import validation_error

__all__ = [
    "TIERS",
    "ScoredRegister",
    "ScoredRisk",
    "Tier",
    "control_effect_for",
    "matrix_for",
    "reduce_levels",
    "score_register",
]

TierName = Literal["inherent", "current", "residual"]
TIERS: tuple[TierName, ...] = ("inherent", "current", "residual")
_PROGRESS = {"not_implemented": 0, "planned": 1, "partially": 2, "implemented": 3}


class Tier(NamedTuple):
    """One tier of a risk: likelihood and impact values, and the risk level index (0 = lowest)."""

    likelihood: int
    impact: int
    level: int

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    def key(self) -> tuple[int, int]:
        return (self.level, self.score)


@dataclass(frozen=True, slots=True)
class ScoredRisk:
    """A risk with its three tiers and flags.

    The tiers are stored as one flat tuple of ints (``packed``: likelihood, impact, level for
    inherent, current, residual and computed residual) and handed out as :class:`Tier` on
    access. A plain tuple of ints is untracked by CPython's cyclic garbage collector, so a
    scored 100k-risk register adds one tracked object per risk instead of five, and scoring
    does not trigger full collections over the (large) register (see bench/risk.md).
    """

    risk: Risk
    packed: tuple[int, ...]
    residual_declared: bool
    above_appetite: bool
    residual_above_appetite: bool
    acceptance_valid: bool | None
    review_overdue: bool
    findings: tuple[Finding, ...] = ()

    @property
    def inherent(self) -> Tier:
        return Tier._make(self.packed[0:3])

    @property
    def current(self) -> Tier:
        return Tier._make(self.packed[3:6])

    @property
    def residual(self) -> Tier:
        return Tier._make(self.packed[6:9])

    @property
    def computed_residual(self) -> Tier:
        """The residual the controls give, even when the owner declared another."""
        return Tier._make(self.packed[9:12])

    def tier(self, name: TierName) -> Tier:
        tier: Tier = getattr(self, name)
        return tier

    def sort_key(self) -> tuple[int, int, int, int, str]:
        """Ranking: current level, current score, residual level, inherent score (all descending), id."""
        p = self.packed
        return (-p[5], -p[3] * p[4], -p[8], -p[0] * p[1], self.risk.id)


def reduce_levels(
    refs: Iterable[tuple[ControlRef, float]], catalogue: Catalogue, effect: ControlEffect
) -> tuple[int, int]:
    """Levels by which (likelihood, impact) drop for ``(reference, weight)`` pairs.

    A control counts once, at its strongest weight; weights are summed per axis, rounded
    down and capped by ``effect.max_reduction``.
    """
    best: dict[str, tuple[float, str]] = {}
    for ref, weight in refs:
        if weight <= 0:
            continue
        axis = ref.reduces or catalogue[ref.control].reduces
        if ref.control not in best or weight > best[ref.control][0]:
            best[ref.control] = (weight, axis)
    like = sum(w for w, a in best.values() if a == "likelihood")
    imp = sum(w for w, a in best.values() if a == "impact")
    return effect.levels(like), effect.levels(imp)


@dataclass
class ScoredRegister:
    """The result of :func:`score_register`; ``to_dict()`` is the stable JSON shape."""

    register: Register
    matrix: RiskMatrix
    effect: ControlEffect
    as_of: dt.date
    appetite: int | None
    risks: list[ScoredRisk]
    findings: list[Finding] = field(default_factory=list)

    @property
    def above_appetite(self) -> list[ScoredRisk]:
        return [s for s in self.risks if s.above_appetite]

    def heatmap(self, tier: TierName) -> list[list[int]]:
        """Counts per cell: ``grid[likelihood - 1][impact - 1]``."""
        grid = [[0] * len(self.matrix.impact) for _ in self.matrix.likelihood]
        for s in self.risks:
            t = s.tier(tier)
            grid[t.likelihood - 1][t.impact - 1] += 1
        return grid

    def level_counts(self, tier: TierName) -> dict[str, int]:
        counts = {lv.name: 0 for lv in self.matrix.risk_levels}
        for s in self.risks:
            counts[self.matrix.risk_levels[s.tier(tier).level].name] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        from sectool.iso27001.serialise import scored_to_dict

        return scored_to_dict(self)


def matrix_for(register: Register, override: str | Path | None = None) -> RiskMatrix:
    """The matrix to score with: ``override`` (``--matrix``), else the register's, else the default."""
    if override is not None:
        return load_matrix(override)
    if register.matrix is None:
        return load_matrix()
    if register.matrix in SHIPPED_MATRICES:
        return load_matrix(register.matrix)
    return load_matrix(register_matrix_path(register))


def register_matrix_path(register: Register) -> Path:
    """The file a register's ``matrix:`` names, resolved against the register's folder.

    Only a ``.yml``/``.yaml`` file is accepted, so a register from someone else cannot make
    the tool read an arbitrary file (and an error names the resolved path, not the one written).
    """
    written = register.matrix or ""
    path = Path(written)
    base = register.origin.base_dir
    resolved = (base / path if base is not None and not path.is_absolute() else path).resolve()
    if resolved.suffix.lower() not in (".yml", ".yaml"):
        file, line = register.origin.locate(("matrix",))
        raise InputError(
            "the register's matrix must be a shipped matrix or a .yml/.yaml file",
            file=file,
            line=line,
            field="matrix",
            value=written,
            expected=f"one of {', '.join(SHIPPED_MATRICES)} or a path ending in .yml or .yaml "
            f"(resolved: {resolved})",
        )
    return resolved


def _bad_level(register: Register, loc: Sequence[str | int], raw: object, allowed: str) -> InputError:
    file, line = register.origin.locate(loc)
    return InputError(
        "level outside the matrix",
        file=file,
        line=line,
        field=register.origin.field(loc),
        value=raw,
        expected=allowed,
    )


def _resolve(
    register: Register,
    matrix: RiskMatrix,
    axis: Literal["likelihood", "impact"],
    raw: object,
    loc: Sequence[str | int],
) -> int:
    value = matrix.resolve(axis, raw)
    if value is None:
        raise _bad_level(register, loc, raw, matrix.allowed(axis))
    return value


def _check_assets(register: Register, matrix: RiskMatrix) -> None:
    for i, asset in enumerate(register.assets):
        if asset.classification is None:
            continue
        for name in ("confidentiality", "integrity", "availability"):
            _resolve(
                register,
                matrix,
                "impact",
                getattr(asset.classification, name),
                ("assets", i, "classification", name),
            )


def _appetite(register: Register, matrix: RiskMatrix) -> int | None:
    if register.appetite is None:
        return None
    if not matrix.has_risk_level(register.appetite):
        file, line = register.origin.locate(("appetite",))
        raise InputError(
            f"risk appetite is not a risk level of matrix '{matrix.name}'",
            file=file,
            line=line,
            field=register.origin.field(("appetite",)),
            value=register.appetite,
            expected=", ".join(lv.name for lv in matrix.risk_levels),
        )
    return matrix.rank_of(register.appetite)


def control_effect_for(register: Register, matrix: RiskMatrix) -> ControlEffect:
    """The matrix's control effect with the fields the register sets replaced."""
    if register.control_effect is None:
        return matrix.control_effect
    merged = {
        **matrix.control_effect.model_dump(),
        **register.control_effect.model_dump(exclude_unset=True),
    }
    try:
        return ControlEffect.model_validate(merged)
    except ValidationError as exc:
        file, _ = register.origin.locate(("control_effect",))
        raise validation_error(
            exc, file=file, line_of=register.origin.line_of, prefix=("control_effect",)
        ) from None


def score_register(
    register: Register,
    matrix: RiskMatrix | None = None,
    *,
    as_of: dt.date,
    catalogue: Catalogue | None = None,
) -> ScoredRegister:
    """Score every risk (three tiers), flag appetite, and collect consistency findings.

    Raises:
        InputError: a level outside the matrix or an appetite that is not a matrix level.
    """
    matrix = matrix if matrix is not None else matrix_for(register)
    catalogue = catalogue if catalogue is not None else load_catalogue()
    effect = control_effect_for(register, matrix)
    appetite = _appetite(register, matrix)
    _check_assets(register, matrix)
    excluded = {e.control for e in register.soa if not e.applicable}
    implemented_weight = effect.implemented
    table = matrix.level_index
    scored: list[ScoredRisk] = []
    for i, risk in enumerate(register.risks):
        lik = _resolve(register, matrix, "likelihood", risk.likelihood, ("risks", i, "likelihood"))
        imp = _resolve(register, matrix, "impact", risk.impact, ("risks", i, "impact"))
        existing = [(r, effect.of(r.status)) for r in risk.existing_controls]
        now = reduce_levels(existing, catalogue, effect)
        later = reduce_levels(
            [*existing, *((r, implemented_weight) for r in risk.planned_controls)], catalogue, effect
        )
        inherent = Tier(lik, imp, table(lik, imp))
        cl, ci = max(1, lik - now[0]), max(1, imp - now[1])
        current = Tier(cl, ci, table(cl, ci))
        rl, ri = max(1, lik - later[0]), max(1, imp - later[1])
        computed = Tier(rl, ri, table(rl, ri))
        residual = computed
        if risk.residual is not None:
            dl = _resolve(
                register,
                matrix,
                "likelihood",
                risk.residual.likelihood,
                ("risks", i, "residual", "likelihood"),
            )
            di = _resolve(
                register, matrix, "impact", risk.residual.impact, ("risks", i, "residual", "impact")
            )
            residual = Tier(dl, di, table(dl, di))
        scored.append(_flag(risk, inherent, current, residual, computed, appetite, as_of, excluded, matrix))
    scored.sort(key=ScoredRisk.sort_key)
    findings = [f for s in scored for f in s.findings]
    findings += _register_findings(register, catalogue, appetite)
    findings.sort(key=lambda f: f.sort_key)
    return ScoredRegister(register, matrix, effect, as_of, appetite, scored, findings)


def _label(matrix: RiskMatrix, tier: Tier) -> str:
    return f"{matrix.risk_levels[tier.level].name}, L{tier.likelihood}xI{tier.impact}"


def _flag(
    risk: Risk,
    inherent: Tier,
    current: Tier,
    residual: Tier,
    computed: Tier,
    appetite: int | None,
    as_of: dt.date,
    excluded: set[str],
    matrix: RiskMatrix,
) -> ScoredRisk:
    found: list[Finding] = []
    rid = risk.id
    above = appetite is not None and current.level > appetite
    residual_above = appetite is not None and residual.level > appetite
    acc = risk.acceptance
    valid: bool | None = None
    if acc is not None:
        valid = acc.date <= as_of < acc.expiry
    if risk.treatment == "accept":
        if acc is None:
            found.append(make_finding("accepted_without_record", risk=rid))
        elif as_of >= acc.expiry:
            found.append(make_finding("acceptance_expired", risk=rid, by=acc.approved_by, expiry=acc.expiry))
        elif as_of < acc.date:
            found.append(make_finding("acceptance_not_yet_valid", risk=rid, date=acc.date, as_of=as_of))
    if residual_above and not (risk.treatment == "accept" and valid):
        found.append(
            make_finding(
                "residual_above_appetite",
                risk=rid,
                appetite=matrix.risk_levels[appetite or 0].name,
                residual=_label(matrix, residual),
            )
        )
    if risk.residual is not None and residual.key() > current.key():
        found.append(
            make_finding(
                "residual_above_current",
                risk=rid,
                residual=_label(matrix, residual),
                current=_label(matrix, current),
            )
        )
    overdue = risk.next_review is not None and risk.next_review < as_of
    if overdue:
        found.append(make_finding("review_overdue", risk=rid, due=risk.next_review))
    elif risk.next_review is None:
        found.append(make_finding("review_not_scheduled", risk=rid))
    if not risk.owner:
        found.append(make_finding("missing_owner", risk=rid))
    existing_ids = {ref.control for ref in risk.existing_controls}
    for plan in risk.planned_controls:
        if plan.status in ("implemented", "partially") and plan.control not in existing_ids:
            found.append(
                make_finding(
                    "planned_control_in_place",
                    risk=rid,
                    control=plan.control,
                    status="implemented" if plan.status == "implemented" else "partially implemented",
                    status_da="implementeret" if plan.status == "implemented" else "delvist implementeret",
                )
            )
    if excluded:
        seen: set[str] = set()
        for ref in (*risk.existing_controls, *risk.planned_controls):
            if ref.control in excluded and ref.control not in seen:
                seen.add(ref.control)
                found.append(make_finding("control_not_applicable", risk=rid, control=ref.control))
    return ScoredRisk(
        risk=risk,
        packed=(*inherent, *current, *residual, *computed),
        residual_declared=risk.residual is not None,
        above_appetite=above,
        residual_above_appetite=residual_above,
        acceptance_valid=valid,
        review_overdue=overdue,
        findings=tuple(found),
    )


def _register_findings(register: Register, catalogue: Catalogue, appetite: int | None) -> list[Finding]:
    found: list[Finding] = []
    if appetite is None:
        found.append(make_finding("appetite_not_set"))
    if not register.soa:
        found.append(make_finding("soa_missing"))
        return found
    decided = {e.control for e in register.soa}
    referenced = {ref.control for r in register.risks for ref in (*r.existing_controls, *r.planned_controls)}
    for control in catalogue:
        if control.id not in decided and control.id not in referenced:
            found.append(make_finding("soa_not_assessed", control=control.id))
    # A risk may not count on a control as further along than the SoA says it is.
    soa_status = {e.control: e.status for e in register.soa if e.applicable and e.status}
    for risk in register.risks:
        for ref in risk.existing_controls:
            stated = soa_status.get(ref.control)
            if stated is not None and _PROGRESS[ref.status] > _PROGRESS[stated]:
                found.append(
                    make_finding(
                        "soa_status_mismatch",
                        risk=risk.id,
                        control=ref.control,
                        status=ref.status,
                        soa=stated,
                    )
                )
    return found
