"""Settings of the scan and command-and-control detectors (``port_scan``, ``c2``).

Part of :class:`sectool.traffic.detect.config.DetectConfig` (``detectors.<name>``); kept in their
own module so that ``config.py`` stays one page. Every value has a documented default
(docs/traffic-detection.md, "Scans" and "Command and control"); unknown keys are errors.

The defaults are meant to hold both on a two-minute capture and on a month of logs: scans are
counted in short windows (a fast scan), in hours (the classic threshold) and as a rate per day
of the scanner's own active span (a slow scan), never per analysed range.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = ["C2", "COMMON_PORTS", "FAILED_STATES", "PortScan"]


def _duration(value: Any) -> timedelta:
    # Imported on use: config.py imports this module while it is being built.
    from sectool.traffic.detect.config import parse_duration

    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]

#: Zeek ``conn_state`` values of a connection attempt that found no service: no answer (S0),
#: refused (REJ), SYN then reset before an answer (RSTOS0), answered with SYN-ACK then reset
#: (RSTRH), half-open (SH, SHR) and midstream without a handshake (OTH, nmap's odd-flag probes).
FAILED_STATES: tuple[str, ...] = ("S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR", "OTH")

#: Destination ports of everyday services: web, mail, DNS, time, remote access, directory,
#: VPN, messaging and push (XMPP, Apple/Google push, MQTT over TLS as anti-virus and IoT
#: clouds use it), and real-time media (STUN/TURN, Zoom, Jitsi, Google's STUN). A C2 channel on
#: one of them needs a regular beacon to be found (the ``beaconing`` detector); on any other
#: port, persistence or a high rate is enough.
COMMON_PORTS: tuple[int, ...] = (
    *(20, 21, 22, 25, 53, 80, 88, 110, 123, 143, 389, 443, 465, 500, 587, 636, 853, 993, 995),
    *(1194, 1883, 3389, 4500, 5222, 5223, 5228, 8080, 8443, 8883),
    *(3478, 3479, 3480, 3481, 5349, *range(8801, 8811), 10000, *range(19302, 19310)),
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortScan(_Model):
    """Port scans, sweeps and probes (vertical, horizontal, ICMP, ARP, DHCP, probe bursts); see
    the docs' table."""

    enabled: bool = True
    #: Fast scans: windows of this length.
    short_interval: Duration = timedelta(minutes=5)
    short_vertical_min_ports: int = Field(30, ge=2)
    short_horizontal_min_hosts: int = Field(30, ge=2)
    #: The classic hourly thresholds.
    interval: Duration = timedelta(hours=1)
    vertical_min_ports: int = Field(100, ge=2)
    horizontal_min_hosts: int = Field(64, ge=2)
    #: Slow scans: distinct ports (hosts) per day of the scanner's own active span (at least a day).
    slow_vertical_ports_per_day: int = Field(50, ge=2)
    slow_horizontal_hosts_per_day: int = Field(50, ge=2)
    slow_min_failed_share: float = Field(0.8, ge=0, le=1)
    #: A count at the threshold needs this share of failed attempts (FAILED_STATES); a count of
    #: ``unconditional_factor`` times the threshold needs none (logs without connection states).
    min_failed_share: float = Field(0.5, ge=0, le=1)
    unconditional_factor: float = Field(4.0, ge=1)
    #: ICMP echo requests to this many hosts in a short window (a ping sweep).
    icmp_min_hosts: int = Field(16, ge=2)
    #: ARP requests from one sender for this many target addresses in a short window.
    arp_min_targets: int = Field(64, ge=2)
    #: DHCP requests from one client (one MAC) for this many different addresses in a short
    #: window (a DHCP scan: a client asks for one address, its old lease or the one offered).
    dhcp_min_addresses: int = Field(5, ge=2)
    #: A probe burst (OS detection: nmap's dozen odd-flag probes to a few ports): at least
    #: ``probe_min_failed`` failed attempts on ``probe_min_ports`` ports of one host within
    #: ``probe_max_span``. A client retrying a dead service backs off for seconds between tries.
    probe_min_failed: int = Field(8, ge=2)
    probe_min_ports: int = Field(3, ge=2)
    probe_max_span: Duration = timedelta(seconds=10)
    #: Only scans of internal destinations (the default also reports an inside host scanning
    #: the Internet, and the Internet scanning the inside).
    internal_destinations_only: bool = False
    #: The windowed queries run only over the groups that reach their threshold over the whole
    #: range (a window can never hold more distinct ports or hosts than the range): at most this
    #: many groups per query, the largest first.
    max_candidates: int = Field(10_000, ge=1)


class C2(_Model):
    """Command-and-control channels: an internal host's persistent, high-rate, long or
    regular traffic to one external address on an uncommon port, as one finding per pair."""

    enabled: bool = True
    common_ports: tuple[int, ...] = COMMON_PORTS
    #: High rate: at least this many connections, at this many per hour of the pair's span,
    #: over at least ``rate_min_span`` (persistent, not one burst).
    rate_min_connections: int = Field(100, ge=2)
    rate_min_per_hour: float = Field(60.0, gt=0)
    rate_min_span: Duration = timedelta(minutes=5)
    #: Long connections (after RITA): the pair's total connected time, or its longest session.
    long_min_total: Duration = timedelta(hours=1)
    long_min_single: Duration = timedelta(minutes=30)
    #: Regular connections (the beacon score, tolerant of jitter).
    beacon_min_connections: int = Field(20, ge=4)
    beacon_min_score: float = Field(0.7, ge=0, le=1)
    max_candidates: int = Field(5000, ge=1)
    max_points: int = Field(10_000, ge=10)
