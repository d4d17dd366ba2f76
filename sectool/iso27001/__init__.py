"""ISO/IEC 27001:2022 risk register: Annex A catalogue, register, matrix, scoring, SoA.

Public API (everything else is internal)::

    from sectool.iso27001 import load_register, load_matrix, score_register, build_soa
    register = load_register("register.yml")            # or .csv / .xlsx
    scored = score_register(register, load_matrix(), as_of=date(2026, 12, 1))
    scored.to_dict()                                     # stable JSON shape (schema_version 1)
    build_soa(register, scored=scored)                   # 93 SoaRow
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sectool._lazy import lazy_exports

if TYPE_CHECKING:  # real types for type checkers; at run time the names load on first use
    from sectool.iso27001.catalogue import Catalogue, Control, load_catalogue
    from sectool.iso27001.findings import Finding
    from sectool.iso27001.load import load_register
    from sectool.iso27001.matrix import ControlEffect, RiskMatrix, load_matrix
    from sectool.iso27001.model import Asset, Register, Risk
    from sectool.iso27001.outputs import write_outputs
    from sectool.iso27001.scoring import ScoredRegister, ScoredRisk, Tier, matrix_for, score_register
    from sectool.iso27001.serialise import SCHEMA_VERSION
    from sectool.iso27001.soa import SoaRow, build_soa

__all__ = [
    "EXAMPLE_AS_OF",
    "EXAMPLE_REGISTER",
    "SCHEMA_VERSION",
    "Asset",
    "Catalogue",
    "Control",
    "ControlEffect",
    "Finding",
    "Register",
    "Risk",
    "RiskMatrix",
    "ScoredRegister",
    "ScoredRisk",
    "SoaRow",
    "Tier",
    "build_soa",
    "load_catalogue",
    "load_matrix",
    "load_register",
    "matrix_for",
    "score_register",
    "write_outputs",
]

#: The shipped example register (a central Danish health IT operator).
EXAMPLE_REGISTER: Path = Path(
    str(resources.files("sectool.iso27001").joinpath("data", "example_register.yml"))
)
#: The date the example is written against: it then shows an expired acceptance and an overdue review.
EXAMPLE_AS_OF: dt.date = dt.date(2026, 12, 1)

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(["Catalogue", "Control", "load_catalogue"], "catalogue"),
        "Finding": "findings",
        "load_register": "load",
        **dict.fromkeys(["ControlEffect", "RiskMatrix", "load_matrix"], "matrix"),
        **dict.fromkeys(["Asset", "Register", "Risk"], "model"),
        "write_outputs": "outputs",
        **dict.fromkeys(["ScoredRegister", "ScoredRisk", "Tier", "matrix_for", "score_register"], "scoring"),
        "SCHEMA_VERSION": "serialise",
        **dict.fromkeys(["SoaRow", "build_soa"], "soa"),
    },
)
