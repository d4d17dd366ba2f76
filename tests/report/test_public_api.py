from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("package", ["sectool.report", "sectool.playbook"])
def test_exports_resolve(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    with pytest.raises(AttributeError):
        module.nothing_here  # noqa: B018


def test_cli_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys, sectool.cli\n"
        "names = ('weasyprint', 'sectool.report.render_html', 'sectool.report.forum',\n"
        "         'sectool.playbook.runner')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("package", ["sectool.report", "sectool.playbook"])
def test_exports_are_typed_for_type_checkers(package: str) -> None:
    """Every lazy export is also imported under ``if TYPE_CHECKING:`` (else mypy sees ``Any``),
    from the module the lazy lookup uses."""
    import ast

    module = importlib.import_module(package)
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    typed.update({a.name: stmt.module for a in stmt.names})
    assert typed == {name: module._WHERE[name] for name in module.__all__}
