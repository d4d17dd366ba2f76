"""The one exception tree of sectool.

::

    SectoolError                 anything sectool raises on purpose; exit code 1
     ├── InputError              bad user input (file, line, field, value, expected); exit code 2
     └── ServiceError            a service (Elasticsearch, database) failed or is unreachable; exit code 1

The CLI maps these to exit codes and prints one line without a traceback. Anything
else that escapes is a bug: the CLI prints it as an internal error and exits 1.
Problems that are not fatal (consistency warnings, questionnaire gaps, anomalies)
are *findings*, returned as data, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["InputError", "Location", "SectoolError", "ServiceError"]


@dataclass(frozen=True)
class Location:
    """Where in an input a problem sits: file, line (1-based) and field path."""

    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)


class SectoolError(Exception):
    """Root of every error sectool raises on purpose."""

    exit_code = 1


class InputError(SectoolError):
    """Bad user input. The message names the file, line, field, the bad value and what is allowed."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        self.location = Location(str(file) if file is not None else None, line, field)
        self.reason = message
        self.value = value
        self.expected = expected
        super().__init__(self._render())

    def _render(self) -> str:
        text = self.reason
        if self.value is not None:
            shown = repr(self.value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            text += f" (got {shown})"
        if self.expected:
            text += f"; expected {self.expected}"
        where = str(self.location)
        return f"{where}: {text}" if where else text


class ServiceError(SectoolError):
    """A service sectool talks to (Elasticsearch, a database) failed or could not be reached."""
