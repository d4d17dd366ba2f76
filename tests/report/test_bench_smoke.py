from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench" / "bench_report.py"


def test_bench_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_report", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "build numbers" in out
    assert "build with   2,000 findings" in out


@pytest.mark.slow
def test_large_input_renders_every_format(tmp_path: Path) -> None:
    """The issue's large input: 500 clinics, 200 risks, 50,000 findings, every format, both languages."""
    import json

    from sectool.report.build import build_report
    from sectool.report.indicators import load_config
    from sectool.report.model import parse_period
    from sectool.report.sample import sample_data
    from sectool.report.writer import write_report

    data = sample_data(period=parse_period("2026-Q4"), clinics=500, risks=200, findings=50_000)
    paths = write_report(build_report(data, load_config()), tmp_path)
    assert len(paths) == 7
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["traffic"]["total"] == 50_000
    assert report["risk"]["total"] == 200
    assert report["practice"]["invited"] == 500
    assert (tmp_path / "report.da.pdf").stat().st_size > 10_000
