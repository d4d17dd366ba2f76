"""Load a risk register from YAML (primary), CSV or XLSX into one validated :class:`Register`.

The format follows the file suffix: ``.yml``/``.yaml``, ``.csv`` (with sibling files for
assets, SoA and register settings, see :mod:`sectool.iso27001.tabular`) or ``.xlsx``.
After schema validation the cross-references are checked (hard errors, exit code 2):
duplicate risk, asset or SoA ids, and risks naming an unknown asset. Unknown Annex A ids
are rejected by the model itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sectool.errors import InputError
from sectool.iso27001.model import Origin, Register
from sectool.yamlio import load_yaml, validate

__all__ = ["check_references", "load_register"]

_YAML = (".yml", ".yaml")


def load_register(
    path: str | Path,
    *,
    assets_path: str | Path | None = None,
    soa_path: str | Path | None = None,
) -> Register:
    """Load and validate a register; the format follows the suffix of ``path``.

    Args:
        path: the register (``.yml``/``.yaml``, ``.csv`` or ``.xlsx``).
        assets_path: CSV only: the assets file (default: ``<stem>.assets.csv`` next to ``path``).
        soa_path: CSV only: the SoA file (default: ``<stem>.soa.csv`` next to ``path``, optional).

    Raises:
        InputError: the file is missing, malformed or inconsistent (names file, line, field).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in _YAML:
        if assets_path is not None or soa_path is not None:
            raise InputError("--assets/--soa apply to CSV registers only", file=p)
        register = _load_yaml(p)
    elif suffix == ".csv":
        from sectool.iso27001.tabular import load_csv

        register = load_csv(p, assets_path=assets_path, soa_path=soa_path)
    elif suffix == ".xlsx":
        if assets_path is not None or soa_path is not None:
            raise InputError("--assets/--soa apply to CSV registers only (XLSX uses sheets)", file=p)
        from sectool.iso27001.tabular import load_xlsx

        register = load_xlsx(p)
    else:
        raise InputError(
            "unsupported register format", file=p, value=p.suffix, expected=".yml, .yaml, .csv or .xlsx"
        )
    check_references(register)
    return register


def _load_yaml(path: Path) -> Register:
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError("a register must be a mapping with 'risks', 'assets' and 'soa'", file=path, line=1)
    register = validate(Register, doc.data, doc=doc)
    return register.with_origin(Origin(files={"": str(path)}, line_of=doc.line_of, base_dir=path.parent))


def _fail(
    register: Register,
    loc: Sequence[str | int],
    message: str,
    value: object = None,
    expected: str | None = None,
) -> InputError:
    file, line = register.origin.locate(loc)
    return InputError(
        message, file=file, line=line, field=register.origin.field(loc), value=value, expected=expected
    )


def check_references(register: Register) -> None:
    """Hard errors across items: duplicate ids and unknown asset references."""
    sections = (("assets", [a.id for a in register.assets]), ("risks", [r.id for r in register.risks]))
    for section, ids in sections:
        seen: dict[str, int] = {}
        for i, item_id in enumerate(ids):
            if item_id in seen:
                _, first_line = register.origin.locate((section, seen[item_id], "id"))
                unit = "row" if register.origin.tabular else "line"
                where = f" (first at {unit} {first_line})" if first_line else ""
                raise _fail(register, (section, i, "id"), f"duplicate {section[:-1]} id{where}", item_id)
            seen[item_id] = i
    soa_seen: set[str] = set()
    for i, entry in enumerate(register.soa):
        if entry.control in soa_seen:
            raise _fail(register, ("soa", i, "control"), "duplicate SoA entry for control", entry.control)
        soa_seen.add(entry.control)
    asset_ids = sorted(a.id for a in register.assets)
    known = set(asset_ids)
    shown = ", ".join(asset_ids[:8]) + (", ..." if len(asset_ids) > 8 else "")
    expected = (
        f"an asset id from 'assets' ({shown})" if asset_ids else "an asset id (the register has no assets)"
    )
    for i, risk in enumerate(register.risks):
        for j, asset in enumerate(risk.assets):
            if asset not in known:
                raise _fail(
                    register,
                    ("risks", i, "assets", j),
                    f"risk {risk.id} names an unknown asset",
                    asset,
                    expected,
                )
