"""Normal (benign) traffic: a daily rhythm of workstations, servers, DNS and administration.

Activity follows the working day in Europe/Copenhagen: full between 08:00 and 16:00 on
weekdays, half in the shoulder hours, a trickle of background updates at night and at the
weekend. Servers work around the clock. Administration (SSH/RDP via the jump hosts) and file
shares (SMB) happen only in working hours, as in a well-run site.
"""

from __future__ import annotations

import itertools
import random
import string
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sectool.traffic.simulate.network import Host, Network
from sectool.traffic.simulate.record import Recorder

__all__ = ["activity", "generate_normal"]

TZ = ZoneInfo("Europe/Copenhagen")
HOUR_US = 3_600_000_000


def activity(t: datetime) -> float:
    """Share of the day-time activity at instant ``t`` (local working hours = 1.0)."""
    local = t.astimezone(TZ)
    if local.weekday() >= 5:
        return 0.05
    h = local.hour
    if 8 <= h < 16:
        return 1.0
    if h in (7, 16, 17):
        return 0.5
    return 0.04


def office_hours(t: datetime) -> bool:
    """Administration and file shares only between 08:00 and 17:00 local on weekdays."""
    local = t.astimezone(TZ)
    return local.weekday() < 5 and 8 <= local.hour < 17


def admin_late(t: datetime) -> bool:
    """Admins finish the day's changes in the last calendar hour (17:00-18:00 local)."""
    local = t.astimezone(TZ)
    return local.weekday() < 5 and local.hour == 17


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth for small means, normal approximation above; plenty for traffic counts.
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, lam**0.5)))
    import math

    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _lognorm(rng: random.Random, median: float, sigma: float, cap: float) -> int:
    return int(min(cap, rng.lognormvariate(0, sigma) * median))


class _Dns:
    def __init__(self, rng: random.Random, net: Network) -> None:
        self.rng = rng
        self.net = net
        self.qid = 0
        # Zipf-like popularity of names and CDN addresses.
        self.names = net.domains_external
        self.name_w = [1.0 / (i + 1) ** 0.8 for i in range(len(self.names))]
        self.pools = {v6: [ip for ip in net.cdn_ips if (":" in ip) == v6] for v6 in (False, True)}
        self.cum_w = {
            v6: list(itertools.accumulate(1.0 / (i + 1) ** 0.9 for i in range(len(pool))))
            for v6, pool in self.pools.items()
        }

    def next_id(self) -> int:
        self.qid = (self.qid + 7919) % 65536
        return self.qid

    def cdn_ip(self, v6: bool) -> str:
        pool = self.pools[v6]
        return self.rng.choices(pool, cum_weights=self.cum_w[v6])[0]

    def lookup(self, rec: Recorder, ts: int, host: Host, observer: str) -> str:
        """A name lookup by ``host``; returns the resolved address (for the flow that follows)."""
        rng = self.rng
        v6 = ":" in host.ip
        resolver = rng.choice(self.net.resolvers(host.ip)).ip
        if rng.random() < 0.15:
            # CDN edge names: many short, low-entropy subdomains (a tunnelling look-alike).
            sub = f"e{rng.randrange(1000, 9999)}.dsc{rng.choice(string.ascii_lowercase)}"
            reg = "akamaiedge.net"
        else:
            sub, reg = rng.choices(self.names, weights=self.name_w)[0]
        qtype = "AAAA" if v6 else "A"
        addr = self.cdn_ip(v6)
        rcode = "NOERROR"
        answers: tuple[str, ...] = (addr,)
        if rng.random() < 0.02:
            rcode, answers = "NXDOMAIN", ()
        rec.dns(
            ts,
            host.ip,
            None,
            resolver,
            qid=self.next_id(),
            subdomain=sub,
            registered=reg,
            qtype=qtype,
            rcode=rcode,
            answers=answers,
            observer=observer,
            site=host.site,
        )
        return addr


