"""Scorers of the DNS, logon, source-health and calendar detectors: DNS tunnelling, brute
force, silent source, off-hours administration."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sectool.traffic.detect.config import DAYS, WorkingHours
from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scoring import (
    ScoreContext,
    clip01,
    entropy,
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


# --------------------------------------------------------------------------- 4 DNS tunnelling
@scorer("dns_tunnelling")
def dns_tunnelling(
    spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext
) -> list[Finding]:
    """Per registered domain and window: u = distinct subdomains (>= min_unique_subdomains);
    over the sampled subdomains L = mean longest label, H = mean Shannon entropy (bits/char,
    dots removed); t = share of TXT/NULL queries. Finding when (L >= min_label_length and
    H >= min_entropy) or (t >= 0.5 and L >= min_label_length / 2).
    score = 0.5 + 0.2 clip(log10(u / min_unique)) + 0.15 clip(L / 63) + 0.15 t."""
    p = spec.params
    q = query_of(spec, "domains")
    out: list[Finding] = []
    for row in rows(windows(tables["domains"], p["interval"], ctx)):
        u = int(row["cardinality:dns.question.subdomain"])
        subs = [s for s in row["terms:dns.question.subdomain"] if s]
        if u < p["min_unique_subdomains"] or not subs:
            continue
        longest = sum(max(len(label) for label in s.split(".")) for s in subs) / len(subs)
        ent = sum(entropy(s.replace(".", "")) for s in subs) / len(subs)
        share = int(row["count:txt_null"]) / max(1, int(row["count"]))
        if not (
            (longest >= p["min_label_length"] and ent >= p["min_entropy"])
            or (share >= 0.5 and longest >= p["min_label_length"] / 2)
        ):
            continue
        dom = row["dns.question.registered_domain"]
        w = to_datetime(row[WINDOW_START])
        s = (
            0.5
            + 0.2 * clip01(math.log10(u / p["min_unique_subdomains"]))
            + 0.15 * clip01(longest / 63)
            + 0.15 * share
        )
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="domain",
                value=dom,
                fields=[("dns.question.registered_domain", dom)],
                start=w,
                end=w + p["interval"],
                score_=s,
                title=f"{u} distinct subdomains of {dom}, mean label {longest:.0f} chars, "
                f"{share:.0%} TXT/NULL",
                evidence={
                    "queries": int(row["count"]),
                    "unique_subdomains": u,
                    "mean_longest_label": longest,
                    "mean_entropy": ent,
                    "txt_null_share": share,
                    "clients": list(row["terms:source.ip"]),
                    "examples": subs[:3],
                },
            )
        )
    return out


# --------------------------------------------------------------------------- 6 brute force
@scorer("brute_force")
def brute_force(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Failed logons per window. Per source: accounts >= spray_min_accounts is spraying
    (score 0.5 + 0.5 (1 - spray_min_accounts / accounts)); else failures >= min_failures is
    brute force (score 0.5 + 0.5 (1 - min_failures / failures)). Per account: failures >=
    account_min_failures from >= account_min_sources sources is a distributed attack."""
    p = spec.params
    interval = p["interval"]
    out: list[Finding] = []
    q = query_of(spec, "sources")
    for row in rows(windows(tables["sources"], interval, ctx)):
        n, accounts = int(row["count"]), int(row["cardinality:user.name"])
        src = row["source.ip"]
        w = to_datetime(row[WINDOW_START])
        if accounts >= p["spray_min_accounts"]:
            variant, s, tech = (
                "spraying",
                0.5 + 0.5 * clip01(1 - p["spray_min_accounts"] / accounts),
                ("T1110", "T1110.003"),
            )
            title = f"failed logons for {accounts} accounts from {src}"
        elif n >= p["min_failures"]:
            variant, s, tech = (
                "brute_force",
                0.5 + 0.5 * clip01(1 - p["min_failures"] / n),
                ("T1110", "T1110.001"),
            )
            title = f"{n} failed logons from {src}"
        else:
            continue
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="host",
                value=src,
                fields=[("source.ip", src)],
                start=w,
                end=w + interval,
                score_=s,
                title=title,
                techniques=tech,
                evidence={
                    "variant": variant,
                    "failures": n,
                    "accounts": accounts,
                    "targets": int(row["cardinality:destination.ip"]),
                    "top_accounts": list(row["terms:user.name"]),
                    "top_targets": list(row["terms:destination.ip"]),
                },
            )
        )
    q = query_of(spec, "accounts")
    for row in rows(windows(tables["accounts"], interval, ctx)):
        n, sources = int(row["count"]), int(row["cardinality:source.ip"])
        if n < p["account_min_failures"] or sources < p["account_min_sources"]:
            continue
        user = row["user.name"]
        w = to_datetime(row[WINDOW_START])
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="account",
                value=user,
                fields=[("user.name", user)],
                start=w,
                end=w + interval,
                score_=0.5 + 0.5 * clip01(1 - p["account_min_failures"] / n),
                title=f"{n} failed logons for {user} from {sources} sources",
                techniques=("T1110", "T1110.001"),
                evidence={
                    "variant": "account",
                    "failures": n,
                    "sources": sources,
                    "top_sources": list(row["terms:source.ip"]),
                },
            )
        )
    return out


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
