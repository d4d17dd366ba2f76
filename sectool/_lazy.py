"""Lazy public exports for sub-packages (PEP 562), so that ``sectool --help`` imports nothing heavy.

A package lists where each public name lives and binds the two module hooks::

    __getattr__, __dir__ = lazy_exports(__name__, {"Store": "store", "load_bank": "bank"})

Module names are relative to the package unless they start with ``sectool.``. A name is imported
on first use and then cached in the package's namespace. Type checkers see the real names through
an ``if TYPE_CHECKING:`` block of ordinary imports in the package.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` for the names in ``where``."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        target = module if module.startswith("sectool.") else f"{package}.{module}"
        value = getattr(import_module(target), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
