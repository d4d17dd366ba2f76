"""The risk register model: assets, risks, control references, acceptance, SoA entries.

Every loader (YAML, CSV, XLSX) produces the same validated :class:`Register`.
Likelihood, impact and C/I/A levels are kept as written (a number or a level name)
because the matrix is only known when scoring; :mod:`sectool.iso27001.resolve` checks
them against the matrix and reports a level outside it with file and line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from sectool.iso27001.catalogue import Axis, load_catalogue
from sectool.iso27001.matrix import ControlEffect
from sectool.safetext import SafeText
from sectool.yamlio import format_loc

__all__ = [
    "DATA_CATEGORIES",
    "STATUSES",
    "TREATMENTS",
    "Acceptance",
    "Asset",
    "Classification",
    "ControlRef",
    "DataCategory",
    "LevelPair",
    "LevelRef",
    "Origin",
    "PlannedControlRef",
    "Register",
    "Risk",
    "SoaEntry",
    "Status",
    "Treatment",
]

Status = Literal["implemented", "partially", "planned", "not_implemented"]
Treatment = Literal["mitigate", "accept", "avoid", "transfer"]
DataCategory = Literal[
    "health",
    "personal",
    "sensitive_personal",
    "cpr",
    "credentials",
    "confidential",
    "internal",
    "public",
]
STATUSES: tuple[str, ...] = ("implemented", "partially", "planned", "not_implemented")
TREATMENTS: tuple[str, ...] = ("mitigate", "accept", "avoid", "transfer")
DATA_CATEGORIES: tuple[str, ...] = (
    "health",
    "personal",
    "sensitive_personal",
    "cpr",
    "credentials",
    "confidential",
    "internal",
    "public",
)


def _check_level_ref(v: object) -> object:
    # Checked here (not by the int | str union) so that a list or a date gives one clear message.
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, bool) or not isinstance(v, int | str):
        raise ValueError("a level must be a number (1..n) or a level name of the matrix")
    return v


#: A level as written in the register: its value (1..n) or its name on the matrix scale.
LevelRef = Annotated[int | str, BeforeValidator(_check_level_ref)]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
_CFG = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _check_id(v: str) -> str:
    if not _ID_RE.match(v):
        raise ValueError("id must be 1-64 letters, digits or . _ : / - (starting with a letter or digit)")
    return v


def _check_control(v: str) -> str:
    control = v.strip().upper()
    if control not in load_catalogue():
        raise ValueError(f"unknown Annex A control '{v}'; expected an ISO/IEC 27001:2022 id A.5.1 ... A.8.34")
    return control


ItemId = Annotated[str, AfterValidator(_check_id)]
ControlId = Annotated[str, AfterValidator(_check_control)]


class Classification(BaseModel):
    """C/I/A classification of an asset on the matrix's impact scale."""

    model_config = _CFG

    confidentiality: LevelRef
    integrity: LevelRef
    availability: LevelRef


class Asset(BaseModel):
    model_config = _CFG

    id: ItemId
    name: SafeText = Field(min_length=1)
    owner: SafeText | None = None
    description: SafeText = ""
    data_categories: tuple[DataCategory, ...] = ()
    classification: Classification | None = None


class ControlRef(BaseModel):
    """An existing control a risk relies on, by Annex A id, with its implementation status."""

    model_config = _CFG

    control: ControlId
    status: Status
    reduces: Axis | None = Field(default=None, description="override the catalogue's default axis")
    note: SafeText = ""


class PlannedControlRef(ControlRef):
    """A control in the treatment plan; status tracks progress (default 'planned')."""

    status: Status = "planned"


class Acceptance(BaseModel):
    """Formal acceptance of a risk by the person with the authority to accept it."""

    model_config = _CFG

    approved_by: SafeText = Field(min_length=1)
    date: dt.date
    expiry: dt.date
    justification: SafeText = Field(min_length=1)

    @model_validator(mode="after")
    def _expiry_after_date(self) -> Acceptance:
        if self.expiry <= self.date:
            raise ValueError("acceptance expiry must be after its date")
        return self


