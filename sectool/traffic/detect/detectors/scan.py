"""The scan detector as a specification: vertical and horizontal port scans at three time
scales, ICMP ping sweeps, ARP and DHCP sweeps and probe bursts (OS detection), all reported as
``port_scan`` findings.

Counts are taken per short window (a fast scan: 50 ports in a minute), per hour (the classic
threshold), and over the analysed range as a rate per day of the scanner's own active span
(a slow scan from the Internet: 100 ports a day), so the same defaults hold on a two-minute
capture and on a month of logs. The scorer (:mod:`~sectool.traffic.detect.scorers.scan`) merges
what several scales report about one scan into one finding.
"""

from __future__ import annotations

from datetime import timedelta

from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.config.scan_c2 import FAILED_STATES
from sectool.traffic.detect.filters import And, Cidr, Eq, Exists, Filter, In, Not, Or
from sectool.traffic.detect.spec import Candidates, Cardinality, Count, DetectorSpec, Having, Max, Min, Query

__all__ = ["DHCP_REQUESTED", "ICMP_ECHO_TYPES", "SCALES", "port_scan"]

SRC, DST, PORT = "source.ip", "destination.ip", "destination.port"
STATE = "sectool.connection.state"
DHCP_REQUESTED = "sectool.dhcp.requested_ip"
#: ICMP echo request (IPv4) and ICMPv6 echo request.
ICMP_ECHO_TYPES = (8, 128)
ICMP_TRANSPORTS = ("icmp", "ipv6-icmp")
#: The scales of the port queries, in the order the scorer reads them.
SCALES = ("short", "hour", "slow")
#: Logs of other shippers may carry no connection state: every attempt then counts as answered,
#: and only the unconditional thresholds apply.
_OPTIONAL_STATE = frozenset({STATE})


def _failed() -> Filter:
    return In(STATE, FAILED_STATES)


def _metrics(distinct: str) -> tuple[Count | Cardinality | Min | Max, ...]:
    return (
        Count(),
        Count(where=_failed(), name="failed"),
        Cardinality(distinct),
        Min("@timestamp"),
        Max("@timestamp"),
    )


def _pruned(group_by: tuple[str, ...], having: tuple[Having, ...], limit: int) -> Candidates:
    """The first phase of a windowed query: the groups whose whole range already reaches every
    threshold. Exact, since a window never counts more distinct values or failures than the
    whole range; it keeps the per-window aggregation to the few groups that can hold a scan
    (without it, 5-minute windows of every host pair of a month are millions of buckets)."""
    metrics: list[Count | Cardinality] = []
    for h in having:
        kind, _, field = h.column.partition(":")
        if kind == "cardinality":
            metrics.append(Cardinality(field))
        elif kind == "count" and field == "failed":
            metrics.append(Count(where=_failed(), name="failed"))
        else:
            raise ValueError(f"no first phase for {h.column}")
    return Candidates(group_by=group_by, metrics=tuple(metrics), having=having, limit=limit)


