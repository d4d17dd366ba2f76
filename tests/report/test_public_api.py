from __future__ import annotations

import importlib
import subprocess
import sys

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
