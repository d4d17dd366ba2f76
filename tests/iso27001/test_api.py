from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path

import sectool.iso27001 as api
from sectool.iso27001 import EXAMPLE_REGISTER, load_register, matrix_for, score_register, write_outputs
from sectool.iso27001.heatmap import heatmap_svg


def test_public_api_is_complete_and_importable() -> None:
    assert sorted(api.__all__) == sorted(set(api.__all__))
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    assert EXAMPLE_REGISTER.is_file()


def test_write_outputs(tmp_path: Path, as_of: dt.date) -> None:
    paths = write_outputs(EXAMPLE_REGISTER, tmp_path / "out", as_of=as_of)
    names = [p.name for p in paths]
    assert names == [
        "risk-register.json",
        "risk-register.md",
        "risk-register.da.md",
        "heatmap.svg",
        "soa.csv",
        "soa.xlsx",
        "soa.md",
        "soa.html",
    ]
    assert all(p.stat().st_size > 0 for p in paths)
    data = json.loads(paths[0].read_text("utf-8"))
    assert data["as_of"] == as_of.isoformat()
    assert "Risici efter prioritet" in paths[2].read_text("utf-8")
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temporaries


def test_heatmap_counts_match_the_tiers(example: Path, as_of: dt.date) -> None:
    scored = score_register(load_register(example), as_of=as_of)
    for tier in ("inherent", "current", "residual"):
        grid = scored.heatmap(tier)  # type: ignore[arg-type]
        expected = Counter((s.tier(tier).likelihood, s.tier(tier).impact) for s in scored.risks)  # type: ignore[arg-type]
        for li in range(1, 6):
            for ii in range(1, 6):
                assert grid[li - 1][ii - 1] == expected.get((li, ii), 0)
    svg = heatmap_svg(scored, "da")
    assert "Iboende" in svg
    assert svg.count('stroke="#ffffff"') == 75


def test_register_matrix_path_is_relative_to_the_register(tmp_path: Path, as_of: dt.date) -> None:
    shipped = Path(api.__file__).parent / "data" / "matrix_3x3.yml"
    shutil.copy(shipped, tmp_path / "mine.yml")
    reg_path = tmp_path / "r.yml"
    reg_path.write_text(
        "matrix: mine.yml\nappetite: low\n"
        "risks:\n  - {id: R1, title: t, likelihood: high, impact: critical}\n",
        "utf-8",
    )
    register = load_register(reg_path)
    matrix = matrix_for(register)
    assert matrix.name == "3x3"
    assert matrix_for(register, "5x5").name == "5x5"
    scored = score_register(register, matrix, as_of=as_of)
    assert scored.matrix.risk_levels[scored.risks[0].inherent.level].name == "high"
