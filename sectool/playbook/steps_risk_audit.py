"""Steps ``risk.score`` (the ISO 27001 register) and ``audit.collect`` (clinic self-assessments)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from pydantic import Field, model_validator

from sectool.errors import InputError
from sectool.fileio import atomic_write_text
from sectool.playbook.steps import Params, RunContext, StepOutcome, StepUnavailable, register_step
from sectool.report.model import DataSource

__all__ = ["AuditCollectParams", "RiskScoreParams"]


class RiskScoreParams(Params):
    """Score a risk register; ``register: example`` is the shipped example register."""

    register_: str = Field(alias="register")
    matrix: str | None = None
    #: Reference date for reviews and acceptances (default: the run's --until date).
    as_of: date | None = None
    #: The scored register as JSON (the stable shape of ``sectool risk score --format json``).
    out: str = "risk/scored-register.json"


@register_step(
    "risk.score", RiskScoreParams, "score the ISO 27001 risk register (three tiers, appetite, findings)"
)
def risk_score_step(params: RiskScoreParams, ctx: RunContext) -> StepOutcome:
    from sectool.report.collect import risk_from_register

    if params.register_ == "example":
        try:
            from sectool.iso27001 import EXAMPLE_REGISTER
        except ImportError as exc:
            raise StepUnavailable(f"the example register is not available: {exc}") from None
        path = Path(EXAMPLE_REGISTER)
    else:
        path = ctx.path(params.register_)
    as_of = params.as_of or ctx.until.date()
    risk, as_dict = risk_from_register(
        path, as_of=as_of, matrix=ctx.path(params.matrix) if params.matrix else None
    )
    out = ctx.path(params.out)
    atomic_write_text(out, json.dumps(as_dict, ensure_ascii=False, indent=2) + "\n")
    ctx.state["risk"] = risk
    ctx.state.setdefault("sources", []).append(
        DataSource(
            section="risk",
            key="register",
            description=risk.register_name,
            location="" if params.register_ == "example" else str(path),
            location_key="example_register" if params.register_ == "example" else None,
            time_until=as_of,
            records=len(risk.risks),
        )
    )
    return StepOutcome(
        counts={
            "risks": len(risk.risks),
            "above_appetite": sum(r.above_appetite for r in risk.risks),
            "findings": len(risk.findings),
        },
        outputs=[str(out)],
    )


class AuditCollectParams(Params):
    """Collect clinic results: from the database, an admin export, answer files, or the examples."""

    #: SQLAlchemy URL or SQLite file of the self-assessment database; ``env``: $SECTOOL_AUDIT_DB,
    #: else ``.sectool/audit.sqlite`` under the working directory.
    db: str | None = None
    export: str | None = None
    answers: list[str] | None = None
    example: bool = False
    #: The reporting period whose end limits the submissions counted (default: the run's quarter).
    period: str = "current"
    out: str = "audit/clinics.json"

    @model_validator(mode="after")
    def _one_source(self) -> AuditCollectParams:
        given = [k for k in ("db", "export", "answers") if getattr(self, k)] + (
            ["example"] if self.example else []
        )
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of db, export, answers, example (got {', '.join(given) or 'none'})"
            )
        return self


def _db_url(value: str, ctx: RunContext) -> str:
    """The database URL: ``env`` means ``$SECTOOL_AUDIT_DB`` or ``<workdir>/.sectool/audit.sqlite``;
    a plain path is an SQLite file under the working directory. A missing SQLite file is an
    error (a report from an empty, just-created database would silently say "no clinics")."""
    import os

    if value == "env":
        value = os.environ.get("SECTOOL_AUDIT_DB", "").strip() or ".sectool/audit.sqlite"
    if "://" in value:
        url = value
        path = Path(value.removeprefix("sqlite:///")) if value.startswith("sqlite:///") else None
    else:
        path = ctx.path(value)
        url = f"sqlite:///{path}"
    if path is not None and not path.is_file():
        raise InputError(
            "audit database not found", file=path, field="db", expected="an existing SQLite file"
        )
    return url


def _answer_files(ctx: RunContext, items: list[str]) -> list[Path]:
    files: list[Path] = []
    for item in items:
        p = ctx.path(item)
        files.extend(sorted([*p.glob("*.yml"), *p.glob("*.yaml")]) if p.is_dir() else [p])
    return files


@register_step("audit.collect", AuditCollectParams, "collect the clinics' self-assessment results")
def audit_collect_step(params: AuditCollectParams, ctx: RunContext) -> StepOutcome:
    from sectool.report import collect
    from sectool.report.forum import redact_url
    from sectool.report.model import parse_period

    period = parse_period(params.period, as_of=ctx.until.date())
    as_of = min(period.end, ctx.until.date())
    n_files: int | None = None
    if params.db is not None:
        url = _db_url(params.db, ctx)
        practice = collect.practice_from_store(url, period=period, field="db")
        location = redact_url(url)
    elif params.export is not None:
        practice = collect.practice_from_export(ctx.path(params.export))
        location = str(ctx.path(params.export))
    else:
        if params.example:
            try:
                from importlib import resources

                root = Path(
                    str(resources.files("sectool.practice_audit").joinpath("data", "example_answers"))
                )
            except (ImportError, ModuleNotFoundError) as exc:
                raise StepUnavailable(f"the example clinic answers are not available: {exc}") from None
            files = sorted(root.glob("*.yml"))
            if not files:
                raise StepUnavailable("the example clinic answers are not available in this installation")
            location = ""
        else:
            files = _answer_files(ctx, params.answers or [])
            location = ", ".join(params.answers or [])
            n_files = len(files)
        practice = collect.practice_from_answer_files(files, as_of=as_of)
    out = ctx.path(params.out)
    atomic_write_text(out, practice.model_dump_json(indent=2) + "\n")
    ctx.state["practice"] = practice
    ctx.state.setdefault("sources", []).append(
        DataSource(
            section="practice",
            key="self_assessments",
            location=location,
            location_key="example_answers" if location == "" and params.example else None,
            files=n_files,
            time_until=as_of,
            records=len(practice.clinics),
        )
    )
    submitted = [c for c in practice.clinics if c.submitted]
    return StepOutcome(
        counts={
            "clinics": len(practice.clinics),
            "submitted": len(submitted),
            "standards_met": sum(c.status == "met" for c in submitted),
        },
        outputs=[str(out)],
    )
