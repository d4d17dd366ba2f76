"""The playbook file: strict YAML model.

A playbook::

    name: nightly-traffic            # identity: the lock and the log are per name
    description: Detect anomalies in last night's traffic
    schedule: "15 2 * * *"           # cron expression (validated), optional
    alert_severity: high             # exit 3 when findings at or above this severity were found
    window: 24h                      # default --since = until - window (until = now)
    log: logs/nightly-traffic.jsonl  # JSON log lines (one per step), optional
    steps:
      - step: traffic.detect         # one of the registered steps (sectool.playbook.steps)
        name: detect                 # optional label for logs
        with: {from: [data/events.parquet], out: findings/nightly.jsonl}

Everything is parsed strictly: an unknown key, an unknown step or a missing parameter is
an :class:`~sectool.errors.InputError` naming the file, the line, the step and the key.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sectool.errors import InputError
from sectool.traffic.detect.findings import SEVERITIES as ALERT_SEVERITIES
from sectool.traffic.detect.findings import Severity as AlertSeverity
from sectool.yamlio import YamlDoc, format_loc, load_yaml, parse_yaml

__all__ = [
    "ALERT_SEVERITIES",
    "Playbook",
    "PlaybookStep",
    "load_playbook",
    "parse_duration",
    "parse_playbook",
    "strict_validate",
]


def parse_duration(text: str) -> timedelta:
    """``90m``, ``24h``, ``7d``, ``2w`` -> timedelta (positive), in the detectors' duration syntax."""
    from sectool.traffic.detect.config import parse_duration as detect_duration  # its models cost start-up

    value = detect_duration(text)
    if value <= timedelta(0):
        raise ValueError(f"not a duration: {text!r}; a window must be longer than zero (e.g. 24h)")
    return value


class _RawStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    step: str
    name: str | None = Field(default=None, max_length=80)
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")


class _RawPlaybook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    description: str = ""
    schedule: str | None = None
    alert_severity: AlertSeverity | None = None
    window: str = "24h"
    log: str | None = None
    steps: list[_RawStep] = Field(min_length=1)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from croniter import croniter

        if not croniter.is_valid(value) or len(value.split()) != 5:
            # the value itself is shown once, by the error's "(got ...)"
            raise ValueError("not a cron expression; expected five fields 'minute hour day month weekday'")
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_duration(value)
        return value


@dataclass(frozen=True)
class PlaybookStep:
    """One validated step: its registered name, label and typed parameters."""

    index: int  # 0-based
    step: str
    label: str
    params: BaseModel
    line: int | None


@dataclass(frozen=True)
class Playbook:
    """A validated playbook."""

    name: str
    description: str
    schedule: str | None
    alert_severity: AlertSeverity | None
    window: timedelta
    log: str | None
    steps: tuple[PlaybookStep, ...]
    file: str


def _first_error(
    exc: ValidationError,
    model: type[BaseModel],
    doc: YamlDoc,
    prefix: Sequence[str | int],
    what: str,
) -> InputError:
    errors = exc.errors(include_url=False)
    # An unknown key is usually a typo of a missing one: report it first (with a suggestion),
    # not the "missing key" it causes.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = (*prefix, *error["loc"])
    field = format_loc(loc)
    line = doc.line_of(loc)
    key = str(error["loc"][-1]) if error["loc"] else ""
    if error["type"] == "extra_forbidden":
        names = _allowed_names(model, error["loc"][:-1])
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return InputError(
            f"{what}unknown key '{key}'{hint}",
            file=doc.file,
            line=line,
            field=field,
            expected=f"one of: {', '.join(names) or 'none'}",
        )
    if error["type"] == "missing":
        return InputError(f"{what}missing key '{key}'", file=doc.file, line=line, field=field)
    msg = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    shown = value if isinstance(value, str | int | float | bool) else None
    return InputError(f"{what}{msg}", file=doc.file, line=line, field=field, value=shown)


def _allowed_names(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys the (nested) model at ``loc`` accepts (sorted), for the error message."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fld = current.model_fields.get(str(part)) if hasattr(current, "model_fields") else None
        if fld is None:
            break
        ann = fld.annotation
        inner = getattr(ann, "__args__", None)
        candidates = [ann, *(inner or ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), current)
    fields = getattr(current, "model_fields", {})
    return sorted(f.alias or n for n, f in fields.items())


def strict_validate(
    model: type[BaseModel], data: Any, doc: YamlDoc, prefix: Sequence[str | int] = (), what: str = ""
) -> BaseModel:
    """Validate ``data`` (found at ``prefix`` in ``doc``) into ``model`` with precise errors."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, model, doc, prefix, what) from None


def parse_playbook(doc: YamlDoc, registry: Mapping[str, type[BaseModel]]) -> Playbook:
    """Validate a parsed YAML document; ``registry`` maps step names to their parameter models."""
    if not isinstance(doc.data, dict):
        raise InputError("a playbook must be a mapping", file=doc.file, line=doc.line_of(()))
    raw = strict_validate(_RawPlaybook, doc.data, doc)
    assert isinstance(raw, _RawPlaybook)
    steps: list[PlaybookStep] = []
    for i, step in enumerate(raw.steps):
        where = ("steps", i)
        label = step.name or step.step
        if step.step not in registry:
            raise InputError(
                f"step {i + 1}: unknown step '{step.step}'",
                file=doc.file,
                line=doc.line_of((*where, "step")),
                field=format_loc((*where, "step")),
                expected=f"one of: {', '.join(sorted(registry))}",
            )
        params = strict_validate(
            registry[step.step], step.with_, doc, (*where, "with"), what=f"step {i + 1} ({step.step}): "
        )
        steps.append(PlaybookStep(i, step.step, label, params, doc.line_of(where)))
    return Playbook(
        name=raw.name,
        description=raw.description,
        schedule=raw.schedule,
        alert_severity=raw.alert_severity,
        window=parse_duration(raw.window),
        log=raw.log,
        steps=tuple(steps),
        file=doc.file,
    )


def load_playbook(path: str | Path, registry: Mapping[str, type[BaseModel]] | None = None) -> Playbook:
    """Load and validate a playbook file (``registry`` defaults to the shipped steps)."""
    if registry is None:
        from sectool.playbook.steps import param_models

        registry = param_models()
    return parse_playbook(load_yaml(path), registry)


def parse_playbook_text(
    text: str, *, file: str, registry: Mapping[str, type[BaseModel]] | None = None
) -> Playbook:
    """Parse a playbook from text (the embedded demo playbook)."""
    if registry is None:
        from sectool.playbook.steps import param_models

        registry = param_models()
    return parse_playbook(parse_yaml(text, file=file), registry)
