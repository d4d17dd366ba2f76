"""Consistency findings of a scored register: data, never exceptions.

Each :class:`Finding` has a severity (``error`` > ``warning`` > ``info``), a stable
``code``, the risk (or control) it concerns and a message in English and Danish.

=========================  ========  ==========================================================
code                       severity  when
=========================  ========  ==========================================================
accepted_without_record    error     treatment ``accept`` but no acceptance record
acceptance_expired         error     treatment ``accept`` and the acceptance expired (expiry <= as-of)
acceptance_not_yet_valid   warning   treatment ``accept`` and the acceptance date is after as-of
control_not_applicable     error     a risk relies on a control the SoA marks not applicable
residual_above_current     warning   the declared residual is above the current risk
residual_above_appetite    warning   after the plan the risk is still above appetite, not accepted
review_overdue             warning   next review date is before as-of
missing_owner              warning   the risk has no owner
review_not_scheduled       info      the risk has no next review date
appetite_not_set           warning   the register has no risk appetite (nothing is flagged)
soa_missing                warning   the register has no SoA section
soa_not_assessed           info      a control is neither in the SoA nor referenced by a risk
soa_status_mismatch        info      a risk counts on a control as further along than the SoA says
planned_control_in_place   info      a planned control is already implemented or partially: it counts
                                     only in the residual tier until moved to existing_controls
=========================  ========  ==========================================================
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, NamedTuple

__all__ = ["FINDING_CODES", "SEVERITY_ORDER", "Finding", "Severity", "make_finding"]

Severity = Literal["info", "warning", "error"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "warning": 1, "error": 2}

#: code -> (severity, English template, Danish template). Templates use str.format fields.
FINDING_CODES: dict[str, tuple[Severity, str, str]] = {
    "accepted_without_record": (
        "error",
        "risk {risk} is treated as 'accept' but has no acceptance record",
        "risiko {risk} er behandlet som 'accept', men der er ingen registreret accept",
    ),
    "acceptance_expired": (
        "error",
        "acceptance of risk {risk} by {by} expired on {expiry}",
        "accepten af risiko {risk} ({by}) udløb {expiry}",
    ),
    "acceptance_not_yet_valid": (
        "warning",
        "acceptance of risk {risk} is dated {date}, after {as_of}",
        "accepten af risiko {risk} er dateret {date}, efter {as_of}",
    ),
    "control_not_applicable": (
        "error",
        "risk {risk} relies on {control}, which the SoA marks as not applicable",
        "risiko {risk} bygger på {control}, som SoA'en angiver som ikke relevant",
    ),
    "residual_above_current": (
        "warning",
        "declared residual risk of {risk} ({residual}) is above its current risk ({current})",
        "den angivne restrisiko for {risk} ({residual}) er højere end den aktuelle risiko ({current})",
    ),
    "residual_above_appetite": (
        "warning",
        "risk {risk} stays above appetite '{appetite}' after planned treatment ({residual}) "
        "and is not accepted",
        "risiko {risk} er stadig over risikoappetitten '{appetite}' efter planlagt behandling ({residual}) "
        "og er ikke accepteret",
    ),
    "review_overdue": (
        "warning",
        "review of risk {risk} was due on {due}",
        "gennemgangen af risiko {risk} skulle have været foretaget {due}",
    ),
    "missing_owner": ("warning", "risk {risk} has no owner", "risiko {risk} har ingen ejer"),
    "review_not_scheduled": (
        "info",
        "risk {risk} has no next review date",
        "risiko {risk} har ingen dato for næste gennemgang",
    ),
    "appetite_not_set": (
        "warning",
        "the register sets no risk appetite, so no risk is flagged as above it",
        "registret angiver ingen risikoappetit, så ingen risiko markeres som over den",
    ),
    "soa_missing": (
        "warning",
        "the register has no Statement of Applicability section",
        "registret har ingen anvendelseserklæring (SoA)",
    ),
    "planned_control_in_place": (
        "info",
        "risk {risk} plans {control}, which is already {status}; it lowers the current risk only "
        "once it is listed under existing_controls",
        "risiko {risk} planlægger {control}, som allerede er {status_da}; den sænker først den aktuelle "
        "risiko, når den står under existing_controls",
    ),
    "soa_status_mismatch": (
        "info",
        "risk {risk} counts on {control} as {status}, but the SoA says {soa} (check the scope)",
        "risiko {risk} regner med {control} som {status}, men SoA'en angiver {soa} (kontrollér omfanget)",
    ),
    "soa_not_assessed": (
        "info",
        "{control} is neither decided in the SoA nor referenced by a risk",
        "{control} er hverken vurderet i SoA'en eller brugt af en risiko",
    ),
}


class Finding(NamedTuple):
    """One consistency finding (a named tuple of strings, so the garbage collector ignores it)."""

    severity: Severity
    code: str
    risk_id: str | None
    message: str
    message_da: str
    control: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (-SEVERITY_ORDER[self.severity], self.code, self.risk_id or "", self.control or "")


def make_finding(code: str, *, risk: str | None = None, control: str | None = None, **fields: Any) -> Finding:
    """Build a finding from its code; ``fields`` fill the message templates (dates as ISO)."""
    severity, en, da = FINDING_CODES[code]
    values = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in fields.items()}
    values.update(risk=risk, control=control)
    return Finding(severity, code, risk, en.format(**values), da.format(**values), control)
