"""Every third-party module that sectool imports is a declared dependency of sectool.

A fresh install (``pip install .``) gets only what ``pyproject.toml`` declares: a module that
the development venv happens to have but the project does not declare breaks the README's
commands on a clean machine. This static check (ast over ``sectool/**.py`` against
``pyproject.toml``, with ``importlib.metadata`` naming each module's distribution) catches that
without a network or a slow install, and without trusting the venv's possibly stale install metadata.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sectool"
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = {n.id for n in ast.walk(handler.type) if isinstance(n, ast.Name)} if handler.type else set()
    return bool(names & {"ImportError", "ModuleNotFoundError"})


def _imports(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(top-level modules imported, those imported only inside ``try: ... except ImportError``)."""
    every: set[str] = set()
    guarded: set[str] = set()

    def visit(node: ast.AST, in_try: bool) -> None:
        for child in ast.iter_child_nodes(node):
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [a.name.split(".")[0] for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module.split(".")[0]]
            for name in names:
                every.add(name)
                if in_try:
                    guarded.add(name)
            catches_import_error = isinstance(child, ast.Try) and any(
                (isinstance(h.type, ast.Name | ast.Tuple) and "ImportError" in ast.dump(h.type))
                or "ModuleNotFoundError" in ast.dump(h.type or ast.Constant(None))
                for h in child.handlers
            )
            if catches_import_error:
                assert isinstance(child, ast.Try)
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), True)
                for part in (*child.handlers, *child.orelse, *child.finalbody):
                    visit(
                        part if isinstance(part, ast.AST) else ast.Module(body=[part], type_ignores=[]),
                        in_try,
                    )
            else:
                visit(child, in_try)

    visit(tree, False)
    return every, guarded


def _third_party() -> dict[str, set[str]]:
    """Top-level third-party module -> the files importing it (unguarded imports only)."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        every, guarded = _imports(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for name in every - guarded:
            if name in sys.stdlib_module_names or name in ("sectool", "__future__"):
                continue
            found.setdefault(name, set()).add(str(path.relative_to(PACKAGE.parent)))
    return found


def _declared() -> set[str]:
    """Distributions ``pyproject.toml`` declares for a plain install (no extras)."""
    requires = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    return {_norm(re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0]) for req in requires}


def _undeclared(declared: set[str]) -> dict[str, list[str]]:
    providers = metadata.packages_distributions()
    missing = {}
    for module, files in _third_party().items():
        dists = {_norm(d) for d in providers.get(module, [])}
        assert dists, f"{module} (imported by {sorted(files)[0]}) is installed by no distribution"
        if not dists & declared:
            missing[module] = sorted(files)[:3]
    return missing


def test_every_imported_module_is_a_declared_dependency() -> None:
    missing = _undeclared(_declared())
    assert not missing, f"imported but not declared in pyproject.toml [project.dependencies]: {missing}"


def test_the_check_catches_an_undeclared_dependency() -> None:
    """Not vacuous: dropping a declared dependency that sectool imports is caught."""
    declared = _declared()
    assert {"numpy", "markupsafe", "pydantic"} <= declared
    for dist in ("numpy", "markupsafe", "pydantic"):
        assert dist in _undeclared(declared - {dist})


def test_import_error_guards_are_optional_imports() -> None:
    code = "try:\n    import foo\nexcept ImportError:\n    foo = None\nimport bar\n"
    every, guarded = _imports(ast.parse(code))
    assert every == {"foo", "bar"}
    assert guarded == {"foo"}