class LevelPair(BaseModel):
    """A likelihood and impact pair (used for an owner's declared residual assessment)."""

    model_config = _CFG

    likelihood: LevelRef
    impact: LevelRef


class Risk(BaseModel):
    model_config = _CFG

    id: ItemId
    title: SafeText = Field(min_length=1)
    description: SafeText = ""
    assets: tuple[ItemId, ...] = ()
    threat: SafeText = ""
    vulnerability: SafeText = ""
    owner: SafeText | None = None
    likelihood: LevelRef
    impact: LevelRef
    existing_controls: tuple[ControlRef, ...] = ()
    planned_controls: tuple[PlannedControlRef, ...] = ()
    treatment: Treatment = "mitigate"
    acceptance: Acceptance | None = None
    next_review: dt.date | None = None
    residual: LevelPair | None = Field(
        default=None, description="owner's declared residual assessment; overrides the computed residual"
    )

    @field_validator("owner")
    @classmethod
    def _blank_owner_is_none(cls, v: str | None) -> str | None:
        return v or None


class SoaEntry(BaseModel):
    """A Statement of Applicability decision for one Annex A control."""

    model_config = _CFG

    control: ControlId
    applicable: bool
    justification: SafeText = ""
    status: Status | None = None

    @model_validator(mode="after")
    def _excluded_needs_reason(self) -> SoaEntry:
        if not self.applicable and not self.justification:
            raise ValueError(f"{self.control} is excluded (applicable: false) without a justification")
        return self


@dataclass(frozen=True)
class Origin:
    """Where a register came from, so that later checks (the matrix) can name file and line.

    ``files`` maps a section (``risks``, ``assets``, ``soa``, ``""`` for the rest) to the file
    label shown in messages; ``line_of`` maps a location such as ``("risks", 3, "impact")`` to
    a line (YAML) or row number (CSV, XLSX).
    """

    files: dict[str, str] = field(default_factory=dict)
    line_of: Callable[[Sequence[str | int]], int | None] | None = None
    base_dir: Path | None = None
    tabular: bool = False

    def field(self, loc: Sequence[str | int]) -> str:
        """The field name to show: a column name for CSV/XLSX rows, else a path like ``risks[3].impact``."""
        if self.tabular and len(loc) > 2 and isinstance(loc[1], int):
            rest = [str(p) for p in loc[2:] if not isinstance(p, int)]
            if rest[0] in ("acceptance", "residual") and len(rest) > 1:
                return f"{rest[0]}_{rest[1]}"
            return rest[-1] if rest[0] == "classification" else rest[0]
        return format_loc(loc)

    def locate(self, loc: Sequence[str | int]) -> tuple[str | None, int | None]:
        section = str(loc[0]) if loc else ""
        file = self.files.get(section) or self.files.get("")
        return file, (self.line_of(loc) if self.line_of else None)


class Register(BaseModel):
    """A validated risk register."""

    model_config = _CFG

    schema_version: Literal[1] = 1
    name: SafeText = "Risk register"
    organisation: SafeText = ""
    appetite: str | None = Field(
        default=None, description="highest acceptable risk level (a matrix level name)"
    )
    matrix: str | None = Field(
        default=None, description="shipped matrix name or path, relative to the register"
    )
    control_effect: ControlEffect | None = Field(
        default=None, description="overrides the matrix's control effect"
    )
    assets: tuple[Asset, ...] = ()
    risks: tuple[Risk, ...] = ()
    soa: tuple[SoaEntry, ...] = ()

    _origin: Origin = PrivateAttr(default_factory=Origin)

    @property
    def origin(self) -> Origin:
        return self._origin

    def with_origin(self, origin: Origin) -> Register:
        self._origin = origin
        return self
