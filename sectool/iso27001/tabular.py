"""CSV and XLSX registers: one row per risk, assets (and SoA, settings) in a second table.

CSV: the risks file ``NAME.csv`` (or ``NAME.risks.csv``) has siblings ``NAME.assets.csv``
(required; ``--assets`` points elsewhere), ``NAME.soa.csv`` (optional; ``--soa``) and
``NAME.register.csv`` (optional ``key,value`` rows: name, organisation, appetite, matrix,
control_effect.<status>, control_effect.max_reduction). Comma or semicolon delimited
(Danish spreadsheets export with ``;``), UTF-8 with or without BOM.

XLSX: sheets ``risks`` and ``assets`` (required), ``soa`` and ``register`` (optional), each
with a header row. Errors name ``file`` (``file[sheet]`` for XLSX), the row number (the
header is row 1), the column and the bad value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sectool.errors import InputError
from sectool.iso27001.model import Asset, Origin, Register, Risk, SoaEntry
from sectool.yamlio import MAX_BYTES, read_text

__all__ = [
    "ASSET_COLUMNS",
    "REGISTER_KEYS",
    "RISK_COLUMNS",
    "SOA_COLUMNS",
    "csv_siblings",
    "load_csv",
    "load_xlsx",
]

#: column -> required. Order is the documented (and exported) column order.
RISK_COLUMNS: dict[str, bool] = {
    "id": True,
    "title": True,
    "description": False,
    "assets": False,
    "threat": False,
    "vulnerability": False,
    "owner": False,
    "likelihood": True,
    "impact": True,
    "existing_controls": False,
    "planned_controls": False,
    "treatment": False,
    "acceptance_approved_by": False,
    "acceptance_date": False,
    "acceptance_expiry": False,
    "acceptance_justification": False,
    "next_review": False,
    "residual_likelihood": False,
    "residual_impact": False,
}
ASSET_COLUMNS: dict[str, bool] = {
    "id": True,
    "name": True,
    "owner": False,
    "description": False,
    "data_categories": False,
    "confidentiality": False,
    "integrity": False,
    "availability": False,
}
SOA_COLUMNS: dict[str, bool] = {"control": True, "applicable": True, "justification": False, "status": False}
REGISTER_COLUMNS: dict[str, bool] = {"key": True, "value": True}
REGISTER_KEYS: tuple[str, ...] = (
    "name",
    "organisation",
    "appetite",
    "matrix",
    "control_effect.implemented",
    "control_effect.partially",
    "control_effect.planned",
    "control_effect.not_implemented",
    "control_effect.max_reduction",
)

_LIST_SPLIT = re.compile(r"[;,\n]")
_BOOL_WORDS = {"ja": True, "nej": False}


@dataclass(frozen=True)
class _Table:
    """One table: a label for messages, and (row number, {column: value}) per non-empty row."""

    label: str
    rows: list[tuple[int, dict[str, Any]]]


# -- reading CSV and XLSX into tables ------------------------------------------------------------------


def csv_siblings(path: Path) -> tuple[Path, Path, Path]:
    """Default ``(assets, soa, register)`` files for the risks CSV ``path``."""
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    if stem.lower().endswith(".risks"):
        stem = stem[: -len(".risks")]
    return (
        path.with_name(f"{stem}.assets.csv"),
        path.with_name(f"{stem}.soa.csv"),
        path.with_name(f"{stem}.register.csv"),
    )


def _read_csv(path: Path, columns: dict[str, bool]) -> _Table:
    text = read_text(path)
    if not text.strip():
        raise InputError("file is empty", file=path, expected="a header row: " + ", ".join(columns))
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        names = _header(header, columns, str(path))
        rows: list[tuple[int, dict[str, Any]]] = []
        start = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(record) > len(names):
                    raise InputError(
                        f"row has {len(record)} cells but the header has {len(names)}", file=path, line=start
                    )
                rows.append((start, dict(zip(names, record, strict=False))))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"invalid CSV: {exc}", file=path, line=reader.line_num) from None
    return _Table(str(path), rows)


def _header(cells: Sequence[Any], columns: dict[str, bool], label: str) -> list[str]:
    names = [str(c).strip().lower().replace(" ", "_") if c is not None else "" for c in cells]
    while names and not names[-1]:
        names.pop()
    expected = ", ".join(columns)
    for name in names:
        if name not in columns:
            raise InputError("unknown column", file=label, line=1, value=name, expected=f"columns {expected}")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError("duplicate column", file=label, line=1, value=dupes[0])
    missing = [c for c, required in columns.items() if required and c not in names]
    if missing:
        raise InputError(
            f"missing column '{missing[0]}'",
            file=label,
            line=1,
            field=missing[0],
            expected="required columns " + ", ".join(c for c, r in columns.items() if r),
        )
    return names


def _open_workbook(path: Path) -> Any:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    if size == 0:
        raise InputError("file is empty", file=path, expected="an XLSX workbook")
    if size > MAX_BYTES:
        raise InputError(
            f"file is too large ({size} bytes)", file=path, expected=f"at most {MAX_BYTES} bytes"
        )
    try:
        # data_only=False: a formula cell comes back as its formula (data type "f"), so it can
        # be reported as such; with cached values a never-recalculated workbook has none.
        return load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})", file=path) from None


def _read_sheet(
    wb: Any, path: Path, sheet: str, columns: dict[str, bool], *, required: bool
) -> _Table | None:
    names = {str(n).strip().lower(): n for n in wb.sheetnames}
    if sheet not in names:
        if not required:
            return None
        raise InputError(
            f"missing sheet '{sheet}'",
            file=path,
            value=", ".join(wb.sheetnames),
            expected="sheets 'risks' and 'assets' (optional 'soa', 'register')",
        )
    label = f"{path}[{sheet}]"
    it = wb[names[sheet]].iter_rows()
    first = next(it, None)
    header = None if first is None else tuple(c.value for c in first)
    if header is None or not any(c is not None and str(c).strip() for c in header):
        raise InputError(
            f"sheet '{sheet}' is empty", file=path, expected="a header row: " + ", ".join(columns)
        )
    cols = _header(header, columns, label)
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(it, start=2):
        values = tuple(c.value for c in cells)
        _no_formula(cells, cols, label, number)
        if not any(v is not None and str(v).strip() for v in values):
            continue
        extra = [v for v in values[len(cols) :] if v is not None and str(v).strip()]
        if extra:
            raise InputError("value in a column without a header", file=label, line=number, value=extra[0])
        rows.append((number, {c: _cell(v) for c, v in zip(cols, values, strict=False) if c}))
    return _Table(label, rows)


def _no_formula(cells: tuple[Any, ...], cols: list[str], label: str, number: int) -> None:
    """Refuse a formula cell: the register holds values, and the formula's result is unknown here."""
    from openpyxl.utils import get_column_letter

    for index, cell in enumerate(cells):
        if getattr(cell, "data_type", None) == "f":
            name = cols[index] if index < len(cols) and cols[index] else None
            letter = get_column_letter(index + 1)
            formula = str(cell.value)
            shown = formula if len(formula) <= 60 else formula[:57] + "..."
            raise InputError(
                f"cell {letter}{number} holds a formula ({shown}); enter the value",
                file=label,
                line=number,
                field=name or f"column {letter}",
                expected="a plain value (copy the cell and paste it as values)",
            )


