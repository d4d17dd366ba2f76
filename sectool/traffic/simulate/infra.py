"""Benign infrastructure traffic that looks like attacks: the look-alikes a detector must survive.

A central health-IT operation runs machinery that is periodic, upload-heavy or scan-like by
design. The simulator adds it so that the measured precision means something:

* **NTP**: the internal time server polls three external pool servers every 1024 s (ntpd's
  steady-state ``maxpoll 10``), 48-byte datagrams: a perfect beacon. Sites allowlist it
  (pair time server → pool).
* **Monitoring heartbeats**: every IPv4 workstation's agent reports to the internal
  monitoring server every 5 min (±2 %): periodic but internal, so not a beacon.
* **Update checks**: the WSUS server asks Microsoft's update CDN (two stable addresses) every
  10 min with ±40 % jitter and variable response sizes: regular-ish, below the beacon score.
  Workstations fetch from the WSUS server (so it is a server for ``new_destination``).
* **Off-site backup**: the backup appliance pulls hourly incrementals from the databases and
  uploads them to the backup provider (~40 MB each, upload-only), and at 19:30 local, after the
  outpatient clinics close, uploads the day's consolidated set (~4 × 80 MB). Upload-heavy and
  a volume spike by construction: sites allowlist the pair appliance → provider.
* **Vulnerability scanner**: the authorised scanner sweeps one server subnet on three ports
  and probes 150 ports on two servers every hour: a textbook horizontal and vertical scan.
  Sites allowlist its address.
* **Admins working late**: the last sessions of the day run until 18:00 local (inside the
  default calendar), and after that admins only run short checks on the jump hosts (< 60 s,
  below ``off_hours_admin.min_duration``).

:data:`ALLOWLIST` is the allowlist a site running this network configures; the simulation
writes it to ``detect-config.yaml`` and the quality figures use it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sectool.traffic.simulate.network import Network
from sectool.traffic.simulate.normal import HOUR_US, TZ, _lognorm
from sectool.traffic.simulate.record import Recorder

__all__ = ["ALLOWLIST", "BACKUP_PROVIDER", "NTP_POOL", "UPDATE_CDN", "generate_infrastructure"]

NTP_POOL = ("194.239.123.230", "185.181.61.91", "162.159.200.123")
UPDATE_CDN = ("13.107.4.50", "13.107.5.88")
BACKUP_PROVIDER = "185.62.188.40"

#: What a site running this network puts in its detection config (``allowlist:``).
ALLOWLIST: dict[str, list[object]] = {
    "cidrs": ["10.10.70.20/32"],  # the authorised vulnerability scanner
    "pairs": [
        {"source": "10.10.70.30/32", "destination": f"{BACKUP_PROVIDER}/32"},  # off-site backup
        *({"source": "10.10.70.123/32", "destination": f"{ip}/32"} for ip in NTP_POOL),  # time sync
    ],
}


def generate_infrastructure(
    rec: Recorder, net: Network, rng: random.Random, start: datetime, hours: int
) -> None:
    """Record ``hours`` hours of the infrastructure look-alikes from ``start`` (UTC)."""
    t0 = int(start.timestamp() * 1_000_000)
    end = t0 + hours * HOUR_US
    dc = net.sensor_of_site["dc"]
    ntp, scanner = net.servers["ntp"][0], net.servers["scanner"][0]
    backup, wsus = net.servers["backup"][0], net.servers["wsus"][0]
    monitor = net.servers["monitor"][0]

    # NTP: one poll per pool server every 1024 s, phases spread.
    for k, server in enumerate(NTP_POOL):
        t = t0 + rng.randrange(0, 1024_000_000) + k
        while t < end:
            rec.conn(
                t,
                ntp.ip,
                123,
                server,
                123,
                protocol="ntp",
                s_payload=48,
                d_payload=48,
                duration_us=rng.randrange(8_000, 30_000),
                observer=dc,
                site="dc",
                transport="udp",
                direction="outbound",
            )
            t += 1024_000_000 + rng.randrange(-50_000, 50_000)

    # Monitoring agents: every 300 s (+-2 %) per IPv4 workstation, to the internal monitor.
    for host in net.workstations + net.admins:
        if ":" in host.ip:
            continue
        obs = net.sensor_for(host)
        t = t0 + rng.randrange(0, 300_000_000)
        while t < end:
            rec.conn(
                t,
                host.ip,
                None,
                monitor.ip,
                5667,
                protocol=None,
                s_payload=_lognorm(rng, 600, 0.1, 2_000),
                d_payload=120,
                duration_us=rng.randrange(5_000, 40_000),
                observer=obs,
                site=host.site,
            )
            t += int(300_000_000 * (1 + rng.uniform(-0.02, 0.02)))

    # WSUS: checks Microsoft every 10 min +-40 %; workstations fetch from it now and then.
    t = t0 + rng.randrange(0, 600_000_000)
    while t < end:
        rec.conn(
            t,
            wsus.ip,
            None,
            rng.choice(UPDATE_CDN),
            443,
            protocol="tls",
            s_payload=_lognorm(rng, 2_500, 0.5, 50_000),
            d_payload=_lognorm(rng, 60_000, 1.5, 40_000_000),
            duration_us=_lognorm(rng, 800_000, 0.8, 60_000_000),
            observer=dc,
            site="dc",
            direction="outbound",
        )
        t += int(600_000_000 * (1 + rng.uniform(-0.4, 0.4)))
    for host in net.workstations[::4]:
        if ":" in host.ip:
            continue
        for _ in range(max(1, hours // 4)):
            rec.conn(
                t0 + rng.randrange(0, hours * HOUR_US),
                host.ip,
                None,
                wsus.ip,
                8530,
                protocol="http",
                s_payload=_lognorm(rng, 1_500, 0.5, 20_000),
                d_payload=_lognorm(rng, 300_000, 1.2, 30_000_000),
                duration_us=_lognorm(rng, 2_000_000, 0.8, 120_000_000),
                observer=net.sensor_for(host),
                site=host.site,
            )

    for hour in range(hours):
        base = t0 + hour * HOUR_US
        when = start + timedelta(hours=hour)
        # Backup: hourly incremental pull from each database, then one upload off-site.
        for db in net.servers["db"]:
            rec.conn(
                base + 5 * 60_000_000 + rng.randrange(0, 120_000_000),
                backup.ip,
                None,
                db.ip,
                10000,
                protocol=None,
                s_payload=_lognorm(rng, 8_000, 0.3, 100_000),
                d_payload=_lognorm(rng, 5_000_000, 0.3, 20_000_000),
                duration_us=_lognorm(rng, 20_000_000, 0.3, 300_000_000),
                observer=dc,
                site="dc",
            )
        rec.conn(
            base + 15 * 60_000_000 + rng.randrange(0, 180_000_000),
            backup.ip,
            None,
            BACKUP_PROVIDER,
            443,
            protocol="tls",
            s_payload=_lognorm(rng, 40_000_000, 0.2, 90_000_000),
            d_payload=_lognorm(rng, 60_000, 0.3, 500_000),
            duration_us=_lognorm(rng, 240_000_000, 0.3, 1_800_000_000),
            observer=dc,
            site="dc",
            direction="outbound",
        )
        local = when.astimezone(TZ)
        if local.hour == 19:
            for k in range(4):
                rec.conn(
                    base + 30 * 60_000_000 + k * 1_000_000,
                    backup.ip,
                    None,
                    BACKUP_PROVIDER,
                    443,
                    protocol="tls",
                    s_payload=_lognorm(rng, 80_000_000, 0.1, 120_000_000),
                    d_payload=_lognorm(rng, 200_000, 0.3, 1_000_000),
                    duration_us=_lognorm(rng, 1_500_000_000, 0.2, 3_000_000_000),
                    observer=dc,
                    site="dc",
                    direction="outbound",
                )
        # Scanner: one server subnet on three ports, and 150 ports on two servers.
        t = base + rng.randrange(0, 20 * 60_000_000)
        third = rng.choice((10, 20, 30, 50, 60))
        for port in (22, 443, 3389):
            for last in range(1, 255):
                rec.probe(
                    t,
                    scanner.ip,
                    f"10.10.{third}.{last}",
                    port,
                    state="S0",
                    duration_us=300,
                    observer=dc,
                    site="dc",
                )
                t += rng.randrange(5_000, 50_000)
        for target in rng.sample(net.servers["web"] + net.servers["db"], 2):
            for port in rng.sample(range(1, 10_000), 150):
                rec.probe(
                    t, scanner.ip, target.ip, port, state="REJ", duration_us=300, observer=dc, site="dc"
                )
                t += rng.randrange(5_000, 50_000)
        # Admins after the calendar: short checks on the jump hosts only (< 60 s).
        if local.weekday() < 5 and 18 <= local.hour < 21:
            for admin in net.admins:
                if ":" in admin.ip or rng.random() > 0.3:
                    continue
                jh = rng.choice(net.servers["jump"])
                rec.conn(
                    base + rng.randrange(0, HOUR_US),
                    admin.ip,
                    None,
                    jh.ip,
                    22,
                    protocol="ssh",
                    s_payload=_lognorm(rng, 3_000, 0.5, 50_000),
                    d_payload=_lognorm(rng, 8_000, 0.5, 200_000),
                    duration_us=rng.randrange(5_000_000, 55_000_000),
                    observer=net.sensor_for(admin),
                    site=admin.site,
                )
