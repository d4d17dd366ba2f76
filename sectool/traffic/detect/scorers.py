"""The nine scorers: bucket tables in, findings out. Formulas are written in each docstring
and in ``docs/traffic-detection.md``; thresholds come from ``spec.params`` (the config)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scoring import (
    ScoreContext,
    bowley_skew,
    clip01,
    entropy,
    mad,
    make_finding,
    median,
    scorer,
    to_datetime,
)
from sectool.traffic.detect.spec import WINDOW_START, DetectorSpec, Query

if TYPE_CHECKING:
    import pandas as pd

_MS_HOUR = 3_600_000


def _query(spec: DetectorSpec, name: str) -> Query:
    return next(q for q in spec.queries if q.name == name)


def _windows(df: pd.DataFrame, interval: timedelta, ctx: ScoreContext) -> pd.DataFrame:
    """Rows whose window overlaps ``[since, until)`` (the rest is baseline)."""
    import pandas as pd

    if df.empty:
        return df
    start = pd.Timestamp(ctx.since) - pd.Timedelta(interval)
    return df.loc[df[WINDOW_START] > start]


def _rows(df: pd.DataFrame) -> Iterator[dict[str, Any]]:
    cols = list(df.columns)
    for values in df.itertuples(index=False, name=None):
        yield dict(zip(cols, values, strict=True))


def _grid(start: datetime, end: datetime, interval: timedelta) -> list[datetime]:
    """Epoch-aligned window starts ``w`` with ``start <= w < end``."""
    step = interval.total_seconds()
    first = math.ceil(start.timestamp() / step) * step
    out = []
    t = first
    while t < end.timestamp():
        out.append(datetime.fromtimestamp(t, tz=start.tzinfo))
        t += step
    return out


def _floor(t: datetime, interval: timedelta) -> datetime:
    step = interval.total_seconds()
    return datetime.fromtimestamp(math.floor(t.timestamp() / step) * step, tz=t.tzinfo)


# --------------------------------------------------------------------------- 1 volume spike
@scorer("volume_spike")
def volume_spike(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """x = bytes of a group in a window; baseline = that group's windows in the ``baseline``
    period before it (windows without traffic count as 0); m = median, d = MAD.
    Finding when x >= min_bytes, x >= min_ratio * m and (x - m) / (1.4826 d) >= min_robust_z
    (d = 0 counts as infinitely far). score = 0.5 + 0.5 * (1 - max(min_bytes, min_ratio * m) / x).
    """
    p = spec.params
    q = _query(spec, "windows")
    df = tables["windows"]
    interval, baseline = p["interval"], p["baseline"]
    keys = list(q.group_by)
    out: list[Finding] = []
    if df.empty:
        return out
    hot = _windows(df, interval, ctx)
    hot = hot.loc[hot["sum:network.bytes"] >= p["min_bytes"]]
    if hot.empty:
        return out
    history = {
        k: dict(zip(g[WINDOW_START], g["sum:network.bytes"], strict=True)) for k, g in df.groupby(keys)
    }
    for row in _rows(hot):
        key = tuple(row[k] for k in keys)
        w = to_datetime(row[WINDOW_START])
        x = float(row["sum:network.bytes"])
        series = history[key]  # groupby over a list of keys gives tuple keys
        base = [float(series.get(_ts(b), 0.0)) for b in _grid(w - baseline, w, interval)]
        m, d = median(base), mad(base)
        z = math.inf if d == 0 and x > m else (x - m) / (1.4826 * d) if d else 0.0
        if x < p["min_ratio"] * m or z < p["min_robust_z"]:
            continue
        s = 0.5 + 0.5 * clip01(1 - max(p["min_bytes"], p["min_ratio"] * m) / x)
        value = " ".join(str(v) for v in key)
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="host" if len(keys) == 1 else "service",
                value=value,
                fields=list(zip(keys, key, strict=True)),
                start=w,
                end=w + interval,
                score_=s,
                title=f"{x / 1e6:.0f} MB in {interval}, baseline median {m / 1e6:.1f} MB",
                evidence={
                    "bytes": x,
                    "baseline_median": m,
                    "baseline_mad": d,
                    "robust_z": min(z, 1e9),
                    "events": row["count"],
                },
            )
        )
    return out


def _ts(t: datetime) -> Any:
    import pandas as pd

    return pd.Timestamp(t)


# --------------------------------------------------------------------------- 2 port scan
@scorer("port_scan")
def port_scan(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Vertical: distinct destination ports of one (source, destination) in a window >=
    vertical_min_ports; horizontal: distinct destination hosts of one (source, port) >=
    horizontal_min_hosts. score = 0.5 + 0.5 * (1 - threshold / distinct)."""
    p = spec.params
    out: list[Finding] = []
    for name, card, limit in (
        ("vertical", "cardinality:destination.port", p["vertical_min_ports"]),
        ("horizontal", "cardinality:destination.ip", p["horizontal_min_hosts"]),
    ):
        q = _query(spec, name)
        for row in _rows(_windows(tables[name], p["interval"], ctx)):
            n = int(row[card])
            if n < limit:
                continue
            w = to_datetime(row[WINDOW_START])
            src = row["source.ip"]
            if name == "vertical":
                dst = row["destination.ip"]
                fields: list[tuple[str, Any]] = [("source.ip", src), ("destination.ip", dst)]
                kind, value, title = "pair", f"{src} -> {dst}", f"{n} ports probed on {dst}"
            else:
                port = int(row["destination.port"])
                fields = [("source.ip", src), ("destination.port", port)]
                kind, value, title = "host", f"{src} -> *:{port}", f"port {port} probed on {n} hosts"
            out.append(
                make_finding(
                    spec,
                    ctx,
                    query=q,
                    kind=kind,  # type: ignore[arg-type]
                    value=value,
                    fields=fields,
                    start=w,
                    end=w + p["interval"],
                    score_=0.5 + 0.5 * clip01(1 - limit / n),
                    title=title,
                    evidence={
                        "variant": name,
                        "distinct": n,
                        "connections": int(row["count"]),
                        "first": to_datetime(row["min:@timestamp"]),
                        "last": to_datetime(row["max:@timestamp"]),
                    },
                )
            )
    return out


