"""Risk matrices defined in YAML: likelihood and impact scales, risk levels, grid or formula.

A matrix names its likelihood and impact levels (value 1..n, lowest first), its risk
levels (lowest first, each with a colour) and how a (likelihood, impact) pair maps to a
risk level: a complete ``grid`` (like the 5x5 grid of ISO/IEC 27005) or a ``formula``
(likelihood x impact compared with thresholds). It may also carry the default
:class:`ControlEffect`. Validation is strict: the grid must be complete and
monotone (a higher likelihood or impact never gives a lower risk level), every risk level
must be reachable, and thresholds must rise.
"""

from __future__ import annotations

import itertools
import math
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from sectool.errors import InputError
from sectool.safetext import SafeText
from sectool.yamlio import load_yaml, parse_yaml, validate

__all__ = [
    "DEFAULT_MATRIX",
    "SHIPPED_MATRICES",
    "ControlEffect",
    "Level",
    "RiskLevel",
    "RiskMatrix",
    "Text",
    "Threshold",
    "load_matrix",
]

#: Shipped matrices by name -> package data file.
SHIPPED_MATRICES: dict[str, str] = {"5x5": "matrix_5x5.yml", "3x3": "matrix_3x3.yml"}
DEFAULT_MATRIX = "5x5"

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

Status = Literal["implemented", "partially", "planned", "not_implemented"]


class Text(BaseModel):
    """A text in English and Danish (Danish falls back to English when omitted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: SafeText = Field(min_length=1)
    da: SafeText | None = None

    def get(self, lang: str = "en") -> str:
        return (self.da or self.en) if lang == "da" else self.en


def _check_name(v: str) -> str:
    if not _NAME_RE.match(v):
        raise ValueError("name must be lower-case letters, digits and '_', starting with a letter")
    return v


class Level(BaseModel):
    """One likelihood or impact level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: int = Field(ge=1)
    name: str
    label: Text
    description: Text | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_name(v)


class RiskLevel(BaseModel):
    """One risk level (e.g. low, medium, high) with the colour used in tables and heat maps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: Text
    colour: str
    description: Text | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_name(v)

    @field_validator("colour")
    @classmethod
    def _colour(cls, v: str) -> str:
        if not _COLOUR_RE.match(v):
            raise ValueError("colour must be a hex colour like '#d32f2f'")
        return v.lower()


class Threshold(BaseModel):
    """Formula method: scores >= ``min_score`` are at least ``level``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_score: int = Field(ge=1)
    level: str


