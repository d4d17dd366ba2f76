"""The command-and-control detector as a specification (``c2``).

It reads an internal host's connections to one external address on an uncommon port (not in
``common_ports``) twice: the pairs with many connections, with their connection times and bytes
(for the rate and the regularity), and the pairs with long connected time (for persistence,
after RITA's long-connection analysis). The scorer (:mod:`~sectool.traffic.detect.scorers.c2`)
turns the signals of one pair into ONE finding with the evidence of each.
"""

from __future__ import annotations

from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.filters import Cidr, Eq, Filter, In, Not
from sectool.traffic.detect.spec import (
    Candidates,
    Count,
    DetectorSpec,
    Having,
    Max,
    Min,
    Query,
    Series,
    Sum,
    Terms,
)

__all__ = ["c2"]

SRC, DST, PORT = "source.ip", "destination.ip", "destination.port"
DURATION = "event.duration"
#: Multicast (IPv4, IPv6) and the limited broadcast address.
NOT_PEERS = ("224.0.0.0/4", "255.255.255.255/32", "ff00::/8")


def _uncommon(cfg: DetectConfig) -> Filter:
    from sectool.traffic.detect.detectors import _all, _outbound

    # Multicast and broadcast "destinations" are local discovery (SSDP, mDNS, DHCP), not peers.
    return _all(_outbound(cfg), Not(Cidr(DST, NOT_PEERS)), Not(In(PORT, cfg.detectors.c2.common_ports)))


def c2(cfg: DetectConfig) -> DetectorSpec:
    """``c2``: rate, persistence and regularity of a pair on an uncommon port."""
    from sectool.traffic.detect.detectors import _all

    c = cfg.detectors.c2
    flt = _uncommon(cfg)
    shape = (
        Count(),
        Sum(DURATION),
        Max(DURATION),
        Sum("source.bytes"),
        Min("@timestamp"),
        Max("@timestamp"),
        Terms(PORT, 3),
    )
    busy = Query(
        name="busy",
        group_by=(SRC, DST),
        metrics=(*shape, Series(("@timestamp", "source.bytes"), limit=c.max_points, aligned=False)),
        filter=flt,
        candidates=Candidates(
            group_by=(SRC, DST),
            metrics=(Count(),),
            having=(Having("count", ">=", min(c.beacon_min_connections, c.rate_min_connections)),),
            limit=c.max_candidates,
        ),
    )
    shortest = min(c.long_min_total, c.long_min_single)
    long = Query(
        name="long",
        group_by=(SRC, DST),
        metrics=shape,
        # TCP sessions: a UDP "session" is a flow timeout's artefact (media calls are long too).
        filter=_all(flt, Eq("network.transport", "tcp")),
        having=(Having(f"sum:{DURATION}", ">=", shortest.total_seconds() * 1e9),),
    )
    return DetectorSpec(
        "c2",
        (busy, long),
        "c2",
        ("T1071", "T1571", "T1573"),
        c.model_dump(),
        "an internal host's persistent, high-rate, long or regular channel to one external "
        "address on an uncommon port",
    )
