"""The simulated network: a central health-IT infrastructure with sites, servers and sensors.

Everything is derived from a seeded :class:`random.Random`, so the same seed gives the same
network. Internal ranges are RFC 1918 (IPv4) and a ULA prefix (IPv6, one site is IPv6-only);
the external world is a set of CDN addresses, national health partners and, for the
attacks, a few hostile addresses.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field

__all__ = ["Host", "Network", "Site", "build_network"]

#: Display ranges used in the ground truth and the generated detector config.
INTERNAL_RANGES: tuple[str, ...] = ("10.0.0.0/8", "fd00:5ec7::/32")


@dataclass(frozen=True)
class Host:
    ip: str
    #: workstation | admin | dns | web | db | jump | monitor | file | auth | ntp | scanner | backup | wsus
    role: str
    site: str


@dataclass(frozen=True)
class Site:
    name: str
    sensor: str
    hosts: tuple[Host, ...]


@dataclass
class Network:
    sites: list[Site]
    servers: dict[str, list[Host]]
    workstations: list[Host]
    admins: list[Host]
    cdn_ips: list[str]
    partner_ips: dict[str, list[str]]  # server ip -> external partners it talks to
    domains_internal: list[str]
    domains_external: list[tuple[str, str]]  # (subdomain, registered domain)
    users: list[str]
    sensor_of_site: dict[str, str] = field(default_factory=dict)

    @property
    def all_servers(self) -> list[Host]:
        return [h for hs in self.servers.values() for h in hs]

    def resolvers(self, ip: str) -> list[Host]:
        """The DNS resolvers a host uses (same address family)."""
        return self.servers["dns6" if ":" in ip else "dns"]

    def sensor_for(self, host: Host) -> str:
        return self.sensor_of_site[host.site]


_SITES = (
    # name, sensor, prefix, IPv6?
    ("region-h-cph", "sensor-cph-01", "10.20", False),
    ("region-m-aarhus", "sensor-aar-01", "10.30", False),
    ("region-syd-odense", "sensor-ode-01", "fd00:5ec7:40::", True),
    ("region-n-aalborg", "sensor-aal-01", "10.50", False),
)

_NATIONAL = (
    ("www", "sundhed.dk"),
    ("min", "sundhed.dk"),
    ("api", "sundhed.dk"),
    ("login", "sundhed.dk"),
    ("nsp-prod", "nsp.dk"),
    ("sosi", "nsp.dk"),
    ("idws", "nsp.dk"),
    ("fmk-online", "fmk-online.dk"),
    ("www", "medcom.dk"),
    ("vdx", "medcom.dk"),
    ("www", "ssi.dk"),
    ("nemlog-in", "nemlog-in.dk"),
    ("www", "borger.dk"),
    ("e-boks", "e-boks.dk"),
)
_CDN = (
    ("www", "microsoft.com"),
    ("login", "microsoftonline.com"),
    ("outlook", "office365.com"),
    ("graph", "microsoft.com"),
    ("update", "microsoft.com"),
    ("www", "google.com"),
    ("fonts", "googleapis.com"),
    ("cdn", "jsdelivr.net"),
    ("www", "dr.dk"),
    ("static", "cloudflare.com"),
    ("cdn", "fastly.net"),
)


def build_network(rng: random.Random, *, workstations_per_site: int = 55) -> Network:
    """Build the network for one seed."""
    sites: list[Site] = []
    workstations: list[Host] = []
    admins: list[Host] = []
    sensor_of_site: dict[str, str] = {"dc": "sensor-dc-01"}
    for name, sensor, prefix, v6 in _SITES:
        hosts: list[Host] = []
        for i in range(workstations_per_site):
            if v6:
                ip = str(ipaddress.ip_address(f"{prefix}{(i + 16):x}"))
            else:
                ip = f"{prefix}.{1 + i // 200}.{10 + i % 200}"
            role = "admin" if i < 3 else "workstation"
            h = Host(ip, role, name)
            hosts.append(h)
            (admins if role == "admin" else workstations).append(h)
        sites.append(Site(name, sensor, tuple(hosts)))
        sensor_of_site[name] = sensor

    def dc(role: str, third: int, n: int) -> list[Host]:
        return [Host(f"10.10.{third}.{10 + i}", role, "dc") for i in range(n)]

    servers = {
        "dns": [Host("10.10.0.53", "dns", "dc"), Host("10.10.1.53", "dns", "dc")],
        "dns6": [Host("fd00:5ec7:10::53", "dns", "dc"), Host("fd00:5ec7:10::1:53", "dns", "dc")],
        "web": dc("web", 10, 16),
        "db": dc("db", 20, 8),
        "jump": dc("jump", 30, 3),
        "monitor": [Host("10.10.40.5", "monitor", "dc")],
        "file": dc("file", 50, 4),
        "auth": dc("auth", 60, 2),
        # Infrastructure look-alikes (see simulate/infra.py): fixed addresses, as allowlisted.
        "ntp": [Host("10.10.70.123", "ntp", "dc")],
        "scanner": [Host("10.10.70.20", "scanner", "dc")],
        "backup": [Host("10.10.70.30", "backup", "dc")],
        "wsus": [Host("10.10.70.40", "wsus", "dc")],
    }
    sites.append(Site("dc", "sensor-dc-01", tuple(h for hs in servers.values() for h in hs)))

    cdn: list[str] = []
    for _ in range(160):
        first = rng.choice((13, 20, 23, 104, 142, 151, 172, 185, 199))
        cdn.append(f"{first}.{rng.randrange(1, 250)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}")
    for _ in range(40):
        cdn.append(
            str(ipaddress.ip_address(f"2a04:4e42:{rng.randrange(1, 0xFFFF):x}::{rng.randrange(1, 0xFFFF):x}"))
        )
    cdn = sorted(set(cdn))
    partners_pool = [f"212.130.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}" for _ in range(12)]
    partner_ips: dict[str, list[str]] = {}
    for h in servers["web"] + servers["db"]:
        partner_ips[h.ip] = rng.sample(partners_pool, 2)

    first_names = (
        "anne",
        "bo",
        "carsten",
        "dorte",
        "erik",
        "freja",
        "gitte",
        "henrik",
        "ida",
        "jens",
        "karen",
        "lars",
    )
    last = ("hansen", "jensen", "nielsen", "pedersen", "larsen", "soerensen", "rasmussen", "madsen")
    users = sorted(
        {f"{rng.choice(first_names)}.{rng.choice(last)}{rng.randrange(1, 99)}" for _ in range(400)}
    )
    internal_domains = ["intranet.rh.local", "sp.rh.local", "epj.rh.local", "pacs.rm.local", "mail.rs.local"]
    return Network(
        sites=sites,
        servers=servers,
        workstations=workstations,
        admins=admins,
        cdn_ips=cdn,
        partner_ips=partner_ips,
        domains_internal=internal_domains,
        domains_external=list(_NATIONAL + _CDN),
        users=users,
        sensor_of_site=sensor_of_site,
    )
