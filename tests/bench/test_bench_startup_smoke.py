"""bench/bench_startup.py: its parsing of ``-X importtime`` and its smoke mode (before and after)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_smoke_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


REPORT = """\
import time: self [us] | cumulative | imported package
import time:       120 |        120 |   _io
import time:      1000 |       1500 | site
import time:       200 |        200 |     typer._click
import time:      3000 |       3200 |   typer
import time:       500 |       4000 | sectool.cli
warning: something unrelated on stderr
import time:      2000 |       2000 | pydantic.plugin._loader
"""


@pytest.mark.parametrize(
    ("text", "seconds", "modules"),
    [
        (REPORT, 0.0075, {"_io", "site", "typer._click", "typer", "sectool.cli", "pydantic.plugin._loader"}),
        ("import time:        7 |          7 | a\n", 7e-6, {"a"}),
        ("import time:        7 |          9 |   nested.only\n", 0.0, {"nested.only"}),
    ],
)
def test_parse_sums_the_top_level_cumulative_times(text: str, seconds: float, modules: set[str]) -> None:
    total, names = load("bench_startup").parse_importtime(text)
    assert total == pytest.approx(seconds)
    assert names == modules


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Traceback (most recent call last):\n  ...\nImportError: boom\n",
        "import time: self [us] | cumulative | imported package\n",
        "import time: twelve | 3 | x\n",
    ],
)
def test_parse_refuses_a_report_without_import_lines(text: str) -> None:
    with pytest.raises(ValueError, match="no '-X importtime' lines"):
        load("bench_startup").parse_importtime(text)


def test_heavy_libraries_are_named_by_their_top_package() -> None:
    bench = load("bench_startup")
    modules = frozenset({"pandas.core.frame", "numpy", "sectool.traffic.cli", "rich.console", "pandas"})
    assert bench.heavy_loaded(modules) == ["pandas", "numpy", "rich"]
    assert bench.heavy_loaded(frozenset({"pandas_extra", "sectool"})) == []


@pytest.mark.parametrize(
    ("name", "code", "stderr", "ok"),
    [
        ("sectool --help", 0, "", True),
        ("sectool --help", 1, "internal error", False),
        ("sectool traffic detect (to first read)", 2, "error: x: event file not found", True),
        ("sectool traffic detect (to first read)", 2, "error: unknown detector", False),
        ("sectool traffic detect (to first read)", 0, "event file not found", False),
    ],
)
def test_a_command_must_end_as_its_measurement_assumes(name: str, code: int, stderr: str, ok: bool) -> None:
    bench = load("bench_startup")
    if ok:
        bench.check_outcome(name, code, stderr)
    else:
        with pytest.raises(RuntimeError, match=f"exit {code}, expected"):
            bench.check_outcome(name, code, stderr)


def test_export_tree_writes_the_commit_once(tmp_path: Path) -> None:
    bench = load("bench_startup")
    tree = bench.export_tree("HEAD", tmp_path)
    assert (tree / "sectool" / "cli.py").is_file()
    assert bench.export_tree("HEAD", tmp_path) == tree
    assert [p.name for p in tmp_path.iterdir()] == [tree.name]  # no half-written folder left
    with pytest.raises(subprocess.CalledProcessError):
        bench.export_tree("no-such-commit-xyz", tmp_path)


def test_smoke_measures_before_and_after(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = load("bench_startup")
    out_json = tmp_path / "startup.json"
    argv = ["--smoke", "--before", "HEAD", "--workdir", str(tmp_path / "trees"), "--json", str(out_json)]
    assert bench.main(argv) == 0
    printed = capsys.readouterr().out
    for name in bench.COMMANDS:
        assert name in printed
    assert "before = HEAD" in printed
    results = json.loads(out_json.read_text())["results"]
    for per_tree in results.values():
        assert set(per_tree) == {"before", "after"}
        for figures in per_tree.values():
            assert 0 < figures["import_s"] < 30
            assert figures["modules"] > 50
    assert "pandas" not in results["sectool traffic detect (to first read)"]["after"]["heavy"]
