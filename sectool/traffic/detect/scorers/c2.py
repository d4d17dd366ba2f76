"""Scorer of the command-and-control detector: the signals of one pair -> one finding.

For an (internal source, external destination) pair on uncommon ports, over the pair's own
active span (first to last connection, so the score does not depend on the analysed range):

* **rate**: n >= ``rate_min_connections``, n per hour >= ``rate_min_per_hour``, over a span
  >= ``rate_min_span`` (a RAT's session that reconnects all the time);
  strength clip(1 - rate_min_per_hour / rate);
* **long**: total connected time >= ``long_min_total`` or one session >= ``long_min_single``;
  strength clip(total / (4 long_min_total));
* **beacon**: n >= ``beacon_min_connections`` and the beacon score
  (:func:`~sectool.traffic.detect.scorers.net.beacon_score`, its histogram over the pair's own
  span) >= ``beacon_min_score``; strength (b - min) / (1 - min).

A pair with at least one signal is a finding; score = 0.6 + 0.2 max(strength) + 0.1 (signals - 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scoring import (
    ScoreContext,
    clip01,
    make_finding,
    query_of,
    rows,
    scorer,
    to_datetime,
)
from sectool.traffic.detect.spec import DetectorSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["c2", "c2_signals"]

_HOUR = timedelta(hours=1)
_MS = timedelta(milliseconds=1)


def c2_signals(
    params: Mapping[str, Any],
    *,
    connections: int,
    first: datetime,
    last: datetime,
    total_ns: float,
    longest_ns: float,
    beacon: float | None,
) -> dict[str, float]:
    """The strength (0..1) of each signal that holds for one pair (absent: does not hold)."""
    out: dict[str, float] = {}
    span = last - first
    if (
        connections >= params["rate_min_connections"]
        and span >= params["rate_min_span"]
        and span > timedelta(0)
    ):
        rate = connections / (span / _HOUR)
        if rate >= params["rate_min_per_hour"]:
            out["rate"] = clip01(1 - params["rate_min_per_hour"] / rate)
    total_min = params["long_min_total"].total_seconds() * 1e9
    if total_ns >= total_min or longest_ns >= params["long_min_single"].total_seconds() * 1e9:
        out["long"] = clip01(total_ns / (4 * total_min)) if total_min else 1.0
    if beacon is not None and connections >= params["beacon_min_connections"]:
        floor = params["beacon_min_score"]
        if beacon >= floor:
            out["beacon"] = clip01((beacon - floor) / (1 - floor)) if floor < 1 else 1.0
    return out


def c2_score(signals: Mapping[str, float]) -> float:
    """0.6 + 0.2 max(strength) + 0.1 (signals - 1)."""
    return 0.6 + 0.2 * max(signals.values()) + 0.1 * (len(signals) - 1)


@scorer("c2")
def c2(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """One finding per pair with at least one signal (module docstring)."""
    from sectool.traffic.detect.scorers.net import beacon_score

    p = spec.params
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for name in ("long", "busy"):  # busy last: its row also has the series
        for row in rows(tables[name]):
            pairs[(row["source.ip"], row["destination.ip"])] = row | {"_query": name}
    out: list[Finding] = []
    for (src, dst), row in sorted(pairs.items()):
        first, last = to_datetime(row["min:@timestamp"]), to_datetime(row["max:@timestamp"])
        if last < ctx.since:
            continue
        n = int(row["count"])
        beacon: dict[str, float] = {}
        if "series:@timestamp" in row and len(row["series:@timestamp"]) >= 3:
            ts = [int(t) for t in row["series:@timestamp"]]
            sizes = [float(x) for x in row["series:source.bytes"]]
            beacon = beacon_score(ts, sizes, window=(ts[0], ts[-1] + 1))
        total = float(row["sum:event.duration"])
        longest = (
            float(row["max:event.duration"])
            if row["max:event.duration"] == row["max:event.duration"]
            else 0.0
        )
        signals = c2_signals(
            p,
            connections=n,
            first=first,
            last=last,
            total_ns=total,
            longest_ns=longest,
            beacon=beacon.get("score"),
        )
        if not signals:
            continue
        ports = [int(x) for x in row["terms:destination.port"]]
        evidence: dict[str, Any] = {
            "signals": sorted(signals),
            "connections": n,
            "ports": ports,
            "bytes_sent": float(row["sum:source.bytes"]),
            "first": first,
            "last": last,
            "connections_per_hour": round(n / max((last - first) / _HOUR, 1 / 3600), 2),
            "total_duration_s": round(total / 1e9, 3),
            "longest_duration_s": round(longest / 1e9, 3),
        }
        if beacon:
            evidence["beacon_score"] = round(beacon["score"], 4)
            evidence["gap_median_s"] = beacon["gap_median_s"]
        evidence.update({f"strength_{k}": round(v, 4) for k, v in signals.items()})
        evidence = {k: v for k, v in evidence.items() if not (isinstance(v, float) and not math.isfinite(v))}
        port_text = ",".join(str(x) for x in ports)
        out.append(
            make_finding(
                spec,
                ctx,
                query=query_of(spec, row["_query"]),
                kind="pair",
                value=f"{src} -> {dst}",
                fields=[("source.ip", src), ("destination.ip", dst)],
                start=first,
                end=last + _MS,
                score_=c2_score(signals),
                title=f"C2 channel to {dst} port {port_text}: {' + '.join(sorted(signals))} "
                f"({n} connections)",
                evidence=evidence,
            )
        )
    return out
