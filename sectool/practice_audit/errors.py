"""Errors of the self-assessment that callers (the web app, the CLI) catch by type.

::

    SectoolError
     ├── InputError
     │    ├── AnswersError          answers that cannot be scored or submitted; carries the problems
     │    └── ClinicChangeError     a provider number that belongs to a clinic with another name or size
     └── AuditError                 the self-assessment store refused a request
          ├── TokenError            an invitation token is not usable (the web app shows one page)
          │    ├── InvalidTokenError    unknown, malformed or tampered token
          │    └── ExpiredTokenError    a real token whose invitation has expired
          └── ClinicNotFoundError   no clinic with that id
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from sectool.errors import InputError, SectoolError
from sectool.yamlio import YamlDoc, validation_error

from .models import AnswerProblem

__all__ = [
    "AnswersError",
    "AuditError",
    "ClinicChangeError",
    "ClinicNotFoundError",
    "ExpiredTokenError",
    "InvalidTokenError",
    "TokenError",
    "question_error",
]


class AuditError(SectoolError):
    """The self-assessment store refused a request."""


class TokenError(AuditError):
    """An invitation token cannot be used. Deliberately says nothing about any clinic."""

    exit_code = 2


class InvalidTokenError(TokenError):
    """The token is unknown, malformed or has been tampered with."""

    def __init__(self) -> None:
        super().__init__("the invitation link is not valid")


class ExpiredTokenError(TokenError):
    """The token was issued but its invitation has expired."""

    def __init__(self) -> None:
        super().__init__("the invitation link has expired; ask the security officer for a new one")


class ClinicNotFoundError(AuditError):
    """No clinic with the given id."""

    def __init__(self, clinic_id: int) -> None:
        self.clinic_id = clinic_id
        super().__init__(f"no clinic with id {clinic_id}")


class AnswersError(InputError):
    """Answers that cannot be scored or submitted. ``problems`` lists every problem (for forms)."""

    def __init__(
        self,
        problems: Sequence[AnswerProblem],
        *,
        file: str | Path | None = None,
        line: int | None = None,
    ) -> None:
        self.problems: tuple[AnswerProblem, ...] = tuple(problems)
        first = self.problems[0]
        more = len(self.problems) - 1
        suffix = f" (+{more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(
            f"question '{first.question_id}': {first.message.en}{suffix}",
            file=file,
            line=line,
            field=f"answers.{first.question_id}.{first.field}",
        )


class ClinicChangeError(InputError):
    """Inviting or importing under a known provider number would rename or resize that clinic.

    A mistyped provider number must not silently rename another clinic, so the change needs
    an explicit confirmation (``--update`` on the command line, ``update`` in the web and API).
    """

    def __init__(self, provider_number: str, old: tuple[str, str], new: tuple[str, str]) -> None:
        self.provider_number = provider_number
        self.old, self.new = old, new
        changes = []
        if old[0] != new[0]:
            changes.append(f"name {old[0]!r} -> {new[0]!r}")
        if old[1] != new[1]:
            changes.append(f"size {old[1]} -> {new[1]}")
        super().__init__(
            f"provider number {provider_number} belongs to {old[0]!r} ({old[1]}); "
            f"this would change its {' and '.join(changes)}",
            field="provider_number",
            expected="check the provider number, or confirm the change with --update",
        )


def question_error(exc: ValidationError, qid: object, *, doc: YamlDoc, at: Sequence[str | int]) -> InputError:
    """One question's validation problem in a YAML file (bank or answers), named by the question.

    Args:
        exc: The pydantic error of the question's entry.
        qid: The question id the message starts with.
        doc: The YAML document, for the file name and line numbers.
        at: Where the entry sits in ``doc`` (e.g. ``("answers", qid)``).
    """
    e = validation_error(exc, file=doc.file, line_of=doc.line_of, prefix=at)
    return InputError(
        f"question '{qid}': {e.reason}",
        file=doc.file,
        line=e.location.line,
        field=e.location.field,
        value=e.value,
    )
