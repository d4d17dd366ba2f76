"""Scorers of the connection detectors: volume spike, port scan, beaconing, exfiltration,
new destination. Formulas are in each docstring and in ``docs/traffic-detection.md``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scoring import (
    ScoreContext,
    as_ts,
    bowley_skew,
    clip01,
    grid,
    mad,
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
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

_MS_HOUR = 3_600_000


def _ms(t: datetime) -> int:
    """Epoch milliseconds (exact integer arithmetic, ``t`` aware)."""
    return (t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


# --------------------------------------------------------------------------- 1 volume spike
@scorer("volume_spike")
def volume_spike(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """x = bytes of a group in a window; baseline = that group's windows in the ``baseline``
    period before it (windows without traffic count as 0); m = median, d = MAD.
    Finding when x >= min_bytes, x >= min_ratio * m and (x - m) / (1.4826 d) >= min_robust_z
    (d = 0 counts as infinitely far), and the group has a working level: at least
    min_baseline_windows baseline windows with >= min_bytes / 100, whose median a is
    x >= min_ratio * a. score = 0.5 + 0.5 * (1 - max(min_bytes, min_ratio * m) / x).
    """
    p = spec.params
    q = query_of(spec, "windows")
    df = tables["windows"]
    interval, baseline = p["interval"], p["baseline"]
    keys = list(q.group_by)
    out: list[Finding] = []
    if df.empty:
        return out
    hot = windows(df, interval, ctx)
    hot = hot.loc[hot["sum:network.bytes"] >= p["min_bytes"]]
    if hot.empty:
        return out
    history = {
        k: dict(zip(g[WINDOW_START], g["sum:network.bytes"], strict=True)) for k, g in df.groupby(keys)
    }
    for row in rows(hot):
        key = tuple(row[k] for k in keys)
        w = to_datetime(row[WINDOW_START])
        x = float(row["sum:network.bytes"])
        series = history[key]  # groupby over a list of keys gives tuple keys
        base = [float(series.get(as_ts(b), 0.0)) for b in grid(w - baseline, w, interval)]
        # The host's level when it works: windows with at least 1 % of min_bytes. A host with
        # fewer such windows has no baseline (first seen, or switched on this morning), and a
        # workstation idle at night is compared with its working hours, not with the night.
        active = [v for v in base if v >= p["min_bytes"] / 100]
        if len(active) < p["min_baseline_windows"] or x < p["min_ratio"] * median(active):
            continue
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


# --------------------------------------------------------------------------- 3 beaconing
#: RITA's histogram parameters: bar heights within 5 % of the tallest bar are one mode, the
#: bimodal fit drops one outlier bar, and is only trusted when the pair was seen in >= 11 hours.
HIST_MODE_SENSITIVITY = 0.05
HIST_BIMODAL_MIN_HOURS = 11


def hour_histogram(ts_ms: list[int], window: tuple[int, int]) -> list[float]:
    """Connections per hour over the analysed window ``[start, end)`` (epoch ms).

    Bins are equal-width hours from ``start``; a shorter last bin is scaled up to an hourly
    rate, so a window that is not a whole number of hours does not look uneven.
    """
    start, end = window
    n = max(1, -(-(end - start) // _MS_HOUR))
    counts = [0.0] * n
    for t in ts_ms:
        i = (t - start) // _MS_HOUR
        if 0 <= i < n:
            counts[i] += 1
    last = (end - start) - (n - 1) * _MS_HOUR
    if 0 < last < _MS_HOUR:
        counts[-1] *= _MS_HOUR / last
    return counts


def histogram_score(counts: list[float]) -> dict[str, float]:
    """RITA-style spread of the connections over the analysed window.

    cv_score = 1 - CV / sqrt(B - 1), with CV = population stdev / mean of the B hourly counts
    (zeros included) and sqrt(B - 1) the CV of all connections in one bin: 1 for an even
    spread, 0 for one busy hour, 1 - sqrt((B/k - 1)/(B - 1)) for k of B hours evenly.
    bimodal = share of the bars (minus one outlier) in the two most frequent bar heights
    (heights bucketed by 5 % of the tallest), only when the pair was seen in >= 11 hours
    (a beacon that runs in office hours only: on/off). hist = max(cv_score, bimodal).
    One bin (a window of one hour or less) says nothing about spread: hist = 1.
    """
    b = len(counts)
    seen = sum(1 for c in counts if c > 0)
    total = sum(counts)
    if b < 2 or total <= 0:
        return {
            "hist": 1.0 if b < 2 and total > 0 else 0.0,
            "hist_cv": 0.0,
            "hist_bimodal": 0.0,
            "hours_seen": seen,
        }
    mean = total / b
    cv = math.sqrt(sum((c - mean) ** 2 for c in counts) / b) / mean
    cv_score = clip01(1 - cv / math.sqrt(b - 1))
    bimodal = 0.0
    if seen >= HIST_BIMODAL_MIN_HOURS:
        width = max(1.0, math.ceil(max(counts) * HIST_MODE_SENSITIVITY))
        freq: dict[int, int] = {}
        for c in counts:
            freq[int(c // width)] = freq.get(int(c // width), 0) + 1
        top2 = sum(sorted(freq.values(), reverse=True)[:2])
        bimodal = clip01(top2 / max(1, b - 1))
    return {"hist": max(cv_score, bimodal), "hist_cv": cv_score, "hist_bimodal": bimodal, "hours_seen": seen}


def _median_mad(xs: npt.NDArray[np.float64]) -> tuple[float, float]:
    """(median, median absolute deviation) of a float array; (0.0, 0.0) when empty, as
    :func:`~sectool.traffic.detect.scoring.median` and ``mad`` say."""
    import numpy as np

    if not xs.size:
        return 0.0, 0.0
    med = float(np.median(xs))
    return med, float(np.median(np.abs(xs - med)))


def beacon_score(ts_ms: list[int], sizes: list[float], *, window: tuple[int, int]) -> dict[str, float]:
    """RITA-style beacon score of one pair over the analysed ``window`` (epoch ms, half-open).

    gaps = differences of the sorted connection times; for gaps and for bytes sent:
    skew_score = 1 - |Bowley skew|, madm_score = max(0, 1 - 2 * MAD / median), and the
    component = mean of the two. hist = :func:`histogram_score` of the hourly connection
    counts over the window (spread over the analysed period).
    score = 0.5 gaps + 0.25 bytes + 0.25 hist.
    """
    import numpy as np

    # numpy for speed (thousands of pairs per run); the same arithmetic as scoring.median/mad.
    gaps = np.diff(np.asarray(ts_ms, dtype=np.int64)).astype(np.float64)
    med_gap, mad_gap = _median_mad(gaps)
    ts_skew = 1 - abs(bowley_skew(gaps)) if gaps.size else 1.0
    ts_madm = clip01(1 - 2 * mad_gap / med_gap) if med_gap > 0 else 0.0
    arr = np.asarray(sizes, dtype=np.float64)
    vals = arr[~np.isnan(arr)]
    med_b, mad_b = _median_mad(vals)
    ds_skew = 1 - abs(bowley_skew(vals)) if vals.size else 0.0
    ds_madm = clip01(1 - 2 * mad_b / med_b) if med_b > 0 else 0.0
    hist = histogram_score(hour_histogram(ts_ms, window))
    ts_score, ds_score = (ts_skew + ts_madm) / 2, (ds_skew + ds_madm) / 2
    return {
        "score": 0.5 * ts_score + 0.25 * ds_score + 0.25 * hist["hist"],
        "gap_median_s": med_gap / 1000,
        "gap_bowley_skew": 1 - ts_skew,
        "gap_mad_over_median": mad_gap / med_gap if med_gap > 0 else math.inf,
        "bytes_median": med_b,
        "bytes_mad_over_median": mad_b / med_b if med_b > 0 else math.inf,
        **hist,
        "ts_score": ts_score,
        "ds_score": ds_score,
    }


@scorer("beaconing")
def beaconing(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Score every candidate pair with :func:`beacon_score`; finding when score >= min_score."""
    p = spec.params
    q = query_of(spec, "series")
    out: list[Finding] = []
    for row in rows(tables["series"]):
        ts = [int(t) for t in row["series:@timestamp"]]
        if len(ts) < p["min_connections"]:
            continue
        sizes = [float(x) for x in row["series:source.bytes"]]
        # The histogram spans the pair's own activity, not the analysed range: a wider range
        # beyond the data must not change the score.
        st = beacon_score(ts, sizes, window=(ts[0], ts[-1] + 1))
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


