from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.traffic.detect.config import load_config
from sectool.traffic.localstore import read_events
from sectool.traffic.simulate import ATTACK_TYPES, simulate, write_simulation
from sectool.traffic.simulate.pcap import write_pcap


@pytest.fixture(scope="module")
def sim():
    return simulate(7, hours=8)


def test_deterministic_for_a_seed(sim):
    again = simulate(7, hours=8)
    assert again.truth == sim.truth
    a, b = sim.frame(), again.frame()
    assert a.equals(b)
    assert simulate(8, hours=2).truth != simulate(7, hours=2).truth


def test_ground_truth(sim):
    truth = sim.truth
    assert {a["type"] for a in truth["attacks"]} == set(ATTACK_TYPES)
    p0 = datetime.fromisoformat(truth["attack_period"]["start"])
    for a in truth["attacks"]:
        assert a["detectors"]
        assert a["entity"]
        assert datetime.fromisoformat(a["start"]) >= p0
        assert a["start"] <= a["end"] <= truth["end"]


def test_network_shape(sim):
    df = sim.frame()
    assert df["@timestamp"].is_monotonic_increasing
    assert str(df["@timestamp"].dtype) == "datetime64[ns, UTC]"
    hosts = set(df.loc[df["source.ip"].str.startswith(("10.", "fd00:")), "source.ip"])
    assert 200 <= len(hosts) <= 600  # a few hundred internal hosts
    assert df["network.type"].eq("ipv6").any()
    assert df["observer.name"].nunique() == 5
    names = set(df["dns.question.registered_domain"].dropna())
    assert {"sundhed.dk", "nsp.dk", "fmk-online.dk"} <= names
    # IDS alerts on the brute force (the sensor's verdicts) are the third category; they keep
    # their own kind, module and dataset where the flows carry the simulator's defaults.
    assert set(df["event.category"]) == {"network", "authentication", "intrusion_detection"}
    alerts = df[df["event.category"] == "intrusion_detection"]
    assert set(alerts["event.kind"]) == {"alert"}
    assert set(alerts["event.dataset"]) == {"suricata.eve"}
    assert alerts["rule.name"].notna().all()
    assert set(df.loc[df["event.category"] != "intrusion_detection", "event.kind"]) == {"event"}
    # daily rhythm: a working hour is much busier than an evening hour (Europe/Copenhagen) for
    # the people (their DNS lookups); the infrastructure (monitoring, scanner, backup) runs all day
    people = df[df["event.type"] == "protocol"]
    per_hour = people.groupby(people["@timestamp"].dt.hour).size()
    assert per_hour[12] > 5 * per_hour[18]
    infra = df[df["source.ip"].str.startswith("10.10.70.")]
    assert {"10.10.70.20", "10.10.70.30", "10.10.70.40", "10.10.70.123"} <= set(infra["source.ip"])
    # the silent sensor stops
    silent = next(a for a in sim.truth["attacks"] if a["type"] == "silent_source")
    after = df.loc[df["@timestamp"] >= silent["start"]]
    assert not after["observer.name"].eq(silent["entity"]["observer.name"]).any()


def test_writes_ecs_events_and_ground_truth(tmp_path, sim):
    summary = write_simulation(sim, tmp_path, fmt="ecs")
    events = read_events([tmp_path / "events.parquet"])
    assert len(events) == summary["events"] == len(sim)
    truth = json.loads((tmp_path / "ground_truth.json").read_text())
    assert truth == json.loads(json.dumps(sim.truth))
    # the site's allowlist as a config file `sectool traffic detect --config` accepts
    cfg = load_config(tmp_path / "detect-config.yaml")
    assert cfg.allowlist.cidrs == ("10.10.70.20/32",)
    assert ("10.10.70.30/32", "185.62.188.40/32") in {(p.source, p.destination) for p in cfg.allowlist.pairs}
    assert summary["detect_config"] == str(tmp_path / "detect-config.yaml")


