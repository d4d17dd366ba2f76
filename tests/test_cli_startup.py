"""Start-up cost cannot creep back: what each quick command may not import (issue 13).

Each case runs in a fresh ``python -X importtime`` process and checks ``sys.modules`` after the
command; no timing is asserted (the machine is shared), ``bench/bench_startup.py`` measures it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Never at start-up: the data and Elasticsearch stack loads when a command reads or sends data.
DATA_STACK = ("pandas", "pyarrow", "numpy", "elasticsearch")
#: Not for help either: Typer's coercion (pydantic) and the sub-apps a help page does not show.
HELP_EXTRA = ("pydantic", "sectool.iso27001.cli", "sectool.practice_audit.cli", "sectool.report.cli")
_MISSING = "/nonexistent/sectool-startup-test/events.parquet"
_RANGE = ["--since", "2026-03-03T00:00:00Z", "--until", "2026-03-04T00:00:00Z"]

CASES = [
    pytest.param(None, 0, (*DATA_STACK, *HELP_EXTRA, "sectool.traffic.cli", "rich"), id="import sectool.cli"),
    pytest.param(["--help"], 0, (*DATA_STACK, *HELP_EXTRA, "sectool.traffic.cli"), id="sectool --help"),
    pytest.param(["--version"], 0, (*DATA_STACK, *HELP_EXTRA, "sectool.traffic.cli", "rich"), id="--version"),
    pytest.param(["traffic", "detect", "--help"], 0, (*DATA_STACK, *HELP_EXTRA), id="traffic detect --help"),
    pytest.param(["traffic", "ingest", "--help"], 0, (*DATA_STACK, *HELP_EXTRA), id="traffic ingest --help"),
    pytest.param(
        ["traffic", "detect", "--from", _MISSING, *_RANGE],
        2,
        (*DATA_STACK, "sectool.iso27001.cli", "sectool.report.cli"),
        id="traffic detect up to its first read",
    ),
]


def _modules_after(argv: list[str] | None) -> tuple[int, set[str], str]:
    """Exit code, ``sys.modules`` and stderr of a fresh ``-X importtime`` process."""
    run = "code = 0\n" if argv is None else f"code = main({argv!r})\n"
    code = (
        "import json, sys\n"
        "from sectool.cli import main\n"
        f"{run}"
        "print('@@' + json.dumps([code, sorted(sys.modules)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    marked = [line for line in proc.stdout.splitlines() if line.startswith("@@")]
    assert marked, proc.stderr[-2000:]
    exit_code, modules = json.loads(marked[-1][2:])
    messages = "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("import time:"))
    return exit_code, set(modules), messages


def _loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


@pytest.mark.parametrize(("argv", "exit_code", "forbidden"), CASES)
def test_quick_commands_do_not_import_heavy_modules(
    argv: list[str] | None, exit_code: int, forbidden: tuple[str, ...]
) -> None:
    code, modules, messages = _modules_after(argv)
    assert code == exit_code, messages
    if exit_code == 2:  # the measurement's premise: it stopped at the missing events file
        assert "event file not found" in messages
    pulled = [name for name in forbidden if _loaded(modules, name)]
    assert not pulled, f"{argv}: imported {pulled}"


def test_the_guard_sees_an_import() -> None:
    # The check above would pass vacuously if _modules_after saw nothing: a detect run up to its
    # first read does import the traffic sub-app, the detector config and pydantic.
    _, modules, _ = _modules_after(["traffic", "detect", "--from", _MISSING, *_RANGE])
    for name in ("sectool.traffic.cli", "sectool.traffic.detect.config", "pydantic", "rich"):
        assert _loaded(modules, name), name