# --------------------------------------------------------------------------- 3 beaconing
def beacon_score(ts_ms: list[int], sizes: list[float]) -> dict[str, float]:
    """RITA-style beacon score of one pair.

    gaps = differences of the sorted connection times; for gaps and for bytes sent:
    skew_score = 1 - |Bowley skew|, madm_score = max(0, 1 - 2 * MAD / median), and the
    component = mean of the two. hist = hours with a connection / hours between the first and
    the last connection (spread over the day). score = 0.5 gaps + 0.25 bytes + 0.25 hist.
    """
    gaps = [float(b - a) for a, b in itertools.pairwise(ts_ms)]
    med_gap = median(gaps)
    ts_skew = 1 - abs(bowley_skew(gaps))
    ts_madm = clip01(1 - 2 * mad(gaps) / med_gap) if med_gap > 0 else 0.0
    vals = [v for v in sizes if v == v]
    med_b = median(vals)
    ds_skew = 1 - abs(bowley_skew(vals)) if vals else 0.0
    ds_madm = clip01(1 - 2 * mad(vals) / med_b) if med_b > 0 else 0.0
    hours = {t // _MS_HOUR for t in ts_ms}
    span = ts_ms[-1] // _MS_HOUR - ts_ms[0] // _MS_HOUR + 1
    hist = len(hours) / span
    ts_score, ds_score = (ts_skew + ts_madm) / 2, (ds_skew + ds_madm) / 2
    return {
        "score": 0.5 * ts_score + 0.25 * ds_score + 0.25 * hist,
        "gap_median_s": med_gap / 1000,
        "gap_bowley_skew": 1 - ts_skew,
        "gap_mad_over_median": mad(gaps) / med_gap if med_gap > 0 else math.inf,
        "bytes_median": med_b,
        "bytes_mad_over_median": mad(vals) / med_b if med_b > 0 else math.inf,
        "hour_coverage": hist,
        "ts_score": ts_score,
        "ds_score": ds_score,
    }


@scorer("beaconing")
def beaconing(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Score every candidate pair with :func:`beacon_score`; finding when score >= min_score."""
    p = spec.params
    q = _query(spec, "series")
    out: list[Finding] = []
    for row in _rows(tables["series"]):
        ts = [int(t) for t in row["series:@timestamp"]]
        if len(ts) < p["min_connections"]:
            continue
        sizes = [float(x) for x in row["series:source.bytes"]]
        st = beacon_score(ts, sizes)
        if st["score"] < p["min_score"]:
            continue
        first, last = to_datetime(ts[0]), to_datetime(ts[-1])
        if last < ctx.since:
            continue
        src, dst = row["source.ip"], row["destination.ip"]
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="pair",
                value=f"{src} -> {dst}",
                fields=[("source.ip", src), ("destination.ip", dst)],
                start=first,
                end=last + timedelta(milliseconds=1),
                score_=st["score"],
                title=f"{len(ts)} connections every {st['gap_median_s']:.0f}s "
                f"(beacon score {st['score']:.2f})",
                evidence={"connections": len(ts), **{k: v for k, v in st.items() if math.isfinite(v)}},
            )
        )
    return out


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
    q = _query(spec, "domains")
    out: list[Finding] = []
    for row in _rows(_windows(tables["domains"], p["interval"], ctx)):
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


# --------------------------------------------------------------------------- 5 exfiltration
@scorer("exfiltration")
def exfiltration(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Per (internal source, external destination, window): sent >= min_bytes, and either
    sent / (sent + received) >= min_upload_ratio or sent >= baseline_factor * m, where m is the
    median of the source's bytes sent to all external addresses per window over the baseline
    (empty windows = 0). score = 0.5 + 0.5 * (1 - min_bytes / sent)."""
    p = spec.params
    q = _query(spec, "pairs")
    interval = p["interval"]
    hosts = tables["hosts"]
    history = (
        {
            k: dict(zip(g[WINDOW_START], g["sum:source.bytes"], strict=True))
            for k, g in hosts.groupby("source.ip")
        }
        if not hosts.empty
        else {}
    )
    out: list[Finding] = []
    for row in _rows(_windows(tables["pairs"], interval, ctx)):
        sent, recv = float(row["sum:source.bytes"]), float(row["sum:destination.bytes"])
        if sent < p["min_bytes"]:
            continue
        src, dst = row["source.ip"], row["destination.ip"]
        w = to_datetime(row[WINDOW_START])
        series = history.get(src, {})
        base = [float(series.get(_ts(b), 0.0)) for b in _grid(w - p["baseline"], w, interval)]
        m = median(base)
        ratio = sent / (sent + recv) if sent + recv else 0.0
        if ratio < p["min_upload_ratio"] and sent < p["baseline_factor"] * max(m, 1.0):
            continue
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="pair",
                value=f"{src} -> {dst}",
                fields=[("source.ip", src), ("destination.ip", dst)],
                start=w,
                end=w + interval,
                score_=0.5 + 0.5 * clip01(1 - p["min_bytes"] / sent),
                title=f"{sent / 1e6:.0f} MB sent to {dst} (upload ratio {ratio:.2f})",
                evidence={
                    "bytes_sent": sent,
                    "bytes_received": recv,
                    "upload_ratio": ratio,
                    "baseline_median": m,
                    "connections": int(row["count"]),
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
    q = _query(spec, "sources")
    for row in _rows(_windows(tables["sources"], interval, ctx)):
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
    q = _query(spec, "accounts")
    for row in _rows(_windows(tables["accounts"], interval, ctx)):
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


# --------------------------------------------------------------------------- 7 new destination
@scorer("new_destination")
def new_destination(
    spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext
) -> list[Finding]:
    """A (server, external destination) pair first seen at or after ``since``, where the
    server had other external traffic before ``since`` (a baseline exists). A server is in
    ``server_ranges`` or, without them, an address that accepted >= min_server_connections
    internal connections. score = 0.6 + 0.4 * clip(bytes sent / 100 MB)."""
    import pandas as pd

    q = _query(spec, "pairs")
    pairs = tables["pairs"]
    out: list[Finding] = []
    if pairs.empty:
        return out
    since = pd.Timestamp(ctx.since)
    servers = set(tables["servers"]["destination.ip"]) if "servers" in tables else None
    known = set(pairs.loc[pairs["min:@timestamp"] < since, "source.ip"])
    for row in _rows(pairs.loc[pairs["min:@timestamp"] >= since]):
        src, dst = row["source.ip"], row["destination.ip"]
        if src not in known or (servers is not None and src not in servers):
            continue
        first, last = to_datetime(row["min:@timestamp"]), to_datetime(row["max:@timestamp"])
        sent = float(row["sum:source.bytes"])
        out.append(
            make_finding(
                spec,
                ctx,
                query=q,
                kind="pair",
                value=f"{src} -> {dst}",
                fields=[("source.ip", src), ("destination.ip", dst)],
                start=first,
                end=last + timedelta(milliseconds=1),
                score_=0.6 + 0.4 * clip01(sent / 100e6),
                title=f"{src} contacts {dst} for the first time ({int(row['count'])} connections)",
                evidence={
                    "connections": int(row["count"]),
                    "bytes_sent": sent,
                    "first_seen": first,
                    "last_seen": last,
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
    q = _query(spec, "windows")
    df = tables["windows"]
    interval: timedelta = p["interval"]
    key = p["field"]
    out: list[Finding] = []
    if df.empty:
        return out
    grid = _grid(_floor(ctx.since - p["baseline"], interval), ctx.until, interval)
    for name, g in df.groupby(key):
        counts = {to_datetime(w): int(c) for w, c in zip(g[WINDOW_START], g["count"], strict=True)}
        first = min(counts)
        base = [counts.get(w, 0) for w in grid if w >= first and w + interval <= ctx.since]
        if len(base) < 2 or median([float(b) for b in base]) < p["min_baseline_events"]:
            continue
        if sum(1 for b in base if b > 0) / len(base) < p["min_active_share"]:
            continue
        run: list[datetime] = []
        for w in [w for w in grid if w + interval > ctx.since and w + interval <= ctx.until] + [None]:
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
def outside_calendar(t: datetime, wh: Any) -> bool:
    """Whether ``t`` lies outside the working-hours calendar ``wh`` (a WorkingHours model)."""
    local = t.astimezone(ZoneInfo(wh.timezone))
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
    if day not in wh.days or local.date() in wh.holidays:
        return True
    return not wh.start <= local.time().replace(tzinfo=None) < wh.end


@scorer("off_hours_admin")
def off_hours_admin(
    spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext
) -> list[Finding]:
    """An admin session (SSH/RDP/SMB, at least min_duration long) whose first connection in
    the hour starts outside the calendar. score = 0.6 + 0.4 * clip(longest session / 1 h)."""
    q = _query(spec, "sessions")
    wh = ctx.config.working_hours
    out: list[Finding] = []
    for row in _rows(_windows(tables["sessions"], timedelta(hours=1), ctx)):
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