# --------------------------------------------------------------------------- 5 exfiltration
@scorer("exfiltration")
def exfiltration(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """Per (internal source, external destination, window): sent >= min_bytes, and either
    sent / (sent + received) >= min_upload_ratio or sent >= baseline_factor * m, where m is the
    median of the source's bytes sent to all external addresses per window over the baseline
    (empty windows = 0). score = 0.5 + 0.5 * (1 - min_bytes / sent)."""
    p = spec.params
    q = query_of(spec, "pairs")
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
    for row in rows(windows(tables["pairs"], interval, ctx)):
        sent, recv = float(row["sum:source.bytes"]), float(row["sum:destination.bytes"])
        if sent < p["min_bytes"]:
            continue
        src, dst = row["source.ip"], row["destination.ip"]
        w = to_datetime(row[WINDOW_START])
        series = history.get(src, {})
        base = [float(series.get(as_ts(b), 0.0)) for b in grid(w - p["baseline"], w, interval)]
        m = median(base)
        ratio = sent / (sent + recv) if sent + recv else 0.0
        # The baseline rule needs a baseline: uploads in enough of its windows.
        has_baseline = sum(1 for v in base if v > 0) >= p["min_baseline_windows"]
        heavy = has_baseline and sent >= p["baseline_factor"] * max(m, 1.0)
        if ratio < p["min_upload_ratio"] and not heavy:
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

    q = query_of(spec, "pairs")
    pairs = tables["pairs"]
    out: list[Finding] = []
    if pairs.empty:
        return out
    since = pd.Timestamp(ctx.since)
    servers = set(tables["servers"]["destination.ip"]) if "servers" in tables else None
    known = set(pairs.loc[pairs["min:@timestamp"] < since, "source.ip"])
    for row in rows(pairs.loc[pairs["min:@timestamp"] >= since]):
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