def test_pcap_reads_back_to_the_same_flows(tmp_path, sim):
    """The capture and the events describe the same traffic: the ingest reader folds the
    packets into the same flows (bytes, packets, state, timestamps) and DNS exchanges."""
    from sectool.traffic.readers import read_events as read_capture

    # A slice of the traffic keeps the test fast: the first 4,000 events.
    n, ts = 4000, sim.columns["ts"]
    while ts[sim.order[n]] == ts[sim.order[n - 1]]:
        n += 1  # a DNS exchange's flow and protocol events share a timestamp: keep both
    order = sim.order[:n]
    write_pcap(tmp_path / "t.pcap", sim.columns, order)
    cols = sim.columns
    fields = (
        "source.bytes",
        "destination.bytes",
        "source.packets",
        "destination.packets",
        "sectool.connection.state",
    )
    mine = Counter()
    for i in order:
        if cols["event.category"][i] != "network":
            continue
        key = (
            cols["source.ip"][i],
            cols["source.port"][i],
            cols["destination.ip"][i],
            cols["destination.port"][i],
        )
        if cols["event.type"][i] == "connection":
            mine[(*key, cols["ts"][i], *(cols[f][i] for f in fields))] += 1
        else:
            mine[(*key, "dns", cols["dns.question.name"][i], cols["dns.question.type"][i])] += 1
    theirs = Counter()
    for e in read_capture(tmp_path / "t.pcap"):
        if e["event.category"] != "network":
            continue  # the reader's logon heuristics for SSH/RDP flows; the simulator logs logons apart
        key = (e["source.ip"], e["source.port"], e["destination.ip"], e["destination.port"])
        if e["event.type"] == "connection":
            ts = int(e["@timestamp"].timestamp() * 1_000_000 + 0.5)
            theirs[(*key, ts, *(e.get(f) for f in fields))] += 1
        else:
            theirs[(*key, "dns", e["dns.question.name"], e["dns.question.type"])] += 1
    assert sum(mine.values()) > 3000
    assert mine == theirs


def test_scales_with_hosts_per_site():
    small, large = simulate(4, hours=2, hosts_per_site=20), simulate(4, hours=2, hosts_per_site=80)
    assert 2.5 < len(large) / len(small) < 5
    assert large.truth["hosts_per_site"] == 80


def test_pcap_is_fast_enough(tmp_path):
    import time

    sim = simulate(3, hours=1)
    t = time.perf_counter()
    packets = write_pcap(tmp_path / "t.pcap", sim.columns, sim.order)
    elapsed = time.perf_counter() - t
    assert packets >= 200_000
    assert elapsed < 30, f"{packets} packets took {elapsed:.1f}s"
    head = (tmp_path / "t.pcap").read_bytes()[:24]
    assert head[:4] == b"\xd4\xc3\xb2\xa1"  # classic pcap, little endian, microseconds


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": 10_000}, "hours"),
        ({"hours": 2, "start": datetime(2026, 1, 1)}, "start"),
        ({"hours": 2, "hosts_per_site": 3}, "hosts_per_site"),
    ],
)
def test_bad_parameters(kwargs, field):
    with pytest.raises(InputError) as exc:
        simulate(1, **kwargs)
    assert exc.value.location.field == field


def test_cli(tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        main(
            [
                "traffic",
                "simulate",
                "--seed",
                "5",
                "--hours",
                "2",
                "--out",
                str(out),
                "--jsonl",
                "--start",
                "2026-03-04T12:00:00Z",
            ]
        )
        == 0
    )
    assert (out / "events.jsonl").exists()
    assert (out / "ground_truth.json").exists()
    assert "events" in capsys.readouterr().out
    first = json.loads((out / "events.jsonl").read_text().splitlines()[0])
    assert first["@timestamp"].startswith("2026-03-04T12:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv"], "unknown output format"),
        (["--start", "yesterday"], "not a date and time"),
        (["--hours", "0"], "hours out of range"),
    ],
)
def test_cli_bad_input(tmp_path, capsys, args, message):
    assert main(["traffic", "simulate", "--out", str(tmp_path / "x"), *args]) == 2
    assert message in capsys.readouterr().err


def test_pcap_per_sensor(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["traffic", "simulate", "--seed", "2", "--hours", "1", "--hosts-per-site", "12", "--out", str(out)]
    assert main([*args, "--format", "pcap", "--pcap-per-sensor"]) == 0
    files = sorted(p.name for p in (out / "pcap").iterdir())
    assert files == [f"{s}.pcap" for s in json.loads((out / "ground_truth.json").read_text())["sensors"]]
    assert "packets" in capsys.readouterr().out