def generate_normal(rec: Recorder, net: Network, rng: random.Random, start: datetime, hours: int) -> None:
    """Record ``hours`` hours of benign traffic from ``start`` (UTC)."""
    dns = _Dns(rng, net)
    t0 = int(start.timestamp() * 1_000_000)
    dc_sensor = net.sensor_of_site["dc"]
    web, db, files = net.servers["web"], net.servers["db"], net.servers["file"]
    auth, jump, monitor = net.servers["auth"], net.servers["jump"], net.servers["monitor"][0]
    users = net.users
    user_of = {h.ip: users[i % len(users)] for i, h in enumerate(net.workstations + net.admins)}
    for hour in range(hours):
        base = t0 + hour * HOUR_US
        when = start + timedelta(hours=hour)
        act = activity(when)
        office = office_hours(when)

        def at(base: int = base) -> int:
            return base + rng.randrange(HOUR_US)

        for host in net.workstations + net.admins:
            obs = net.sensor_for(host)
            v6 = ":" in host.ip
            for _ in range(_poisson(rng, 20 * act)):
                ts = at()
                addr = dns.lookup(rec, ts, host, obs)
                rec.conn(
                    ts + 3000,
                    host.ip,
                    None,
                    addr,
                    443,
                    protocol="tls",
                    s_payload=_lognorm(rng, 900, 0.6, 60_000),
                    d_payload=_lognorm(rng, 25_000, 1.4, 3_000_000),
                    duration_us=_lognorm(rng, 2_000_000, 1.0, 600_000_000),
                    observer=obs,
                    site=host.site,
                    direction="outbound",
                )
            if v6:
                continue  # the IPv6 site reaches the data centre through a proxy outside this view
            for _ in range(_poisson(rng, 8 * act)):
                srv = rng.choice(web)
                rec.conn(
                    at(),
                    host.ip,
                    None,
                    srv.ip,
                    443,
                    protocol="tls",
                    s_payload=_lognorm(rng, 1500, 0.8, 200_000),
                    d_payload=_lognorm(rng, 40_000, 1.2, 5_000_000),
                    duration_us=_lognorm(rng, 1_000_000, 1.0, 300_000_000),
                    observer=obs,
                    site=host.site,
                )
            if office:
                for _ in range(_poisson(rng, 4)):
                    srv = rng.choice(files)
                    rec.conn(
                        at(),
                        host.ip,
                        None,
                        srv.ip,
                        445,
                        protocol="smb",
                        s_payload=_lognorm(rng, 20_000, 1.0, 5_000_000),
                        d_payload=_lognorm(rng, 200_000, 1.3, 20_000_000),
                        duration_us=_lognorm(rng, 3_000_000, 0.8, 20_000_000),
                        observer=obs,
                        site=host.site,
                    )
                for _ in range(_poisson(rng, 0.6)):
                    ts = at()
                    srv = rng.choice(auth)
                    # Now and then a mistyped password before the successful logon.
                    if rng.random() < 0.08:
                        rec.auth(
                            ts - 20_000_000,
                            host.ip,
                            srv.ip,
                            88,
                            user=user_of[host.ip],
                            outcome="failure",
                            protocol="kerberos",
                            observer=obs,
                            site=host.site,
                        )
                    rec.auth(
                        ts,
                        host.ip,
                        srv.ip,
                        88,
                        user=user_of[host.ip],
                        outcome="success",
                        protocol="kerberos",
                        observer=obs,
                        site=host.site,
                    )
        if office or admin_late(when):
            for admin in net.admins:
                if ":" in admin.ip:
                    continue
                obs = net.sensor_for(admin)
                for _ in range(_poisson(rng, 1.5)):
                    ts = at()
                    jh = rng.choice(jump)
                    target = rng.choice(web + db)
                    dur = _lognorm(rng, 600_000_000, 0.7, 3_000_000_000)
                    rec.auth(
                        ts,
                        admin.ip,
                        jh.ip,
                        22,
                        user=f"adm-{user_of[admin.ip]}",
                        outcome="success",
                        protocol="ssh",
                        observer=obs,
                        site=admin.site,
                    )
                    rec.conn(
                        ts,
                        admin.ip,
                        None,
                        jh.ip,
                        22,
                        protocol="ssh",
                        s_payload=_lognorm(rng, 30_000, 0.8, 2_000_000),
                        d_payload=_lognorm(rng, 120_000, 0.8, 8_000_000),
                        duration_us=dur,
                        observer=obs,
                        site=admin.site,
                    )
                    rec.conn(
                        ts + 5_000_000,
                        jh.ip,
                        None,
                        target.ip,
                        22,
                        protocol="ssh",
                        s_payload=_lognorm(rng, 20_000, 0.8, 2_000_000),
                        d_payload=_lognorm(rng, 80_000, 0.8, 8_000_000),
                        duration_us=dur // 2,
                        observer=dc_sensor,
                        site="dc",
                    )
        # Servers: around the clock.
        for srv in web:
            for _ in range(_poisson(rng, 30)):
                target = rng.choice(db)
                rec.conn(
                    at(),
                    srv.ip,
                    None,
                    target.ip,
                    5432,
                    protocol="postgresql",
                    s_payload=_lognorm(rng, 2_000, 0.7, 100_000),
                    d_payload=_lognorm(rng, 30_000, 1.0, 2_000_000),
                    duration_us=_lognorm(rng, 50_000, 0.8, 5_000_000),
                    observer=dc_sensor,
                    site="dc",
                )
        for srv in web + db:
            for partner in net.partner_ips[srv.ip]:
                for _ in range(_poisson(rng, 8)):
                    rec.conn(
                        at(),
                        srv.ip,
                        None,
                        partner,
                        443,
                        protocol="tls",
                        s_payload=_lognorm(rng, 4_000, 0.8, 500_000),
                        d_payload=_lognorm(rng, 8_000, 0.8, 500_000),
                        duration_us=_lognorm(rng, 300_000, 0.8, 30_000_000),
                        observer=dc_sensor,
                        site="dc",
                        direction="outbound",
                    )
        # Monitoring polls a subset of servers every five minutes (a regular but internal pattern).
        polled = (web + db + files + auth)[:28]
        for k in range(12):
            for srv in polled:
                ts = base + k * 300_000_000 + rng.randrange(0, 2_000_000)
                rec.conn(
                    ts,
                    monitor.ip,
                    None,
                    srv.ip,
                    443,
                    protocol="tls",
                    s_payload=300,
                    d_payload=_lognorm(rng, 1_200, 0.2, 5_000),
                    duration_us=_lognorm(rng, 20_000, 0.3, 1_000_000),
                    observer=dc_sensor,
                    site="dc",
                )


def to_datetime(ts_us: int) -> datetime:
    """Microseconds since the epoch to an aware UTC datetime."""
    return datetime.fromtimestamp(ts_us / 1_000_000, tz=UTC)
