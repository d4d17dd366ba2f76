from __future__ import annotations

import subprocess
import sys

import pytest

from sectool import __version__
from sectool.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_command_is_usage_error() -> None:
    assert main(["no-such-command"]) == 2


def test_console_script_runs_as_module() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sectool", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0
    for group in ("risk", "audit", "traffic", "report"):
        assert group in proc.stdout
