"""Two attacks of the newer detectors: a DGA host, and a sensor that alerts on the brute force.

Each runs on its own random stream (seeded by the host and the start), after the other attacks,
so that adding them leaves every other attack of a seed unchanged.
"""

from __future__ import annotations

import random
import string

from sectool.traffic.simulate.attacks import Injector
from sectool.traffic.simulate.network import Host

__all__ = ["dga", "ids_alerts"]

#: Top-level domains generated names are registered under (Conficker's and Necurs' choices).
_DGA_TLDS = ("com", "net", "org", "info", "biz", "ru")
#: Suricata's signature for an SSH password-guessing burst (Emerging Threats, sid 2001219).
SSH_SCAN = ("ET SCAN Potential SSH Scan", "2001219", 2, "Attempted Information Leak")


def dga(inj: Injector, host: Host) -> None:
    """A host infected with a domain generation algorithm: 40-80 look-ups of random names in a
    few minutes, nearly all NXDOMAIN, one or two resolving (the botnet's registered domain)."""
    rng = random.Random(f"dga-{host.ip}-{inj.t0}")  # noqa: S311  (simulation, not secrets)
    length = rng.randrange(3, 8) * 60_000_000
    t = inj.p0 + rng.randrange(0, max(1, inj.end - inj.p0 - length - 60_000_000))
    first, stop = t, t + length
    resolver = rng.choice(inj.net.resolvers(host.ip)).ip
    obs = inj.net.sensor_for(host)
    n = rng.randrange(40, 81)
    live = set(rng.sample(range(n), 2))
    for i in range(n):
        label = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randrange(8, 12)))
        registered = f"{label}.{rng.choice(_DGA_TLDS)}"
        ok = i in live
        inj.rec.dns(
            t,
            host.ip,
            None,
            resolver,
            qid=rng.randrange(65536),
            subdomain="",
            registered=registered,
            qtype="A",
            rcode="NOERROR" if ok else "NXDOMAIN",
            answers=(f"{rng.choice((31, 91, 185))}.{rng.randrange(256)}.{rng.randrange(256)}.7",)
            if ok
            else (),
            observer=obs,
            site=host.site,
        )
        t = min(stop, t + rng.randrange(1_000_000, max(2_000_000, 2 * length // n)))
    inj.add("dga", ["dga"], {"source.ip": host.ip}, first, t, f"{n} look-ups of generated names")


def ids_alerts(inj: Injector) -> None:
    """The data centre's IDS alerts on the SSH brute force (one alert per 15-25 attempts, as
    Suricata's threshold on the signature does): the sensor's own verdict on the attack."""
    entry = next((e for e in inj.truth if e["type"] == "brute_force"), None)
    if entry is None:
        return
    attacker, target = entry["entity"]["source.ip"], entry["entity"]["destination.ip"]
    cols = inj.rec.columns()  # padded: every column as long as the events so far
    times = [
        ts
        for ts, src, dst, kind in zip(
            cols["ts"], cols["source.ip"], cols["destination.ip"], cols["event.type"], strict=True
        )
        if src == attacker and dst == target and kind == "connection"
    ]
    rng = random.Random(f"ids-{attacker}-{inj.t0}")  # noqa: S311  (simulation, not secrets)
    signature, sid, severity, category = SSH_SCAN
    k = rng.randrange(15, 26)
    for ts in times[k - 1 :: k]:
        inj.rec.alert(
            ts + 5_000,
            attacker,
            target,
            22,
            signature=signature,
            sid=sid,
            severity=severity,
            category=category,
            observer=inj.dc,
            site="dc",
        )
    if len(times) >= k:
        inj.add(
            "sensor_alert",
            ["sensor_alerts"],
            {"source.ip": attacker, "destination.ip": target},
            times[k - 1],
            times[-1] + 5_000,
            f"IDS: {signature} on the brute force",
        )
