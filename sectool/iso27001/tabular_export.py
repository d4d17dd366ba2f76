"""A register as tables: the CSV/XLSX form of a register (for ``sectool risk convert``).

The inverse of :mod:`sectool.iso27001.tabular`: loading what :func:`to_tables` produces gives
the same register, except the free-text ``note`` of control references (YAML only).
:func:`write_tables` writes CSV files (the risks file plus its siblings) or one XLSX
workbook, with formula injection neutralised.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.fileio import write_csv, write_xlsx
from sectool.iso27001.model import Register
from sectool.iso27001.tabular import ASSET_COLUMNS, REGISTER_COLUMNS, RISK_COLUMNS, SOA_COLUMNS, csv_siblings

__all__ = ["to_tables", "write_tables"]

Tables = dict[str, tuple[list[str], list[list[Any]]]]


def _level(value: Any) -> Any:
    return "" if value is None else value


def _control_cell(refs: Sequence[Any]) -> str:
    return "; ".join(":".join([r.control, r.status, *([r.reduces] if r.reduces else [])]) for r in refs)


def to_tables(register: Register) -> Tables:
    """``{"risks"|"assets"|"soa"|"register": (header, rows)}``, the CSV/XLSX form of ``register``."""
    risks = []
    for r in register.risks:
        acc = r.acceptance
        risks.append(
            [
                r.id,
                r.title,
                r.description,
                "; ".join(r.assets),
                r.threat,
                r.vulnerability,
                r.owner or "",
                r.likelihood,
                r.impact,
                _control_cell(r.existing_controls),
                _control_cell(r.planned_controls),
                r.treatment,
                acc.approved_by if acc else "",
                acc.date.isoformat() if acc else "",
                acc.expiry.isoformat() if acc else "",
                acc.justification if acc else "",
                r.next_review.isoformat() if r.next_review else "",
                _level(r.residual.likelihood if r.residual else None),
                _level(r.residual.impact if r.residual else None),
            ]
        )
    assets = []
    for a in register.assets:
        c = a.classification
        assets.append(
            [
                a.id,
                a.name,
                a.owner or "",
                a.description,
                "; ".join(a.data_categories),
                _level(c.confidentiality if c else None),
                _level(c.integrity if c else None),
                _level(c.availability if c else None),
            ]
        )
    soa = [
        [e.control, "yes" if e.applicable else "no", e.justification, e.status or ""] for e in register.soa
    ]
    meta: list[list[Any]] = [["name", register.name], ["organisation", register.organisation]]
    if register.appetite:
        meta.append(["appetite", register.appetite])
    if register.matrix:
        meta.append(["matrix", register.matrix])
    if register.control_effect is not None:
        meta += [
            [f"control_effect.{k}", v]
            for k, v in register.control_effect.model_dump(exclude_unset=True).items()
        ]
    return {
        "risks": (list(RISK_COLUMNS), risks),
        "assets": (list(ASSET_COLUMNS), assets),
        "soa": (list(SOA_COLUMNS), soa),
        "register": (list(REGISTER_COLUMNS), meta),
    }


def write_tables(register: Register, path: str | Path) -> list[Path]:
    """Write ``register`` as CSV (``NAME.csv`` plus ``NAME.assets.csv``, ``NAME.soa.csv``,
    ``NAME.register.csv``) or as one XLSX workbook, by the suffix of ``path``."""
    p = Path(path)
    tables = to_tables(register)
    if p.suffix.lower() == ".xlsx":
        write_xlsx(p, {name: (header, rows) for name, (header, rows) in tables.items()})
        return [p]
    if p.suffix.lower() != ".csv":
        raise InputError("unsupported output format", file=p, value=p.suffix, expected=".csv or .xlsx")
    assets, soa, meta = csv_siblings(p)
    written = []
    for target, name in ((p, "risks"), (assets, "assets"), (soa, "soa"), (meta, "register")):
        header, rows = tables[name]
        write_csv(target, header, rows)
        written.append(target)
    return written
