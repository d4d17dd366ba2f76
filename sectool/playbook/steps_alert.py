"""The ``alert.send`` step: new findings to e-mail, webhook and syslog channels.

Placed after ``traffic.detect``, it takes that step's *new* findings (those not reported
within the re-alert period); with ``from`` it reads findings files instead. Each channel
keeps a delivery journal under ``journal`` (default ``state/alerts``) so that a finding is
sent once per channel and what a failed channel could not send is sent by the next run.
A channel that still fails after its retries fails the step (exit code 1) after the other
channels were tried. Configuration keys: :mod:`sectool.alerting.config`, docs/alerting.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sectool.alerting.config import AlertSettings
from sectool.errors import InputError
from sectool.playbook.steps import Params, RunContext, StepOutcome, register_step

if TYPE_CHECKING:
    from sectool.traffic.detect.findings import Finding

__all__ = ["AlertParams"]


class AlertParams(AlertSettings, Params):
    """Parameters of ``alert.send`` (see :class:`sectool.alerting.config.AlertSettings`)."""


def _findings(params: AlertParams, ctx: RunContext) -> list[Finding]:
    from sectool.playbook.steps_traffic import _expand
    from sectool.traffic.detect.findings import Finding, read_jsonl

    if params.from_:
        out: list[Finding] = []
        for path in _expand(ctx, params.from_):
            if not path.exists():
                raise InputError("findings file not found", file=path, field="from")
            out.extend(read_jsonl(path))
        return out
    if "new_findings" not in ctx.state:
        raise InputError(
            "no findings to send: give 'from' (findings files) or run traffic.detect before this step",
            field="from",
        )
    return [Finding.from_dict(d) for d in ctx.state["new_findings"]]


@register_step("alert.send", AlertParams, "send new findings to e-mail, webhook and syslog channels")
def alert_step(params: AlertParams, ctx: RunContext) -> StepOutcome:
    from sectool.alerting.dispatch import deliver_alerts  # lazily: the CLI starts fast

    findings = _findings(params, ctx)
    results = deliver_alerts(
        params, findings, journal_dir=ctx.path(params.journal), playbook=ctx.playbook, now=ctx.now
    )
    outcome = StepOutcome(
        counts={
            "findings": len(findings),
            "channels": len(results),
            "queued": sum(r.queued for r in results),
            "sent": sum(r.sent for r in results),
        },
        outputs=[str(ctx.path(params.journal) / f"{r.name}.json") for r in results],
    )
    for r in results:
        outcome.notes.append(f"{r.name} ({r.kind}): {r.sent} sent, {r.queued} newly queued")
        outcome.notes.extend(f"{r.name}: {note}" for note in r.notes)
    return outcome
