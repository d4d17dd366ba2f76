"""Run a simulation and write its outputs (ECS events, pcap, ground truth)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sectool.errors import InputError
from sectool.traffic.ecs import FIELDS
from sectool.traffic.simulate.infra import ALLOWLIST, generate_infrastructure
from sectool.traffic.simulate.network import INTERNAL_RANGES, build_network
from sectool.traffic.simulate.normal import generate_normal
from sectool.traffic.simulate.record import Recorder
from sectool.traffic.simulate.scenario import inject_attacks, period

__all__ = ["DEFAULT_START", "Simulation", "simulate", "write_simulation"]

#: A Tuesday, 11:00 UTC (12:00 in Copenhagen): the baseline is a working afternoon, the
#: attack period runs into the evening (so off-hours administration fits in 8 hours or more).
DEFAULT_START = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_HOURS = 24 * 31
DEFAULT_HOSTS_PER_SITE = 55
MIN_HOSTS_PER_SITE, MAX_HOSTS_PER_SITE = 12, 40_000


@dataclass
class Simulation:
    """Recorded traffic (columns, in time order via :attr:`order`) and its ground truth."""

    seed: int
    start: datetime
    hours: int
    columns: dict[str, list[Any]]
    order: list[int]
    truth: dict[str, Any]

    def __len__(self) -> int:
        return len(self.order)

    def events(self) -> Iterator[dict[str, Any]]:
        """Flat ECS events in time order."""
        cols = self.columns
        names = [k for k in cols if k != "ts" and not k.startswith("_")]
        for i in self.order:
            ts = cols["ts"][i]
            ev: dict[str, Any] = {
                "@timestamp": _EPOCH + timedelta(microseconds=ts),
                "event.kind": "event",
                "event.module": "sectool",
                "event.dataset": "sectool.simulate",
                "observer.type": "sensor",
            }
            for k in names:
                v = cols[k][i]
                if v is not None:
                    ev[k] = v
            src = ev.get("source.ip")
            if src is not None:
                ev["network.type"] = "ipv6" if ":" in src else "ipv4"
            yield ev

    def frame(self) -> Any:
        """The events as a DataFrame shaped like :func:`sectool.traffic.localstore.read_events`
        (built column-wise: no per-event dicts)."""
        import numpy as np
        import pandas as pd

        idx = np.asarray(self.order, dtype=np.int64)
        cols = self.columns
        data: dict[str, Any] = {
            "@timestamp": pd.to_datetime(
                np.asarray(cols["ts"], dtype=np.int64)[idx], unit="us", utc=True
            ).astype("datetime64[ns, UTC]")
        }
        n = len(idx)
        data["event.kind"] = ["event"] * n
        data["event.module"] = ["sectool"] * n
        data["event.dataset"] = ["sectool.simulate"] * n
        data["observer.type"] = ["sensor"] * n
        for k, col in cols.items():
            if k == "ts" or k.startswith("_"):
                continue
            values = [col[i] for i in self.order]
            if k in data:
                # A per-event value (an alert's event.kind) overrides the simulator's default.
                values = [d if v is None else v for d, v in zip(data[k], values, strict=True)]
            if FIELDS.get(k) == "long":
                data[k] = pd.array(values, dtype="Int64")
            else:
                data[k] = values
        src = data["source.ip"]
        data["network.type"] = [None if s is None else ("ipv6" if ":" in s else "ipv4") for s in src]
        return pd.DataFrame(data)


def simulate(
    seed: int, *, hours: int, start: datetime = DEFAULT_START, hosts_per_site: int = DEFAULT_HOSTS_PER_SITE
) -> Simulation:
    """Simulate ``hours`` hours of traffic from ``start`` with attacks, deterministically for ``seed``.

    ``hosts_per_site`` scales the network (four sites; the events grow about linearly with it),
    e.g. for benchmarks that need tens of millions of events.
    """
    if not MIN_HOSTS_PER_SITE <= hosts_per_site <= MAX_HOSTS_PER_SITE:
        raise InputError(
            "hosts per site out of range",
            field="hosts_per_site",
            value=hosts_per_site,
            expected=f"{MIN_HOSTS_PER_SITE}..{MAX_HOSTS_PER_SITE}",
        )
    if not 1 <= hours <= MAX_HOURS:
        raise InputError("hours out of range", field="hours", value=hours, expected=f"1..{MAX_HOURS}")
    if start.tzinfo is None:
        raise InputError(
            "start needs a time zone",
            field="start",
            value=start.isoformat(),
            expected="ISO 8601 with Z or an offset",
        )
    start = start.astimezone(UTC).replace(microsecond=0)
    # Simulation, not cryptography: a seeded PRNG is the point (same seed, same traffic).
    rng = random.Random(f"sectool-simulate:{seed}")  # noqa: S311
    net = build_network(rng, workstations_per_site=hosts_per_site)
    rec = Recorder()
    generate_normal(rec, net, rng, start, hours)
    # Its own stream, so the look-alikes do not shift the rest of the traffic.
    generate_infrastructure(rec, net, random.Random(f"sectool-simulate:{seed}:infra"), start, hours)  # noqa: S311
    truth, silenced = inject_attacks(rec, net, rng, start, hours)
    cols = rec.columns()
    ts = cols["ts"]
    keep = range(rec.n)
    if silenced is not None:
        obs, cut = cols["observer.name"], silenced["from_us"]
        keep = [i for i in keep if not (obs[i] == silenced["observer"] and ts[i] >= cut)]  # type: ignore[assignment]
    end_us = int((start + timedelta(hours=hours)).timestamp() * 1_000_000)
    order = sorted((i for i in keep if ts[i] < end_us), key=lambda i: (ts[i], i))
    p0, p1 = period(start, hours)
    doc = {
        "seed": seed,
        "start": _iso(start),
        "end": _iso(start + timedelta(hours=hours)),
        "attack_period": {"start": _iso(p0), "end": _iso(p1)},
        "internal_ranges": list(INTERNAL_RANGES),
        "sensors": sorted(set(net.sensor_of_site.values())),
        "attacks": truth,
        "allowlist": ALLOWLIST,
    }
    doc["hosts_per_site"] = hosts_per_site
    return Simulation(seed, start, hours, cols, order, doc)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def write_simulation(
    sim: Simulation,
    out: Path,
    *,
    fmt: str = "ecs",
    events_name: str = "events.parquet",
    pcap_per_sensor: bool = False,
) -> dict[str, Any]:
    """Write the outputs into ``out``; returns a summary (file names and counts)."""
    from sectool.fileio import atomic_write_text
    from sectool.traffic.localstore import write_events
    from sectool.traffic.simulate.pcap import write_pcap

    if fmt not in ("ecs", "pcap", "both"):
        raise InputError("unknown output format", field="format", value=fmt, expected="ecs, pcap or both")
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"events": len(sim), "attacks": len(sim.truth["attacks"])}
    if fmt in ("ecs", "both"):
        write_events(out / events_name, sim.events())
        summary["events_file"] = str(out / events_name)
    if fmt in ("pcap", "both") and not pcap_per_sensor:
        summary["packets"] = write_pcap(out / "traffic.pcap", sim.columns, sim.order)
        summary["pcap_file"] = str(out / "traffic.pcap")
    elif fmt in ("pcap", "both"):
        # One capture per sensor, as each sensor would write it: `ingest --site NAME` then
        # gives the events their observer.name back (and a silent sensor a short capture).
        observers = sim.columns["observer.name"]
        summary["packets"] = 0
        for sensor in sim.truth["sensors"]:
            mine = [i for i in sim.order if observers[i] == sensor]
            summary["packets"] += write_pcap(out / "pcap" / f"{sensor}.pcap", sim.columns, mine)
        summary["pcap_file"] = str(out / "pcap")
    atomic_write_text(out / "ground_truth.json", json.dumps(sim.truth, indent=2, sort_keys=True) + "\n")
    summary["ground_truth"] = str(out / "ground_truth.json")
    # The allowlist a site running this network configures (JSON flow style is valid YAML).
    atomic_write_text(
        out / "detect-config.yaml",
        "# sectool traffic detect --config: allowlist of the simulated network's scanner,\n"
        "# off-site backup and time server (docs/traffic-detection.md)\n"
        f"allowlist: {json.dumps(sim.truth['allowlist'], sort_keys=True)}\n",
    )
    summary["detect_config"] = str(out / "detect-config.yaml")
    return summary