def _cell(value: Any) -> Any:
    """Spreadsheet cell -> plain value (dates as dates, whole floats as ints)."""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# -- rows into models -------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        # Undo the quote that formula neutralisation (ours and spreadsheets') puts in front.
        if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
            value = value[1:]
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Spreadsheet numbers become text: an id typed as 17 is the id "17"; levels and
        # control-effect weights are parsed from text by the model and the matrix anyway.
        return str(value)
    return value


def _split(value: Any) -> list[str]:
    return [p.strip() for p in _LIST_SPLIT.split(str(value)) if p.strip()]


def _controls(value: Any, label: str, line: int, column: str) -> list[dict[str, str]]:
    out = []
    for item in _split(value):
        parts = [p.strip() for p in item.split(":")]
        if len(parts) > 3 or not all(parts):
            raise InputError(
                "malformed control reference",
                file=label,
                line=line,
                field=column,
                value=item,
                expected="A.x.y[:status[:likelihood|impact]], separated by ';'",
            )
        ref = {"control": parts[0]}
        if len(parts) > 1:
            ref["status"] = parts[1].lower().replace(" ", "_")
        if len(parts) > 2:
            ref["reduces"] = parts[2].lower()
        out.append(ref)
    return out


def _risk_data(row: dict[str, Any], label: str, line: int) -> dict[str, Any]:
    d: dict[str, Any] = {}
    acceptance: dict[str, Any] = {}
    residual: dict[str, Any] = {}
    for column, raw in row.items():
        value = _clean(raw)
        if value is None:
            continue
        if column == "assets":
            d["assets"] = _split(value)
        elif column in ("existing_controls", "planned_controls"):
            d[column] = _controls(value, label, line, column)
        elif column.startswith("acceptance_"):
            acceptance[column[len("acceptance_") :]] = value
        elif column.startswith("residual_"):
            residual[column[len("residual_") :]] = value
        else:
            d[column] = value
    if acceptance:
        d["acceptance"] = acceptance
    if residual:
        d["residual"] = residual
    return d


def _asset_data(row: dict[str, Any]) -> dict[str, Any]:
    d: dict[str, Any] = {}
    cia: dict[str, Any] = {}
    for column, raw in row.items():
        value = _clean(raw)
        if value is None:
            continue
        if column == "data_categories":
            d[column] = [v.lower().replace(" ", "_") for v in _split(value)]
        elif column in ("confidentiality", "integrity", "availability"):
            cia[column] = value
        else:
            d[column] = value
    if cia:
        d["classification"] = cia
    return d


