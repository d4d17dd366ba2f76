"""Scorers of the source-health and calendar detectors: silent source, off-hours
administration (DNS: :mod:`~sectool.traffic.detect.scorers.dns`; logons:
:mod:`~sectool.traffic.detect.scorers.auth`; sensor verdicts:
:mod:`~sectool.traffic.detect.scorers.sensor`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sectool.traffic.detect.config import DAYS, WorkingHours
from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scoring import (
    ScoreContext,
    clip01,
    floor,
    grid,
    make_finding,
    median,
    query_of,
    rows,
    scorer,
    to_datetime,
    windows,
)
from sectool.traffic.detect.spec import WINDOW_START, DetectorSpec

if TYPE_CHECKING:
    import pandas as pd


# --------------------------------------------------------------------------- 8 silent source
@scorer("silent_source")
def silent_source(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """A source with events in >= min_active_share of its baseline windows (from its first
    window to ``since``) and a baseline median >= min_baseline_events, whose count in a
    complete window of the range is <= max_events. Consecutive silent windows make one
    finding. score = 0.5 + 0.5 * clip(silent windows / 6)."""
    p = spec.params
    q = query_of(spec, "windows")
    df = tables["windows"]
    interval: timedelta = p["interval"]
    key = p["field"]
    out: list[Finding] = []
    if df.empty:
        return out
    slots = grid(floor(ctx.since - p["baseline"], interval), ctx.until, interval)
    for name, g in df.groupby(key):
        counts = {to_datetime(w): int(c) for w, c in zip(g[WINDOW_START], g["count"], strict=True)}
        first = min(counts)
        base = [counts.get(w, 0) for w in slots if w >= first and w + interval <= ctx.since]
        if len(base) < 2 or median([float(b) for b in base]) < p["min_baseline_events"]:
            continue
        if sum(1 for b in base if b > 0) / len(base) < p["min_active_share"]:
            continue
        run: list[datetime] = []
        for w in [w for w in slots if w + interval > ctx.since and w + interval <= ctx.until] + [None]:
            if w is not None and counts.get(w, 0) <= p["max_events"]:
                run.append(w)
                continue
            if run:
                out.append(
                    make_finding(
                        spec,
                        ctx,
                        query=q,
                        kind="source",
                        value=str(name),
                        fields=[(key, str(name))],
                        start=run[0],
                        end=run[-1] + interval,
                        score_=0.5 + 0.5 * clip01(len(run) / 6),
                        title=f"{name} silent for {len(run) * interval}",
                        evidence={
                            "silent_windows": len(run),
                            "baseline_median": median([float(b) for b in base]),
                            "baseline_windows": len(base),
                        },
                    )
                )
            run = []
    return out


# --------------------------------------------------------------------------- 9 off-hours admin
def outside_calendar(t: datetime, wh: WorkingHours) -> bool:
    """Whether ``t`` lies outside the working-hours calendar ``wh``."""
    local = t.astimezone(ZoneInfo(wh.timezone))
    if DAYS[local.weekday()] not in wh.days or local.date() in wh.holidays:
        return True
    return not wh.start <= local.time().replace(tzinfo=None) < wh.end


@scorer("off_hours_admin")
def off_hours_admin(
    spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext
) -> list[Finding]:
    """An admin session (SSH/RDP/SMB, at least min_duration long) whose first connection in
    the hour starts outside the calendar. score = 0.6 + 0.4 * clip(longest session / 1 h)."""
    q = query_of(spec, "sessions")
    wh = ctx.config.working_hours
    out: list[Finding] = []
    for row in rows(windows(tables["sessions"], timedelta(hours=1), ctx)):
        start = to_datetime(row["min:@timestamp"])
        if not outside_calendar(start, wh):
            continue
        src, dst, port = row["source.ip"], row["destination.ip"], int(row["destination.port"])
        w = to_datetime(row[WINDOW_START])
        longest = float(row["max:event.duration"]) / 1e9
        local = start.astimezone(ZoneInfo(wh.timezone))
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="pair",
                value=f"{src} -> {dst}:{port}",
                fields=[("source.ip", src), ("destination.ip", dst), ("destination.port", port)],
                start=w,
                end=w + timedelta(hours=1),
                score_=0.6 + 0.4 * clip01(longest / 3600),
                title=f"admin session to {dst}:{port} at {local:%a %H:%M} local time",
                evidence={
                    "sessions": int(row["count"]),
                    "longest_s": longest,
                    "bytes": float(row["sum:network.bytes"]),
                    "local_start": local.isoformat(),
                },
            )
        )
    return out