def port_scan(cfg: DetectConfig) -> DetectorSpec:
    """``port_scan``: see :mod:`sectool.traffic.detect.scorers.scan` for the rules."""
    from sectool.traffic.detect.detectors import NETWORK, _all, _allow

    c = cfg.detectors.port_scan
    scope = Cidr(DST, cfg.internal_ranges) if c.internal_destinations_only else None
    # TCP/UDP (and SCTP) flows only: ICMP "ports" are type and code, counted below as a sweep.
    ports = _all(NETWORK, Exists(PORT), Not(In("network.transport", ICMP_TRANSPORTS)), scope, _allow(cfg))
    grid: dict[str, tuple[timedelta | None, int, int]] = {
        "short": (c.short_interval, c.short_vertical_min_ports, c.short_horizontal_min_hosts),
        "hour": (c.interval, c.vertical_min_ports, c.horizontal_min_hosts),
        "slow": (None, c.slow_vertical_ports_per_day, c.slow_horizontal_hosts_per_day),
    }
    queries: list[Query] = []
    for scale in SCALES:
        interval, min_ports, min_hosts = grid[scale]
        v_having = (Having(f"cardinality:{PORT}", ">=", min_ports),)
        h_having = (Having(f"cardinality:{DST}", ">=", min_hosts),)
        windowed = interval is not None
        queries.append(
            Query(
                name=f"vertical_{scale}",
                group_by=(SRC, DST),
                metrics=_metrics(PORT),
                filter=ports,
                interval=interval,
                having=v_having,
                optional=_OPTIONAL_STATE,
                candidates=_pruned((SRC, DST), v_having, c.max_candidates) if windowed else None,
            )
        )
        queries.append(
            Query(
                name=f"horizontal_{scale}",
                group_by=(SRC, PORT),
                metrics=_metrics(DST),
                filter=ports,
                interval=interval,
                having=h_having,
                optional=_OPTIONAL_STATE,
                candidates=_pruned((SRC, PORT), h_having, c.max_candidates) if windowed else None,
            )
        )
    # Readers put the ICMP type in sectool.icmp.type, Zeek and the capture reader also in
    # source.port (Zeek's convention: id.orig_p is the type): either marks an echo request.
    echo = Or((In("sectool.icmp.type", ICMP_ECHO_TYPES), In("source.port", ICMP_ECHO_TYPES)))
    icmp_scope = _all(NETWORK, In("network.transport", ICMP_TRANSPORTS), echo, scope, _allow(cfg))
    queries.append(
        Query(
            name="icmp",
            group_by=(SRC,),
            metrics=(Count(), Cardinality(DST), Min("@timestamp"), Max("@timestamp")),
            filter=icmp_scope,
            interval=c.short_interval,
            having=(Having(f"cardinality:{DST}", ">=", c.icmp_min_hosts),),
            optional=frozenset({"sectool.icmp.type", "source.port"}),
        )
    )
    arp = And((In("event.dataset", ("sectool.arp", "zeek.arp")), Eq("event.action", "arp-request")))
    queries.append(
        Query(
            name="arp",
            group_by=(SRC,),
            metrics=(Count(), Cardinality(DST), Min("@timestamp"), Max("@timestamp")),
            filter=_all(arp, _allow(cfg)),
            interval=c.short_interval,
            having=(Having(f"cardinality:{DST}", ">=", c.arp_min_targets),),
            optional=frozenset({"event.action"}),
        )
    )
    # DHCP: one client asking for many addresses. The MACs are counted so that a relay or a
    # server-side log (many clients behind one address) is not one client.
    queries.append(
        Query(
            name="dhcp",
            group_by=(SRC,),
            metrics=(Count(), Cardinality(DHCP_REQUESTED), Cardinality("source.mac"), Min("@timestamp"),
                     Max("@timestamp")),
            filter=_all(Exists(DHCP_REQUESTED), _allow(cfg)),
            interval=c.short_interval,
            having=(Having(f"cardinality:{DHCP_REQUESTED}", ">=", c.dhcp_min_addresses),),
            optional=frozenset({DHCP_REQUESTED, "source.mac"}),
        )
    )  # fmt: skip
    # Probe bursts: a few ports of one host, many failed attempts, in seconds (the scorer checks
    # the span); the having keeps the rows few.
    probe_having = (
        Having("count:failed", ">=", c.probe_min_failed),
        Having(f"cardinality:{PORT}", ">=", c.probe_min_ports),
    )
    queries.append(
        Query(
            name="probe",
            group_by=(SRC, DST),
            metrics=_metrics(PORT),
            filter=ports,
            interval=c.short_interval,
            having=probe_having,
            optional=_OPTIONAL_STATE,
            candidates=_pruned((SRC, DST), probe_having, c.max_candidates),
        )
    )
    return DetectorSpec(
        "port_scan",
        tuple(queries),
        "port_scan",
        ("T1046", "T1018"),
        c.model_dump(),
        "many ports on one host, one port on many hosts, ping and ARP sweeps",
    )