def _soa_data(row: dict[str, Any]) -> dict[str, Any]:
    d = {c: v for c, raw in row.items() if (v := _clean(raw)) is not None}
    if isinstance(d.get("applicable"), str):
        d["applicable"] = _BOOL_WORDS.get(d["applicable"].lower(), d["applicable"])
    if isinstance(d.get("status"), str):
        d["status"] = d["status"].lower().replace(" ", "_")
    return d


def _column_of(loc: Sequence[str | int]) -> str:
    head = str(loc[0]) if loc else ""
    if head in ("acceptance", "residual") and len(loc) > 1:
        return f"{head}_{loc[1]}"
    if head == "classification" and len(loc) > 1:
        return str(loc[1])
    return head


def _validate_row(model: type[BaseModel], data: dict[str, Any], label: str, line: int) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = [p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        msg = str(first["msg"]).removeprefix("Value error, ")
        value = first.get("input")
        shown = value if isinstance(value, str | int | float | bool) and first["type"] != "missing" else None
        raise InputError(msg, file=label, line=line, field=_column_of(loc) or None, value=shown) from None


def _assemble(
    risks: _Table, assets: _Table, soa: _Table | None, meta: _Table | None, base_dir: Path
) -> Register:
    data: dict[str, Any] = {}
    meta_rows: dict[str, int] = {}
    if meta is not None:
        effect: dict[str, Any] = {}
        for line, row in meta.rows:
            key = str(_clean(row.get("key")) or "").lower()
            value = _clean(row.get("value"))
            if key not in REGISTER_KEYS:
                raise InputError(
                    "unknown register setting",
                    file=meta.label,
                    line=line,
                    value=key,
                    expected=", ".join(REGISTER_KEYS),
                )
            if value is None:
                continue
            if key.startswith("control_effect."):
                effect[key.split(".", 1)[1]] = value
                meta_rows["control_effect"] = line
            else:
                data[key] = str(value)
            meta_rows[key] = line
        if effect:
            data["control_effect"] = effect
    data["risks"] = [
        _validate_row(Risk, _risk_data(r, risks.label, n), risks.label, n) for n, r in risks.rows
    ]
    data["assets"] = [_validate_row(Asset, _asset_data(r), assets.label, n) for n, r in assets.rows]
    if soa is not None:
        data["soa"] = [_validate_row(SoaEntry, _soa_data(r), soa.label, n) for n, r in soa.rows]
    tables = {"risks": risks, "assets": assets, **({"soa": soa} if soa else {})}
    row_index = {name: [n for n, _ in t.rows] for name, t in tables.items()}

    def line_of(loc: Sequence[str | int]) -> int | None:
        if loc and str(loc[0]) in row_index and len(loc) > 1 and isinstance(loc[1], int):
            rows = row_index[str(loc[0])]
            return rows[loc[1]] if loc[1] < len(rows) else None
        return meta_rows.get(str(loc[0])) if loc else None

    files = {name: t.label for name, t in tables.items()}
    files[""] = meta.label if meta is not None else risks.label
    try:
        register = Register.model_validate(data)
    except ValidationError as exc:
        from sectool.yamlio import validation_error

        raise validation_error(exc, file=files[""], line_of=line_of) from None
    return register.with_origin(Origin(files=files, line_of=line_of, base_dir=base_dir, tabular=True))


def load_csv(
    path: Path, *, assets_path: str | Path | None = None, soa_path: str | Path | None = None
) -> Register:
    """Load a CSV register (risks file plus sibling assets, optional SoA and settings files)."""
    default_assets, default_soa, default_meta = csv_siblings(path)
    risks = _read_csv(path, RISK_COLUMNS)
    a_path = Path(assets_path) if assets_path is not None else default_assets
    if assets_path is None and not a_path.exists():
        raise InputError(
            "assets file not found",
            file=a_path,
            expected=f"a sibling of {path.name} named {a_path.name}, or --assets",
        )
    assets = _read_csv(a_path, ASSET_COLUMNS)
    s_path = Path(soa_path) if soa_path is not None else default_soa
    soa = _read_csv(s_path, SOA_COLUMNS) if soa_path is not None or s_path.exists() else None
    meta = _read_csv(default_meta, REGISTER_COLUMNS) if default_meta.exists() else None
    return _assemble(risks, assets, soa, meta, path.parent)


def load_xlsx(path: Path) -> Register:
    """Load an XLSX register (sheets risks, assets, optional soa and register)."""
    wb = _open_workbook(path)
    try:
        risks = _read_sheet(wb, path, "risks", RISK_COLUMNS, required=True)
        assets = _read_sheet(wb, path, "assets", ASSET_COLUMNS, required=True)
        soa = _read_sheet(wb, path, "soa", SOA_COLUMNS, required=False)
        meta = _read_sheet(wb, path, "register", REGISTER_COLUMNS, required=False)
    finally:
        wb.close()
    assert risks is not None
    assert assets is not None
    return _assemble(risks, assets, soa, meta, path.parent)
