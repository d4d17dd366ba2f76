"""Fixtures for the ISO 27001 tests: the shipped example, and small registers written on the fly."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from sectool.iso27001 import EXAMPLE_AS_OF, EXAMPLE_REGISTER

MINIMAL = """\
name: Test register
appetite: medium
assets:
  - {id: nsp, name: NSP}
risks:
  - id: R1
    title: Test risk
    owner: CISO
    assets: [nsp]
    likelihood: 4
    impact: 4
    next_review: 2027-01-01
"""


@pytest.fixture(scope="session")
def example() -> Path:
    return EXAMPLE_REGISTER


@pytest.fixture(scope="session")
def as_of() -> dt.date:
    return EXAMPLE_AS_OF


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` (dedented) to ``tmp_path/name`` and return the path."""

    def _write(text: str, name: str = "register.yml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
