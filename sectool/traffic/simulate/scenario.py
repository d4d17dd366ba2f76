"""The attack scenario of a simulation: which attacks, on which hosts, and the silent sensor."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sectool.traffic.simulate.attacks import Injector, baseline_hours, ext_ip
from sectool.traffic.simulate.attacks_dga_ids import dga, ids_alerts
from sectool.traffic.simulate.network import Network
from sectool.traffic.simulate.normal import HOUR_US
from sectool.traffic.simulate.record import Recorder

__all__ = ["inject_attacks", "period"]


def inject_attacks(
    rec: Recorder, net: Network, rng: random.Random, start: datetime, hours: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Record the attacks; returns (ground truth, silenced sensor or ``None``).

    The silenced sensor is ``{"observer": name, "from_us": t}``: the caller drops that
    sensor's events from ``t`` on (after the attacks, so nothing of the attacks is lost:
    the silenced site hosts no attacker).
    """
    inj = Injector(rec, net, rng, start, hours)
    v4 = inj.v4
    servers = net.servers
    inj.beaconing(v4[0], ext_ip(rng, rng.choice((45, 103, 194))))
    c2_v6 = (
        f"2a0b:{rng.randrange(0x1000, 0xFFFF):x}:{rng.randrange(1, 0xFFFF):x}::{rng.randrange(1, 0xFFFF):x}"
    )
    inj.beaconing(inj.v6[0], c2_v6)
    inj.vertical_scan(v4[1], rng.choice(servers["db"]))
    inj.horizontal_scan(v4[2])
    inj.dns_tunnel(v4[3])
    inj.dns_tunnel(inj.v6[1])
    inj.exfiltration(rng.choice(servers["db"]))
    inj.brute_force(rng.choice(servers["jump"]))
    inj.spraying(v4[4])
    inj.off_hours_admin(rng.choice(inj.admins))
    inj.new_destination(rng.choice(servers["web"]))
    inj.volume_spike(v4[5], rng.choice(servers["web"]))

    silenced: dict[str, Any] | None = None
    if inj.end - inj.p0 >= 3 * HOUR_US:
        sensor = net.sensor_of_site[inj.silent_site]
        latest = inj.end - 2 * HOUR_US - HOUR_US // 2
        t = rng.randrange(inj.p0, max(inj.p0, latest) + 1)
        silenced = {"observer": sensor, "from_us": t}
        inj.add(
            "silent_source",
            ["silent_source"],
            {"observer.name": sensor},
            t,
            inj.end,
            f"sensor {sensor} stops sending",
        )
    inj.rat_channel(v4[6])  # last, and on its own random stream: the attacks above are unchanged
    dga(inj, v4[7])  # the same: own random streams
    ids_alerts(inj)
    inj.truth.sort(key=lambda g: (g["start"], g["type"]))
    return inj.truth, silenced


def period(start: datetime, hours: int) -> tuple[datetime, datetime]:
    """(attack period start, end) for a simulation."""
    p0 = start + timedelta(hours=baseline_hours(hours))
    return p0.astimezone(UTC), (start + timedelta(hours=hours)).astimezone(UTC)
