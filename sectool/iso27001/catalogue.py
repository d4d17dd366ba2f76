"""The ISO/IEC 27001:2022 Annex A catalogue: 93 controls with English and Danish titles.

The catalogue is package data (``data/annex_a_2022.yml``), loaded once and validated
strictly: ids unique, well-formed and in Annex A order, and the count per theme must be
the published one (organisational 37, people 8, physical 14, technological 34).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sectool.yamlio import load_yaml, parse_yaml, validate

__all__ = [
    "CATALOGUE_FILE",
    "THEME_COUNTS",
    "Axis",
    "Catalogue",
    "CatalogueFile",
    "Control",
    "Theme",
    "load_catalogue",
]

Theme = Literal["organisational", "people", "physical", "technological"]
Axis = Literal["likelihood", "impact"]

#: Published number of controls per theme (ISO/IEC 27001:2022 Annex A).
THEME_COUNTS: dict[str, int] = {"organisational": 37, "people": 8, "physical": 14, "technological": 34}
_THEME_OF_CLAUSE = {5: "organisational", 6: "people", 7: "physical", 8: "technological"}
_ID_RE = re.compile(r"^A\.([5-8])\.([1-9][0-9]?)$")

CATALOGUE_FILE = "annex_a_2022.yml"


class Control(BaseModel):
    """One Annex A control."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Annex A reference, e.g. 'A.5.15'")
    theme: Theme
    reduces: Axis = Field(description="default axis the control lowers when a risk is scored")
    en: str = Field(min_length=1, description="English title")
    da: str = Field(min_length=1, description="Danish title")

    @field_validator("id")
    @classmethod
    def _id_format(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError("control id must look like A.5.1 ... A.8.34")
        return v

    @model_validator(mode="after")
    def _theme_matches_clause(self) -> Control:
        clause = int(self.id.split(".")[1])
        if _THEME_OF_CLAUSE[clause] != self.theme:
            raise ValueError(f"{self.id} belongs to theme '{_THEME_OF_CLAUSE[clause]}', not '{self.theme}'")
        return self

    @property
    def sort_key(self) -> tuple[int, int]:
        _, clause, num = self.id.split(".")
        return int(clause), int(num)

    def title(self, lang: str = "en") -> str:
        """Title in ``lang`` ('en' or 'da')."""
        return self.da if lang == "da" else self.en


class CatalogueFile(BaseModel):
    """The catalogue data file, validated as a whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    controls: tuple[Control, ...]

    @model_validator(mode="after")
    def _complete(self) -> CatalogueFile:
        ids = [c.id for c in self.controls]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate control ids: {', '.join(dupes)}")
        counts: Counter[str] = Counter(str(c.theme) for c in self.controls)
        for theme, expected in THEME_COUNTS.items():
            if counts.get(theme, 0) != expected:
                raise ValueError(f"theme '{theme}' has {counts.get(theme, 0)} controls, expected {expected}")
        keys = [c.sort_key for c in self.controls]
        if keys != sorted(keys):
            raise ValueError("controls must be listed in Annex A order")
        # Numbering inside each clause must be contiguous 1..n, so no control is silently missing.
        for clause in (5, 6, 7, 8):
            nums = [n for c, n in keys if c == clause]
            if nums != list(range(1, len(nums) + 1)):
                raise ValueError(f"clause A.{clause} is not numbered 1..{len(nums)}")
        return self


class Catalogue:
    """All 93 Annex A controls in Annex A order, with lookup by id (immutable)."""

    __slots__ = ("_index", "controls")

    def __init__(self, controls: tuple[Control, ...]) -> None:
        self.controls = controls
        self._index = {c.id: c for c in controls}

    def __iter__(self) -> Iterator[Control]:
        return iter(self.controls)

    def __len__(self) -> int:
        return len(self.controls)

    def __contains__(self, control_id: object) -> bool:
        return control_id in self._index

    def __getitem__(self, control_id: str) -> Control:
        return self._index[control_id]

    def get(self, control_id: str) -> Control | None:
        return self._index.get(control_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.controls)


def _parse(path: Path | None) -> Catalogue:
    if path is None:
        text = resources.files("sectool.iso27001").joinpath("data", CATALOGUE_FILE).read_text("utf-8")
        doc = parse_yaml(text, file=f"sectool/iso27001/data/{CATALOGUE_FILE}")
    else:
        doc = load_yaml(path)
    return Catalogue(validate(CatalogueFile, doc.data, doc=doc).controls)


@lru_cache(maxsize=1)
def _shipped() -> Catalogue:
    return _parse(None)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The Annex A catalogue: the shipped one (loaded once, cached) or one from ``path``."""
    if path is None:
        return _shipped()
    return _parse(Path(path))
