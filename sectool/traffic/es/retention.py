"""Retention of the daily event indices: how long traffic data is kept is a GDPR matter.

Health-sector log data may be kept only as long as its purpose needs (the data controller's
retention rule, typically months, not years). sectool's events go to daily indices
``<prefix>-YYYY.MM.DD``, so retention is deleting whole indices whose day is older than the rule:
cheap, exact to the day, and the same on every distribution. Index lifecycle management (ILM)
would do it inside the cluster, but it is not in every distribution (the OSS and integration-test
builds have none) and its age counts from index creation, not from the day of the events it
holds, so a late re-ingest of an old day would be kept a full period again. :func:`plan_retention`
works from the index names alone; :func:`apply_retention` deletes by concrete names (clusters
with ``action.destructive_requires_name`` refuse wildcards).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sectool.traffic.es.template import index_pattern, validate_prefix

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

__all__ = ["RetentionPlan", "apply_retention", "plan_retention"]


@dataclass(frozen=True)
class RetentionPlan:
    """What a retention run deletes and keeps (index names, sorted)."""

    cutoff: date
    delete: tuple[str, ...]
    keep: tuple[str, ...]


def plan_retention(prefix: str, names: list[str], *, keep_days: int, today: date) -> RetentionPlan:
    """Indices of ``prefix`` whose day is before ``today - keep_days`` go; others stay.

    Only names that are exactly ``<prefix>-YYYY.MM.DD`` with a real date count: another prefix
    that shares the pattern (``sectool-events-test-…``) or an index someone made by hand is kept.
    """
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    cutoff = today - timedelta(days=keep_days)
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d{{4}})\.(\d{{2}})\.(\d{{2}})$")
    delete: list[str] = []
    keep: list[str] = []
    for name in sorted(names):
        match = pattern.match(name)
        day = None
        if match:
            try:
                day = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                day = None
        (delete if day is not None and day < cutoff else keep).append(name)
    return RetentionPlan(cutoff, tuple(delete), tuple(keep))


def apply_retention(
    client: Elasticsearch, prefix: str, *, keep_days: int, now: datetime | None = None, dry_run: bool = False
) -> RetentionPlan:
    """Delete the daily indices of ``prefix`` older than ``keep_days`` (UTC days)."""
    validate_prefix(prefix)
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    found = client.indices.get(index=index_pattern(prefix), allow_no_indices=True, expand_wildcards="all")
    plan = plan_retention(prefix, list(found), keep_days=keep_days, today=today)
    if not dry_run:
        for start in range(0, len(plan.delete), 50):  # bounded URL length
            client.indices.delete(index=",".join(plan.delete[start : start + 50]))
    return plan
