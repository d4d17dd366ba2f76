"""The clinic benchmarks run in a tiny mode so that they do not rot (figures: bench/practice-audit*.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("practice_audit.py", ["--clinics", "6", "--threads", "2"], "export"),
        ("practice_audit_web.py", ["--smoke"], "p50"),
    ],
)
def test_clinic_benchmarks_run_in_smoke_mode(script: str, args: list[str], expected: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert expected in proc.stdout.lower()
