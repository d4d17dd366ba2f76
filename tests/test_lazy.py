from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["sectool.iso27001", "sectool.practice_audit", "sectool.playbook", "sectool.report"]
HEAVY = [
    "pydantic",
    "pandas",
    "numpy",
    "sqlalchemy",
    "scapy",
    "elasticsearch",
    "fastapi",
    "openpyxl",
    "weasyprint",
]


def test_the_cli_imports_nothing_heavy() -> None:
    # `sectool --help` and every scheduled run pay for what sectool.cli imports at start-up.
    code = "import sys, sectool.cli; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(proc.stdout.split())
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves_and_is_listed(package: str) -> None:
    mod = importlib.import_module(package)
    for name in mod.__all__:
        assert getattr(mod, name) is not None, name
    assert set(mod.__all__) <= set(dir(mod))


@pytest.mark.parametrize("package", PACKAGES)
def test_unknown_names_raise_attribute_error(package: str) -> None:
    mod = importlib.import_module(package)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = mod.no_such_name


def test_a_resolved_name_is_cached_in_the_package() -> None:
    mod = importlib.import_module("sectool.iso27001")
    first = mod.load_register
    assert vars(mod)["load_register"] is first
