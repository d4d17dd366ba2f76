"""Write the full set of register outputs to a folder (used by ``sectool demo`` and playbooks)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sectool.fileio import atomic_write_text
from sectool.iso27001.heatmap import heatmap_svg
from sectool.iso27001.load import load_register
from sectool.iso27001.render import score_markdown
from sectool.iso27001.scoring import matrix_for, score_register
from sectool.iso27001.soa import build_soa
from sectool.iso27001.soa_export import SoaFormat, write_soa

__all__ = ["write_outputs"]


def write_outputs(
    register_path: str | Path,
    out_dir: str | Path,
    *,
    as_of: dt.date,
    matrix: str | Path | None = None,
) -> list[Path]:
    """Score ``register_path`` and write, atomically, into ``out_dir``:

    ``risk-register.json`` (the stable JSON shape), ``risk-register.md`` and
    ``risk-register.da.md``, ``heatmap.svg``, ``soa.csv``, ``soa.xlsx``, ``soa.md``, ``soa.html``.

    Returns:
        The written paths, in that order.
    """
    register = load_register(register_path)
    scored = score_register(register, matrix_for(register, matrix), as_of=as_of)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(name: str, text: str) -> None:
        atomic_write_text(out / name, text)
        written.append(out / name)

    put("risk-register.json", json.dumps(scored.to_dict(), ensure_ascii=False, indent=2) + "\n")
    put("risk-register.md", score_markdown(scored, lang="en"))
    put("risk-register.da.md", score_markdown(scored, lang="da"))
    put("heatmap.svg", heatmap_svg(scored))
    rows = build_soa(register, scored=scored)
    formats: tuple[SoaFormat, ...] = ("csv", "xlsx", "md", "html")
    for fmt in formats:
        path = out / f"soa.{fmt}"
        write_soa(rows, register, fmt, path)
        written.append(path)
    return written
