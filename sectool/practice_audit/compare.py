"""Comparison of a clinic's result with its previous submission (year on year)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .models import LocalText, Result, Status

__all__ = ["STATUS_ORDER", "Comparison", "DomainChange", "compare"]

#: Statuses from worst to best.
STATUS_ORDER: tuple[Status, ...] = (Status.NOT_MET, Status.APPROACHING, Status.STANDARDS_MET)

Direction = Literal["improved", "unchanged", "worsened"]


class DomainChange(BaseModel):
    """Change of one domain's percentage; ``None`` where a side has no score for the domain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str
    title: LocalText
    previous: float | None
    current: float | None
    change: float | None  # percentage points, current - previous


class Comparison(BaseModel):
    """What changed between two results of the same clinic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    previous_as_of: date
    current_as_of: date
    previous_status: Status
    current_status: Status
    status_change: Direction
    previous_maturity: int
    current_maturity: int
    overall_change: float  # percentage points
    domains: tuple[DomainChange, ...]
    closed_gaps: tuple[str, ...]  # question ids in the previous plan but not in the current one
    new_gaps: tuple[str, ...]  # question ids in the current plan but not in the previous one


def _direction(before: int | float, after: int | float) -> Direction:
    if after > before:
        return "improved"
    if after < before:
        return "worsened"
    return "unchanged"


def compare(previous: Result, current: Result) -> Comparison:
    """Compare ``current`` with ``previous`` (domains in the order of ``current``, then dropped ones)."""
    prev_domains = {d.domain: d for d in previous.domains}
    changes: list[DomainChange] = []
    for d in current.domains:
        p = prev_domains.pop(d.domain, None)
        before = p.percent if p is not None else None
        delta = d.percent - before if d.percent is not None and before is not None else None
        changes.append(
            DomainChange(domain=d.domain, title=d.title, previous=before, current=d.percent, change=delta)
        )
    for p in prev_domains.values():
        changes.append(
            DomainChange(domain=p.domain, title=p.title, previous=p.percent, current=None, change=None)
        )
    prev_gaps = [i.question_id for i in previous.plan]
    cur_gaps = [i.question_id for i in current.plan]
    return Comparison(
        previous_as_of=previous.as_of,
        current_as_of=current.as_of,
        previous_status=previous.status,
        current_status=current.status,
        status_change=_direction(STATUS_ORDER.index(previous.status), STATUS_ORDER.index(current.status)),
        previous_maturity=previous.maturity,
        current_maturity=current.maturity,
        overall_change=current.overall_percent - previous.overall_percent,
        domains=tuple(changes),
        closed_gaps=tuple(q for q in prev_gaps if q not in set(cur_gaps)),
        new_gaps=tuple(q for q in cur_gaps if q not in set(prev_gaps)),
    )
