"""Injected attacks and their ground truth.

Attacks happen in the *attack period*: the last 60 % of the simulated range (the first 40 %
is clean baseline for the detectors that compare with the past). Each attack appends a
ground-truth entry::

    {"type": "beaconing", "detectors": ["beaconing", "new_destination"],
     "entity": {"source.ip": "10.20.1.15", "destination.ip": "45.9.148.3"},
     "start": "...Z", "end": "...Z", "description": "..."}

``detectors`` lists the detector names (``detector/variant`` where a detector has variants)
that may legitimately report this activity: the first is the one whose recall is measured;
the others are consequences (an exfiltration is also a volume spike and a new destination).
"""

from __future__ import annotations

import math
import random
import string
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sectool.traffic.simulate.network import Host, Network
from sectool.traffic.simulate.normal import HOUR_US, to_datetime
from sectool.traffic.simulate.record import Recorder

__all__ = ["ATTACK_TYPES", "Injector", "baseline_hours", "ext_ip"]

ATTACK_TYPES = (
    "beaconing",
    "vertical_scan",
    "horizontal_scan",
    "dns_tunnelling",
    "exfiltration",
    "brute_force",
    "password_spraying",
    "silent_source",
    "off_hours_admin",
    "new_destination",
    "volume_spike",
    "c2_channel",
    "dga",
    "sensor_alert",
)

_B32 = string.ascii_lowercase + "234567"


def _iso(ts_us: int) -> str:
    return to_datetime(ts_us).isoformat().replace("+00:00", "Z")


def ext_ip(rng: random.Random, first: int) -> str:
    return f"{first}.{rng.randrange(1, 250)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def off_hours(t: datetime, tz: ZoneInfo) -> bool:
    """Outside the default calendar (Mon-Fri 07:00-18:00 local)."""
    local = t.astimezone(tz)
    return local.weekday() >= 5 or not 7 <= local.hour < 18