class ControlEffect(BaseModel):
    """How many levels one control lowers its axis (likelihood or impact), by status.

    Contributions of all controls on one axis are summed, rounded down to whole levels,
    capped at ``max_reduction`` and never take the axis below its lowest level.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    implemented: float = Field(default=1.0, ge=0, le=10)
    partially: float = Field(default=0.5, ge=0, le=10)
    planned: float = Field(default=0.0, ge=0, le=10)
    not_implemented: float = Field(default=0.0, ge=0, le=10)
    max_reduction: int = Field(default=2, ge=0, le=10, description="most levels one axis can drop")

    @model_validator(mode="after")
    def _ordered(self) -> ControlEffect:
        if not (self.implemented >= self.partially >= self.planned >= self.not_implemented):
            raise ValueError(
                "control effects must satisfy implemented >= partially >= planned >= not_implemented"
            )
        if self.partially >= self.implemented > 0:
            raise ValueError("a partially implemented control must count less than an implemented one")
        return self

    def of(self, status: Status) -> float:
        value: float = getattr(self, status)
        return value

    def levels(self, total: float) -> int:
        """Whole levels for a summed contribution (epsilon guards float sums like 0.1+0.2)."""
        return min(self.max_reduction, math.floor(total + 1e-9))


class RiskMatrix(BaseModel):
    """A validated risk matrix with O(1) lookup."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: SafeText = Field(min_length=1)
    title: Text
    likelihood: tuple[Level, ...] = Field(min_length=2, max_length=10)
    impact: tuple[Level, ...] = Field(min_length=2, max_length=10)
    risk_levels: tuple[RiskLevel, ...] = Field(min_length=2, max_length=10)
    method: Literal["grid", "formula"]
    grid: dict[str, tuple[str, ...]] | None = Field(
        default=None, description="likelihood name -> risk level per impact value (lowest impact first)"
    )
    thresholds: tuple[Threshold, ...] | None = None
    control_effect: ControlEffect = Field(default_factory=ControlEffect)

    _table: tuple[tuple[int, ...], ...] = PrivateAttr(default=())
    _rank: dict[str, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> RiskMatrix:
        for axis_name, axis in (("likelihood", self.likelihood), ("impact", self.impact)):
            values = [lv.value for lv in axis]
            if values != list(range(1, len(axis) + 1)):
                raise ValueError(f"{axis_name} values must be 1..{len(axis)} in order, lowest first")
            names = [lv.name for lv in axis]
            if len(set(names)) != len(names):
                raise ValueError(f"{axis_name} level names must be unique")
        rank = {lv.name: i for i, lv in enumerate(self.risk_levels)}
        if len(rank) != len(self.risk_levels):
            raise ValueError("risk level names must be unique")
        table = self._build_grid(rank) if self.method == "grid" else self._build_formula(rank)
        _check_monotone(table, self.risk_levels)
        used = {r for row in table for r in row}
        unused = [lv.name for i, lv in enumerate(self.risk_levels) if i not in used]
        if unused:
            raise ValueError(f"risk level(s) never reached by the matrix: {', '.join(unused)}")
        self._table = table
        self._rank = rank
        return self

    def _build_grid(self, rank: dict[str, int]) -> tuple[tuple[int, ...], ...]:
        if self.grid is None or self.thresholds is not None:
            raise ValueError("method 'grid' needs 'grid' (and no 'thresholds')")
        names = [lv.name for lv in self.likelihood]
        missing = [n for n in names if n not in self.grid]
        extra = [n for n in self.grid if n not in names]
        if missing or extra:
            raise ValueError(
                "grid rows must be exactly the likelihood names"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(extra)}" if extra else "")
            )
        rows = []
        for lname in names:
            row = self.grid[lname]
            if len(row) != len(self.impact):
                raise ValueError(f"grid row '{lname}' has {len(row)} cells, expected {len(self.impact)}")
            bad = [c for c in row if c not in rank]
            if bad:
                raise ValueError(
                    f"grid row '{lname}' names unknown risk level '{bad[0]}'; "
                    f"expected one of: {', '.join(rank)}"
                )
            rows.append(tuple(rank[c] for c in row))
        return tuple(rows)

    def _build_formula(self, rank: dict[str, int]) -> tuple[tuple[int, ...], ...]:
        if not self.thresholds or self.grid is not None:
            raise ValueError("method 'formula' needs 'thresholds' (and no 'grid')")
        ts = self.thresholds
        if ts[0].min_score != 1:
            raise ValueError("the first threshold must have min_score 1 so that every score has a level")
        for t in ts:
            if t.level not in rank:
                raise ValueError(
                    f"threshold names unknown risk level '{t.level}'; expected one of: {', '.join(rank)}"
                )
        for a, b in itertools.pairwise(ts):
            if b.min_score <= a.min_score or rank[b.level] <= rank[a.level]:
                raise ValueError("thresholds must rise: higher min_score, higher risk level")
        rows = []
        for li in range(1, len(self.likelihood) + 1):
            row = []
            for ii in range(1, len(self.impact) + 1):
                score = li * ii
                row.append(rank[[t for t in ts if t.min_score <= score][-1].level])
            rows.append(tuple(row))
        return tuple(rows)

    # -- lookup ---------------------------------------------------------------------------------------

    def level_index(self, likelihood: int, impact: int) -> int:
        """Index into :attr:`risk_levels` (0 = lowest) for 1-based likelihood and impact values."""
        return self._table[likelihood - 1][impact - 1]

    def level(self, likelihood: int, impact: int) -> RiskLevel:
        return self.risk_levels[self._table[likelihood - 1][impact - 1]]

    def rank_of(self, risk_level: str) -> int:
        return self._rank[risk_level]

    def has_risk_level(self, name: str) -> bool:
        return name in self._rank

    def resolve(self, axis: Literal["likelihood", "impact"], raw: Any) -> int | None:
        """Value (1..n) for a level given as a number or a level name; ``None`` if not on the scale."""
        levels = self.likelihood if axis == "likelihood" else self.impact
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            return raw if 1 <= raw <= len(levels) else None
        if isinstance(raw, str):
            text = raw.strip()
            if text.isascii() and text.isdecimal():
                return self.resolve(axis, int(text))
            key = text.lower().replace(" ", "_").replace("-", "_")
            for lv in levels:
                if lv.name == key:
                    return lv.value
        return None

    def allowed(self, axis: Literal["likelihood", "impact"]) -> str:
        levels = self.likelihood if axis == "likelihood" else self.impact
        return f"1..{len(levels)} or one of: " + ", ".join(lv.name for lv in levels)


def _check_monotone(table: tuple[tuple[int, ...], ...], levels: tuple[RiskLevel, ...]) -> None:
    for li, row in enumerate(table):
        for ii, cell in enumerate(row):
            if ii and cell < row[ii - 1]:
                raise ValueError(
                    f"matrix is not monotone: likelihood {li + 1}, impact {ii + 1} is "
                    f"'{levels[cell].name}', lower than at impact {ii}"
                )
            if li and cell < table[li - 1][ii]:
                raise ValueError(
                    f"matrix is not monotone: likelihood {li + 1}, impact {ii + 1} is "
                    f"'{levels[cell].name}', lower than at likelihood {li}"
                )


@lru_cache(maxsize=len(SHIPPED_MATRICES))
def _shipped(name: str) -> RiskMatrix:
    text = resources.files("sectool.iso27001").joinpath("data", SHIPPED_MATRICES[name]).read_text("utf-8")
    doc = parse_yaml(text, file=f"sectool/iso27001/data/{SHIPPED_MATRICES[name]}")
    return validate(RiskMatrix, doc.data, doc=doc)


def load_matrix(path: str | Path | None = None) -> RiskMatrix:
    """Load a matrix: ``None`` (the default 5x5), a shipped name (``"5x5"``, ``"3x3"``) or a YAML file."""
    if path is None:
        return _shipped(DEFAULT_MATRIX)
    if isinstance(path, str) and path in SHIPPED_MATRICES:
        return _shipped(path)
    p = Path(path)
    if not p.exists() and isinstance(path, str) and "/" not in path and not path.endswith((".yml", ".yaml")):
        raise InputError(
            "unknown matrix",
            value=path,
            expected=f"a shipped matrix ({', '.join(SHIPPED_MATRICES)}) or a YAML file",
        )
    doc = load_yaml(p)
    if not isinstance(doc.data, dict):
        # Say what is wrong without repeating the file's content: the path may point at a
        # file that is not a matrix at all (a register from someone else naming /etc/passwd).
        raise InputError(
            "a matrix file must be a YAML mapping (likelihood, impact, risk_levels, ...)",
            file=doc.file,
            line=doc.line_of(()),
            expected="a matrix in the documented format (see docs/risk-register.md)",
        )
    return validate(RiskMatrix, doc.data, doc=doc)
