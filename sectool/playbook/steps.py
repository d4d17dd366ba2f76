"""The step registry: every step a playbook can name, its parameter model and its function.

A step is a function ``run(params, ctx) -> StepOutcome`` that calls another area's library
(never a subprocess). Steps hand data to later steps through ``ctx.state`` (events files,
findings, the scored register, clinic results); every file a step writes goes under the
run's working directory unless the playbook gives an absolute path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from sectool.errors import SectoolError

__all__ = [
    "STEPS",
    "Params",
    "RunContext",
    "StepOutcome",
    "StepSpec",
    "StepUnavailable",
    "param_models",
    "register_step",
]


class Params(BaseModel):
    """Base of every step's parameters: strict (unknown keys are errors) and immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class StepUnavailable(SectoolError):
    """The library a step needs is not part of this installation (the step is skipped)."""


@dataclass
class RunContext:
    """What a step sees of the run: the time range, the working directory and the hand-over state."""

    playbook: str
    workdir: Path
    since: datetime
    until: datetime
    now: datetime
    state: dict[str, Any] = field(default_factory=dict)

    def path(self, value: str | Path) -> Path:
        """A playbook path: absolute as given, relative ones under the working directory."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.workdir / p


@dataclass
class StepOutcome:
    """What a step did: counts for the log, files written, traffic findings per severity."""

    counts: dict[str, int] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    severities: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StepSpec:
    name: str
    params: type[Params]
    run: Callable[[Any, RunContext], StepOutcome]
    summary: str


STEPS: dict[str, StepSpec] = {}


def register_step(
    name: str, params: type[Params], summary: str
) -> Callable[[Callable[[Any, RunContext], StepOutcome]], Callable[[Any, RunContext], StepOutcome]]:
    """Decorator: add a step function to :data:`STEPS`."""

    def deco(fn: Callable[[Any, RunContext], StepOutcome]) -> Callable[[Any, RunContext], StepOutcome]:
        STEPS[name] = StepSpec(name, params, fn, summary)
        return fn

    return deco


def _load_builtin_steps() -> None:
    # The step modules register themselves on import.
    import sectool.playbook.steps_alert
    import sectool.playbook.steps_report
    import sectool.playbook.steps_risk_audit
    import sectool.playbook.steps_traffic  # noqa: F401


def param_models() -> dict[str, type[BaseModel]]:
    """Step name -> parameter model (for :func:`sectool.playbook.model.parse_playbook`)."""
    _load_builtin_steps()
    return {name: spec.params for name, spec in STEPS.items()}


def get_step(name: str) -> StepSpec:
    _load_builtin_steps()
    return STEPS[name]
