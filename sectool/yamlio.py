"""Strict YAML loading that remembers line numbers, and pydantic validation that reports them.

Every YAML input of sectool (risk registers, matrices, playbooks, question banks,
clinic answers, indicator targets) goes through :func:`load_yaml` and
:func:`validate`, so that a bad value is reported as ``file:line, field 'x': ...``.

Hostile input is expected: aliases (the "billion laughs" expansion), duplicate keys and
nesting deeper than :data:`MAX_DEPTH` are rejected, files above :data:`MAX_BYTES` are
refused, and only ``yaml.SafeLoader`` semantics are used. Timestamps are *not* resolved
by YAML: ``2030-02-30`` stays a string, so the pydantic model that expects a date
reports it with file, line and field instead of YAML raising a bare ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sectool.errors import InputError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "YamlDoc",
    "format_loc",
    "load_yaml",
    "parse_yaml",
    "read_text",
    "validate",
]

MAX_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 64


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp resolver (dates are validated by the models)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

M = TypeVar("M", bound=BaseModel)
PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document with the line (1-based) of every key and list item."""

    data: Any
    file: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Line of the deepest known prefix of ``loc`` (a pydantic error location or a path)."""
        key = tuple(loc)
        while key:
            norm = tuple(p if isinstance(p, int) else str(p) for p in key)
            if norm in self.lines:
                return self.lines[norm]
            key = key[:-1]
        return self.lines.get((), None)


def read_text(path: str | Path, *, max_bytes: int = MAX_BYTES) -> str:
    """Read a UTF-8 text file, turning the usual problems into :class:`InputError`."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", file=p) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=p) from None
    if p.is_dir():
        raise InputError("is a directory, expected a file", file=p)
    if size > max_bytes:
        raise InputError(f"file is too large ({size} bytes)", file=p, expected=f"at most {max_bytes} bytes")
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte offset {exc.start})", file=p) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=p) from None


def load_yaml(path: str | Path) -> YamlDoc:
    """Load one YAML document from a file."""
    return parse_yaml(read_text(path), file=str(path))


def parse_yaml(text: str, *, file: str = "<string>") -> YamlDoc:
    """Parse one YAML document from text; errors name ``file`` and the line."""
    if not text.strip():
        raise InputError("file is empty", file=file, expected="a YAML document")
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_Loader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.AliasEvent):
                raise InputError("YAML aliases (*name) are not allowed", file=file, line=line)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(
                        f"nesting is too deep (more than {MAX_DEPTH} levels)", file=file, line=line
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"invalid YAML: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", file=file) from None
    except (ValueError, TypeError, RecursionError) as exc:  # a constructor refused a value
        raise InputError(f"invalid YAML value: {exc}", file=file) from None
    if node is None or data is None:
        raise InputError("file is empty", file=file, expected="a YAML document")
    lines: dict[PathKey, int] = {}
    _walk(node, (), lines, file)
    return YamlDoc(data=data, file=file, lines=lines)


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], file: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise InputError(
                    f"duplicate key '{key}' (first on line {seen[key]})",
                    file=file,
                    line=line,
                    field=format_loc((*path, key)),
                )
            seen[key] = line
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, file)


def format_loc(loc: Sequence[str | int]) -> str:
    """``('risks', 3, 'likelihood')`` -> ``risks[3].likelihood``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validate(
    model: type[M],
    data: Any,
    *,
    file: str | Path | None = None,
    line_of: Callable[[Sequence[str | int]], int | None] | None = None,
    doc: YamlDoc | None = None,
    context: dict[str, Any] | None = None,
) -> M:
    """Validate ``data`` into ``model``; the first problem becomes an :class:`InputError`.

    ``doc`` (or ``line_of``) maps the error location to a line number; ``context`` is
    passed to pydantic validators (e.g. the matrix, the catalogue).
    """
    if doc is not None:
        line_of = doc.line_of
        file = file or doc.file
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise validation_error(exc, file=file, line_of=line_of) from None


def validation_error(
    exc: ValidationError,
    *,
    file: str | Path | None,
    line_of: Callable[[Sequence[str | int]], int | None] | None = None,
    prefix: Sequence[str | int] = (),
) -> InputError:
    """Turn a pydantic ``ValidationError`` into one readable :class:`InputError`."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = (*prefix, *[p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-"))])
    line = line_of(loc) if line_of else None
    msg = str(first["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    elif msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, ") :]
    more = f" (+{len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    value = first.get("input")
    show_value = value if isinstance(value, str | int | float | bool) and first["type"] != "missing" else None
    return InputError(msg + more, file=file, line=line, field=format_loc(loc) or None, value=show_value)
