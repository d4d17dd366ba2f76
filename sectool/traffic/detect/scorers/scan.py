"""Scorer of the scan detector: bucket rows of every scale -> one finding per scan.

A row of a port query (``vertical_<scale>``, ``horizontal_<scale>``) is a scan when its distinct
count n reaches the scale's threshold T and the share f of failed attempts (no answer, refused,
reset, half-open: :data:`~sectool.traffic.detect.config.scan_c2.FAILED_STATES`) is at least
``min_failed_share``, or when n reaches ``unconditional_factor`` x T whatever the states (logs
without connection states). The slow scale has no window: T is the per-day threshold times the
row's own active span in days (at least one), and it always needs ``slow_min_failed_share``.
ICMP and ARP rows are sweeps when they reach ``icmp_min_hosts`` / ``arp_min_targets``.

The rows of one variant and entity whose active spans (first to last event) overlap are one
scan: one finding over the union of the spans, with the evidence of its strongest row and the
scales that saw it. score = 0.5 + 0.3 clip(1 - T/n) + 0.2 f (sweeps: f = 1 for ARP, the ICMP
share is not known, 0.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sectool.traffic.detect.detectors.scan import DHCP_REQUESTED, SCALES
from sectool.traffic.detect.findings import EntityKind, Finding
from sectool.traffic.detect.scoring import (
    ScoreContext,
    clip01,
    make_finding,
    query_of,
    rows,
    scorer,
    to_datetime,
    windows,
)
from sectool.traffic.detect.spec import DetectorSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Hit", "is_scan", "merge_hits", "port_scan", "scan_score"]

_DAY = timedelta(days=1)
_MS = timedelta(milliseconds=1)


def is_scan(n: int, failed_share: float, threshold: float, min_share: float, factor: float) -> bool:
    """Whether ``n`` distinct ports/hosts with this failed share make a scan at ``threshold``."""
    return n >= threshold and (failed_share >= min_share or n >= factor * threshold)


def scan_score(n: int, threshold: float, failed_share: float) -> float:
    """0.5 + 0.3 clip(1 - T/n) + 0.2 f."""
    return 0.5 + 0.3 * clip01(1 - threshold / n) + 0.2 * clip01(failed_share)


@dataclass
class Hit:
    """One bucket row that is a scan."""

    variant: str
    key: tuple[Any, ...]
    first: datetime
    last: datetime
    n: int
    connections: int
    failed_share: float
    threshold: float
    scale: str
    score: float
    scales: set[str] = field(default_factory=set)


def merge_hits(hits: list[Hit]) -> list[Hit]:
    """Hits of the same variant and key whose spans overlap become one (the strongest row's
    numbers, the union of the spans and of the scales)."""
    out: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.variant, h.key, h.first, h.last)):
        prev = out[-1] if out else None
        if prev is not None and (prev.variant, prev.key) == (h.variant, h.key) and h.first <= prev.last:
            best = h if (h.score, h.n) > (prev.score, prev.n) else prev
            merged = Hit(**{**best.__dict__, "scales": prev.scales | {h.scale}})
            merged.first, merged.last = prev.first, max(prev.last, h.last)
            out[-1] = merged
        else:
            out.append(Hit(**{**h.__dict__, "scales": {h.scale}}))
    return out


def _port_hits(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Hit]:
    p = spec.params
    limits = {
        "short": (p["short_interval"], p["short_vertical_min_ports"], p["short_horizontal_min_hosts"]),
        "hour": (p["interval"], p["vertical_min_ports"], p["horizontal_min_hosts"]),
        "slow": (None, p["slow_vertical_ports_per_day"], p["slow_horizontal_hosts_per_day"]),
    }
    hits: list[Hit] = []
    for scale in SCALES:
        interval, min_ports, min_hosts = limits[scale]
        for variant, card, base in (
            ("vertical", "cardinality:destination.port", min_ports),
            ("horizontal", "cardinality:destination.ip", min_hosts),
        ):
            table = tables[f"{variant}_{scale}"]
            if interval is not None:
                table = windows(table, interval, ctx)
            for row in rows(table):
                n, count = int(row[card]), int(row["count"])
                share = int(row["count:failed"]) / count if count else 0.0
                first, last = to_datetime(row["min:@timestamp"]), to_datetime(row["max:@timestamp"])
                threshold, min_share = float(base), p["min_failed_share"]
                factor = p["unconditional_factor"]
                if scale == "slow":
                    # A day of browsing reaches hundreds of hosts on 443: slow scans always need
                    # the failed share.
                    threshold = base * max(1.0, (last - first) / _DAY)
                    min_share, factor = p["slow_min_failed_share"], float("inf")
                if not is_scan(n, share, threshold, min_share, factor):
                    continue
                second = "destination.ip" if variant == "vertical" else "destination.port"
                key = (row["source.ip"], row[second])
                hits.append(
                    Hit(variant, key, first, last, n, count, share, threshold, scale,
                        scan_score(n, threshold, share))
                )  # fmt: skip
    return hits


def _sweep_hits(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Hit]:
    p = spec.params
    hits: list[Hit] = []
    for variant, threshold, share, card in (
        ("icmp", p["icmp_min_hosts"], 0.5, "cardinality:destination.ip"),
        ("arp", p["arp_min_targets"], 1.0, "cardinality:destination.ip"),
        ("dhcp", p["dhcp_min_addresses"], 1.0, f"cardinality:{DHCP_REQUESTED}"),
    ):
        for row in rows(windows(tables[variant], p["short_interval"], ctx)):
            n = int(row[card])
            # DHCP: one client is one MAC (a relay speaks for many; no MAC counts as one).
            if n < threshold or (variant == "dhcp" and int(row["cardinality:source.mac"]) > 1):
                continue
            first, last = to_datetime(row["min:@timestamp"]), to_datetime(row["max:@timestamp"])
            hits.append(
                Hit(variant, (row["source.ip"],), first, last, n, int(row["count"]), share,
                    float(threshold), "short", scan_score(n, threshold, share))
            )  # fmt: skip
    return hits


def _probe_hits(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Hit]:
    """Probe bursts: the query's having already asked for the ports and failures; here the
    burst must also be short (``probe_max_span``) and mostly failed."""
    p = spec.params
    hits: list[Hit] = []
    threshold = float(p["probe_min_failed"])
    for row in rows(windows(tables["probe"], p["short_interval"], ctx)):
        count, failed = int(row["count"]), int(row["count:failed"])
        first, last = to_datetime(row["min:@timestamp"]), to_datetime(row["max:@timestamp"])
        share = failed / count if count else 0.0
        if last - first > p["probe_max_span"] or share < p["min_failed_share"]:
            continue
        hits.append(
            Hit("probe", (row["source.ip"], row["destination.ip"]), first, last,
                int(row["cardinality:destination.port"]), count, share, threshold, "short",
                scan_score(failed, threshold, share))
        )  # fmt: skip
    return hits


_TITLES = {
    "vertical": "{n} ports probed on {b}",
    "horizontal": "port {b} probed on {n} hosts",
    "icmp": "ping sweep of {n} hosts",
    "arp": "ARP sweep of {n} addresses",
    "dhcp": "DHCP requests for {n} addresses",
    "probe": "probe burst: {c} failed attempts on {n} ports of {b}",
}


@scorer("port_scan")
def port_scan(spec: DetectorSpec, tables: Mapping[str, pd.DataFrame], ctx: ScoreContext) -> list[Finding]:
    """One finding per scan (see the module docstring for the rules and the score)."""
    hits = merge_hits(_port_hits(spec, tables, ctx) + _sweep_hits(spec, tables, ctx))
    # A probe burst that a vertical scan of the same pair already covers adds nothing.
    vertical = [h for h in hits if h.variant == "vertical"]
    hits += [
        h
        for h in merge_hits(_probe_hits(spec, tables, ctx))
        if not any(v.key == h.key and v.first <= h.last and h.first <= v.last for v in vertical)
    ]
    out: list[Finding] = []
    for h in hits:
        src = h.key[0]
        kind: EntityKind
        if h.variant in ("vertical", "probe"):
            fields: list[tuple[str, Any]] = [("source.ip", src), ("destination.ip", h.key[1])]
            query = f"vertical_{h.scale}" if h.variant == "vertical" else "probe"
            kind, value = "pair", f"{src} -> {h.key[1]}"
        elif h.variant == "horizontal":
            port = int(h.key[1])
            fields = [("source.ip", src), ("destination.port", port)]
            kind, value, query = "host", f"{src} -> *:{port}", f"horizontal_{h.scale}"
        else:
            fields = [("source.ip", src)]
            kind, value, query = "host", str(src), h.variant
        out.append(
            make_finding(
                spec,
                ctx,
                query=query_of(spec, query),
                kind=kind,
                value=value,
                fields=fields,
                start=h.first,
                end=h.last + _MS,
                score_=h.score,
                title=_TITLES[h.variant].format(n=h.n, b=h.key[-1], c=round(h.failed_share * h.connections)),
                evidence={
                    "variant": h.variant,
                    "distinct": h.n,
                    "connections": h.connections,
                    "failed_share": round(h.failed_share, 4),
                    "threshold": round(h.threshold, 2),
                    "scales": sorted(h.scales, key=SCALES.index),
                    "first": h.first,
                    "last": h.last,
                },
            )
        )
    return out
