"""Settings shared by the readers, and what a read reports besides its events."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_ACTIVE_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_INTERNAL",
    "PORT_PROTOCOLS",
    "Direction",
    "ReadReport",
    "ReaderOptions",
    "parse_networks",
]

#: RFC 1918 private IPv4, RFC 6598 shared (carrier-grade NAT) space is NOT internal by default;
#: IPv6 unique local addresses (RFC 4193).
DEFAULT_INTERNAL: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
#: A flow without packets for this long ends (seconds).
DEFAULT_IDLE_TIMEOUT = 60.0
#: A flow longer than this is exported and continues as a new record (NetFlow's default, seconds).
DEFAULT_ACTIVE_TIMEOUT = 1800.0

#: Application protocol by well-known server port (``network.protocol``), for flows whose
#: payload sectool does not inspect. Names follow ECS examples (lower case, IANA service names).
PORT_PROTOCOLS: dict[int, str] = {
    20: "ftp-data",
    21: "ftp",
    22: "ssh",
    23: "telnet",
    25: "smtp",
    53: "dns",
    67: "dhcp",
    68: "dhcp",
    69: "tftp",
    80: "http",
    88: "kerberos",
    110: "pop3",
    123: "ntp",
    135: "dce_rpc",
    137: "netbios-ns",
    139: "netbios-ssn",
    143: "imap",
    161: "snmp",
    389: "ldap",
    443: "tls",
    445: "smb",
    465: "smtps",
    514: "syslog",
    587: "smtp",
    636: "ldaps",
    853: "dns-over-tls",
    993: "imaps",
    995: "pop3s",
    1433: "mssql",
    1521: "oracle",
    3306: "mysql",
    3389: "rdp",
    5060: "sip",
    5432: "postgresql",
    5900: "vnc",
    5985: "winrm",
    5986: "winrm",
    8080: "http",
    8443: "tls",
}


class Direction:
    """``network.direction`` values (ECS)."""

    INTERNAL = "internal"
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    EXTERNAL = "external"


def parse_networks(cidrs: Sequence[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse CIDR strings; raises ``ValueError`` naming the bad one."""
    nets = []
    for cidr in cidrs:
        try:
            nets.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"not a CIDR network: {cidr!r}") from exc
    return tuple(nets)


@dataclass(frozen=True)
class ReaderOptions:
    """How captures fold into flows and how events are labelled.

    Attributes:
        internal: CIDRs that count as internal for ``network.direction``.
        idle_timeout: seconds without a packet after which a flow ends.
        active_timeout: seconds after which a long flow is exported and continues in a new record.
        site: ``sectool.site`` (and ``observer.name`` when the input names no sensor).
        tcp_close_linger: seconds a TCP flow that ended (FIN both ways or RST) still collects
            its trailing ACKs before it is exported (Zeek's ``tcp_close_delay``).
    """

    internal: tuple[str, ...] = DEFAULT_INTERNAL
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    active_timeout: float = DEFAULT_ACTIVE_TIMEOUT
    site: str | None = None
    tcp_close_linger: float = 5.0

    def __post_init__(self) -> None:
        if self.idle_timeout <= 0 or self.active_timeout <= 0:
            raise ValueError("timeouts must be positive")
        parse_networks(self.internal)


class DirectionClassifier:
    """``network.direction`` from the internal networks, with a per-address cache."""

    def __init__(self, internal: Sequence[str]) -> None:
        self._nets = parse_networks(internal)
        self._cache: dict[str, bool] = {}

    def is_internal(self, ip: str) -> bool:
        hit = self._cache.get(ip)
        if hit is None:
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                return False
            hit = any(addr.version == net.version and addr in net for net in self._nets)
            if len(self._cache) > 1_000_000:  # bound memory on huge address spaces
                self._cache.clear()
            self._cache[ip] = hit
        return hit

    def direction(self, source: str | None, destination: str | None) -> str | None:
        if source is None or destination is None:
            return None
        src, dst = self.is_internal(source), self.is_internal(destination)
        if src and dst:
            return Direction.INTERNAL
        if src:
            return Direction.OUTBOUND
        if dst:
            return Direction.INBOUND
        return Direction.EXTERNAL


@dataclass
class ReadReport:
    """What a read saw besides events: counts and non-fatal warnings (shown by ``ingest``)."""

    packets: int = 0
    lines: int = 0
    skipped: int = 0
    #: Flows still open at a damage point, dropped as incomplete.
    incomplete: int = 0
    #: Bytes of the input file read from disk so far (compressed bytes for gzip), for progress.
    position: int = 0
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        # Bounded: a damaged file must not flood memory with warnings.
        if len(self.warnings) < 100:
            self.warnings.append(message)
