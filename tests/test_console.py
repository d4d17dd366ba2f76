"""The shared consoles are made on first use: importing sectool.console imports no rich."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sectool.console as console


def _run(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return proc.stdout.strip()


def test_importing_the_module_does_not_import_rich() -> None:
    code = (
        "import sys, sectool.console as c\n"
        "before = 'rich' in sys.modules\n"
        "c.err\n"
        "print(before, 'rich.console' in sys.modules)\n"
    )
    assert _run(code) == "False True"


def test_from_import_makes_the_console() -> None:
    code = "from sectool.console import out\nprint(type(out).__name__, out.stderr)\n"
    assert _run(code) == "Console False"


@pytest.mark.parametrize(("name", "stderr"), [("out", False), ("err", True)])
def test_each_console_is_made_once_for_its_stream(name: str, stderr: bool) -> None:
    first = getattr(console, name)
    assert getattr(console, name) is first
    assert first.stderr is stderr
    assert vars(console)[name] is first  # cached in the module: no __getattr__ on later uses


@pytest.mark.parametrize(("name", "stream"), [("out", "out"), ("err", "err")])
def test_values_are_printed_as_written(name: str, stream: str, capsys: pytest.CaptureFixture[str]) -> None:
    # emoji=False: ":smile:" in a hostile value stays text.
    getattr(console, name).print("x:smile: done", markup=False, highlight=False)
    captured = capsys.readouterr()
    assert getattr(captured, stream) == "x:smile: done\n"


@pytest.mark.parametrize("name", ["console", "Console", "progress", "_out", ""])
def test_other_names_do_not_exist(name: str) -> None:
    with pytest.raises(AttributeError, match=f"has no attribute '{name}'"):
        getattr(console, name)


def test_progress_only_on_a_terminal() -> None:
    assert console.progress_enabled() is False  # pytest captures stderr: not a terminal