class Injector:
    def __init__(self, rec: Recorder, net: Network, rng: random.Random, start: datetime, hours: int) -> None:
        self.rec, self.net, self.rng = rec, net, rng
        self.t0 = int(start.timestamp() * 1_000_000)
        self.end = self.t0 + hours * HOUR_US
        self.p0 = self.t0 + baseline_hours(hours) * HOUR_US
        self.truth: list[dict[str, Any]] = []
        self.dc = net.sensor_of_site["dc"]
        # The site whose sensor will go silent hosts no attacker, so no attack is lost with it.
        v4_sites = sorted({h.site for h in net.workstations if ":" not in h.ip})
        self.silent_site = rng.choice(v4_sites)
        v4 = [h for h in net.workstations if ":" not in h.ip and h.site != self.silent_site]
        v6 = [h for h in net.workstations if ":" in h.ip]
        self.admins = [a for a in net.admins if ":" not in a.ip and a.site != self.silent_site]
        rng.shuffle(v4)
        rng.shuffle(v6)
        self.v4, self.v6 = v4, v6

    def when(self, length_us: int) -> int:
        """A start time in the attack period leaving room for ``length_us``."""
        latest = max(self.p0, self.end - length_us - 60_000_000)
        return self.rng.randrange(self.p0, latest + 1)

    def add(
        self,
        kind: str,
        detectors: list[str],
        entity: dict[str, str],
        start: int,
        end: int,
        text: str,
        also: list[dict[str, Any]] | None = None,
    ) -> None:
        """One ground-truth entry; ``also`` lists reports of it under another entity."""
        entry: dict[str, Any] = {
            "type": kind,
            "detectors": detectors,
            "entity": entity,
            "start": _iso(start),
            "end": _iso(min(end, self.end)),
            "description": text,
        }
        if also:
            entry["also"] = also
        self.truth.append(entry)

    # ------------------------------------------------------------------ attacks
    def beaconing(self, host: Host, c2: str) -> None:
        rng, rec = self.rng, self.rec
        interval = rng.choice((60, 90, 120, 180)) * 1_000_000
        jitter = rng.choice((0.05, 0.1, 0.2))
        s_pay, d_pay = rng.randrange(200, 600), rng.randrange(600, 4000)
        t = self.p0 + rng.randrange(0, interval)
        first = last = t
        obs = self.net.sensor_for(host)
        while t < self.end:
            rec.conn(
                t,
                host.ip,
                None,
                c2,
                443,
                protocol="tls",
                s_payload=max(50, int(rng.gauss(s_pay, s_pay * 0.03))),
                d_payload=max(50, int(rng.gauss(d_pay, d_pay * 0.05))),
                duration_us=rng.randrange(150_000, 400_000),
                observer=obs,
                site=host.site,
                direction="outbound",
            )
            last = t
            t += int(interval * (1 + rng.uniform(-jitter, jitter)))
        self.add(
            "beaconing",
            ["beaconing", "new_destination"],
            {"source.ip": host.ip, "destination.ip": c2},
            first,
            last,
            f"C2 beacon every {interval // 1_000_000}s ±{int(jitter * 100)}% over TLS",
        )

    def vertical_scan(self, host: Host, target: Host) -> None:
        rng, rec = self.rng, self.rec
        ports = rng.sample(range(1, 10_000), 900)
        t = self.when(10 * 60_000_000)
        first = t
        open_ports = {22, 443, 5432}
        for port in ports + sorted(open_ports):
            state = "SF" if port in open_ports else "REJ" if rng.random() < 0.8 else "S0"
            rec.probe(
                t,
                host.ip,
                target.ip,
                port,
                state=state,
                duration_us=500,
                observer=self.net.sensor_for(host),
                site=host.site,
            )
            t += rng.randrange(50_000, 250_000)
        self.add(
            "vertical_scan",
            ["port_scan/vertical"],
            {"source.ip": host.ip, "destination.ip": target.ip},
            first,
            t,
            f"{len(ports) + 3} TCP ports probed on one server",
        )

    def horizontal_scan(self, host: Host) -> None:
        rng, rec = self.rng, self.rec
        t = self.when(10 * 60_000_000)
        first = t
        port = rng.choice((445, 3389, 22))
        live = {h.ip for h in self.net.all_servers}
        third = rng.choice((20, 50, 60))
        for last_octet in range(1, 255):
            ip = f"10.10.{third}.{last_octet}"
            state = "REJ" if ip in live else "S0"
            rec.probe(
                t,
                host.ip,
                ip,
                port,
                state=state,
                duration_us=400,
                observer=self.net.sensor_for(host),
                site=host.site,
            )
            t += rng.randrange(20_000, 400_000)
        self.add(
            "horizontal_scan",
            ["port_scan/horizontal"],
            {"source.ip": host.ip, "destination.port": str(port)},
            first,
            t,
            f"sweep of 10.10.{third}.0/24 on port {port}",
        )

    def dns_tunnel(self, host: Host) -> None:
        rng, rec = self.rng, self.rec
        domain = rng.choice(
            ("cdn-telemetry-sync.com", "azure-updatesvc.net", "k7q2x.info", "stat-collector.org")
        )
        length = rng.randrange(60, 120) * 60_000_000
        t = self.when(length)
        first, stop = t, t + length
        resolver = rng.choice(self.net.resolvers(host.ip)).ip
        seq = rng.randrange(0, 1 << 16)
        obs = self.net.sensor_for(host)
        while t < stop:
            seq += 1
            chunk = "".join(rng.choice(_B32) for _ in range(rng.randrange(40, 60)))
            sub = f"{chunk}.{seq:06x}"
            qtype = rng.choices(("TXT", "NULL", "A"), weights=(6, 2, 2))[0]
            if qtype == "A":
                answers: tuple[str, ...] = (f"198.51.100.{rng.randrange(1, 255)}",)
            else:
                answers = (
                    "".join(
                        rng.choice(string.ascii_letters + string.digits)
                        for _ in range(rng.randrange(40, 120))
                    ),
                )
            rec.dns(
                t,
                host.ip,
                None,
                resolver,
                qid=seq % 65536,
                subdomain=sub,
                registered=domain,
                qtype=qtype,
                answers=answers,
                observer=obs,
                site=host.site,
            )
            t += rng.randrange(3_000_000, 15_000_000)
        self.add(
            "dns_tunnelling",
            ["dns_tunnelling", "dns_txt_c2"],  # the TXT answers carry the data back
            {"source.ip": host.ip, "dns.question.registered_domain": domain},
            first,
            t,
            f"data over {domain} in TXT/NULL answers",
        )

    def exfiltration(self, server: Host) -> None:
        rng, rec = self.rng, self.rec
        dest = ext_ip(rng, rng.choice((45, 91, 185)))
        t = self.when(45 * 60_000_000)
        first = t
        for _ in range(6):
            size = rng.randrange(22_000_000, 30_000_000)
            dur = rng.randrange(200_000_000, 400_000_000)
            rec.conn(
                t,
                server.ip,
                None,
                dest,
                443,
                protocol="tls",
                s_payload=size,
                d_payload=rng.randrange(20_000, 60_000),
                duration_us=dur,
                observer=self.dc,
                site="dc",
                direction="outbound",
            )
            t += dur + rng.randrange(5_000_000, 60_000_000)
        self.add(
            "exfiltration",
            ["exfiltration", "new_destination", "volume_spike"],
            {"source.ip": server.ip, "destination.ip": dest},
            first,
            t,
            "about 150 MB uploaded to an unknown address",
            also=[{"detectors": ["volume_spike"], "entity": {"source.ip": server.ip}}],
        )

    def brute_force(self, target: Host) -> None:
        rng, rec = self.rng, self.rec
        attacker = ext_ip(rng, rng.choice((80, 185, 193)))
        t = self.when(50 * 60_000_000)
        first = t
        accounts = rng.sample(("root", "admin", "administrator", "ubuntu", "oracle"), 2)
        for _ in range(rng.randrange(250, 400)):
            user = rng.choice(accounts)
            rec.conn(
                t,
                attacker,
                None,
                target.ip,
                22,
                protocol="ssh",
                s_payload=rng.randrange(1500, 2500),
                d_payload=rng.randrange(2000, 3000),
                duration_us=rng.randrange(1_000_000, 4_000_000),
                observer=self.dc,
                site="dc",
                direction="inbound",
            )
            rec.auth(
                t + 900_000,
                attacker,
                target.ip,
                22,
                user=user,
                outcome="failure",
                protocol="ssh",
                observer=self.dc,
                site="dc",
            )
            t += rng.randrange(3_000_000, 12_000_000)
        self.add(
            "brute_force",
            ["brute_force/brute_force"],
            {"source.ip": attacker, "destination.ip": target.ip},
            first,
            t,
            f"SSH password guessing for {', '.join(accounts)}",
        )

    def spraying(self, host: Host) -> None:
        rng, rec = self.rng, self.rec
        dc_auth = rng.choice(self.net.servers["auth"])
        t = self.when(40 * 60_000_000)
        first = t
        victims = rng.sample(self.net.users, 60)
        obs = self.net.sensor_for(host)
        for user in victims:
            rec.auth(
                t,
                host.ip,
                dc_auth.ip,
                88,
                user=user,
                outcome="failure",
                protocol="kerberos",
                observer=obs,
                site=host.site,
            )
            t += rng.randrange(5_000_000, 30_000_000)
        self.add(
            "password_spraying",
            ["brute_force/spraying"],
            {"source.ip": host.ip},
            first,
            t,
            f"one password tried against {len(victims)} accounts",
        )

    def off_hours_admin(self, admin: Host) -> bool:
        rng, rec = self.rng, self.rec
        tz = ZoneInfo("Europe/Copenhagen")
        # Whole hours in the attack period that lie outside the calendar.
        candidates = [
            h
            for h in range(self.p0, self.end - HOUR_US + 1, HOUR_US)
            if off_hours(to_datetime(h), tz) and off_hours(to_datetime(h + HOUR_US - 1), tz)
        ]
        if not candidates:
            return False
        t = rng.choice(candidates) + rng.randrange(0, 10 * 60_000_000)
        jump = rng.choice(self.net.servers["jump"])
        db = rng.choice(self.net.servers["db"])
        dur = rng.randrange(20, 40) * 60_000_000
        obs = self.net.sensor_for(admin)
        rec.auth(
            t,
            admin.ip,
            jump.ip,
            22,
            user="adm-nightshift",
            outcome="success",
            protocol="ssh",
            observer=obs,
            site=admin.site,
        )
        rec.conn(
            t,
            admin.ip,
            None,
            jump.ip,
            22,
            protocol="ssh",
            s_payload=80_000,
            d_payload=400_000,
            duration_us=dur,
            observer=obs,
            site=admin.site,
        )
        rec.conn(
            t + 30_000_000,
            jump.ip,
            None,
            db.ip,
            3389,
            protocol="rdp",
            s_payload=300_000,
            d_payload=4_000_000,
            duration_us=dur - 60_000_000,
            observer=self.dc,
            site="dc",
        )
        self.add(
            "off_hours_admin",
            ["off_hours_admin"],
            {"source.ip": admin.ip, "destination.ip": jump.ip},
            t,
            t + dur,
            "SSH to a jump host and RDP on to a database server at night",
            also=[
                {"detectors": ["off_hours_admin"], "entity": {"source.ip": jump.ip, "destination.ip": db.ip}}
            ],
        )
        return True

    def new_destination(self, server: Host) -> None:
        rng, rec = self.rng, self.rec
        dest = ext_ip(rng, rng.choice((5, 77, 94)))
        t = self.when(60 * 60_000_000)
        first = t
        for _ in range(rng.randrange(5, 15)):
            rec.conn(
                t,
                server.ip,
                None,
                dest,
                8443,
                protocol="tls",
                s_payload=rng.randrange(2_000, 20_000),
                d_payload=rng.randrange(2_000, 50_000),
                duration_us=rng.randrange(100_000, 2_000_000),
                observer=self.dc,
                site="dc",
                direction="outbound",
            )
            t += rng.randrange(60_000_000, 300_000_000)
        self.add(
            "new_destination",
            ["new_destination"],
            {"source.ip": server.ip, "destination.ip": dest},
            first,
            t,
            "an API server calls an address it never used before",
        )

    def rat_channel(self, host: Host) -> None:
        """A remote-access trojan's session: it reconnects every 0.3-1.5 s for 8-12 minutes to
        one external address on an uncommon port (njRAT/DarkComet style). Its own random stream,
        so that adding it leaves the other attacks of a seed unchanged."""
        rng = random.Random(f"rat-{host.ip}-{self.t0}")  # noqa: S311  (simulation, not secrets)
        rec = self.rec
        c2, port = ext_ip(rng, rng.choice((41, 91, 185))), rng.choice((1177, 5552, 5888, 7777))
        length = rng.randrange(8, 13) * 60_000_000
        t = self.p0 + rng.randrange(0, max(1, self.end - self.p0 - length - 60_000_000))
        first, stop = t, t + length
        obs = self.net.sensor_for(host)
        while t < stop:
            rec.conn(
                t,
                host.ip,
                None,
                c2,
                port,
                protocol=None,
                s_payload=rng.randrange(20, 400),
                d_payload=rng.randrange(0, 200),
                duration_us=rng.randrange(20_000, 300_000),
                observer=obs,
                site=host.site,
                direction="outbound",
            )
            t += rng.randrange(300_000, 1_500_000)
        self.add(
            "c2_channel",
            ["c2", "beaconing"],
            {"source.ip": host.ip, "destination.ip": c2},
            first,
            t,
            f"RAT session to port {port}, reconnecting every second",
        )

    def volume_spike(self, host: Host, server: Host) -> None:
        rng, rec = self.rng, self.rec
        t = self.when(50 * 60_000_000)
        first = t
        for _ in range(8):
            dur = rng.randrange(60_000_000, 240_000_000)
            rec.conn(
                t,
                host.ip,
                None,
                server.ip,
                443,
                protocol="tls",
                s_payload=rng.randrange(5_000, 20_000),
                d_payload=rng.randrange(22_000_000, 30_000_000),
                duration_us=dur,
                observer=self.net.sensor_for(host),
                site=host.site,
            )
            t += dur + rng.randrange(1_000_000, 60_000_000)
        self.add(
            "volume_spike",
            ["volume_spike"],
            {"source.ip": host.ip},
            first,
            t,
            "about 200 MB pulled from an internal web server",
        )


def baseline_hours(hours: int) -> int:
    # 40 % clean baseline, but at least one hour of attacks in a short simulation.
    return min(math.ceil(0.4 * hours), hours - 1)
