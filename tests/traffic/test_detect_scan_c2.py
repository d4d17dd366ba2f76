"""The scan and command-and-control scorers: rules as tables, and small event sets end to end."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sectool.traffic.detect.backends.local import PandasBackend
from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.detectors import build_detectors
from sectool.traffic.detect.engine import run_detectors
from sectool.traffic.detect.scorers.c2 import c2_score, c2_signals
from sectool.traffic.detect.scorers.net import beacon_score
from sectool.traffic.detect.scorers.scan import Hit, is_scan, merge_hits, scan_score
from sectool.traffic.detect.span import data_span
from sectool.traffic.localstore import write_events

T0 = datetime(2026, 3, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("n", "share", "threshold", "expected"),
    [
        (30, 1.0, 30, True),  # at the threshold, all failed
        (29, 1.0, 30, False),  # below
        (50, 0.4, 30, False),  # answered mostly: a busy client, not a scan
        (120, 0.0, 30, True),  # 4x the threshold: no state needed
        (119, 0.0, 30, False),
        (30, 0.5, 30, True),  # the share at its minimum
    ],
)
def test_is_scan(n: int, share: float, threshold: int, expected: bool) -> None:
    assert is_scan(n, share, threshold, 0.5, 4.0) is expected


@pytest.mark.parametrize(
    ("n", "threshold", "share", "expected"),
    [(30, 30, 1.0, 0.7), (60, 30, 1.0, 0.85), (60, 30, 0.0, 0.65), (3000, 30, 1.0, 0.997)],
)
def test_scan_score(n: int, threshold: int, share: float, expected: float) -> None:
    assert scan_score(n, threshold, share) == pytest.approx(expected, abs=1e-3)


def _hit(first: int, last: int, scale: str, n: int, key: tuple[Any, ...] = ("10.0.0.1", "10.0.0.2")) -> Hit:
    return Hit("vertical", key, T0 + timedelta(minutes=first), T0 + timedelta(minutes=last), n, n, 1.0,
               30.0, scale, scan_score(n, 30, 1.0))  # fmt: skip


def test_overlapping_hits_of_several_scales_are_one_scan() -> None:
    merged = merge_hits([_hit(0, 3, "short", 40), _hit(0, 50, "hour", 120), _hit(0, 300, "slow", 130)])
    assert len(merged) == 1
    assert (merged[0].n, merged[0].scales) == (130, {"short", "hour", "slow"})
    assert merged[0].last == T0 + timedelta(minutes=300)


@pytest.mark.parametrize(
    ("hits", "count"),
    [
        ([_hit(0, 3, "short", 40), _hit(10, 12, "short", 40)], 2),  # two scans, apart
        ([_hit(0, 3, "short", 40), _hit(0, 3, "short", 40, key=("10.0.0.1", "10.0.0.3"))], 2),
        ([], 0),
    ],
)
def test_hits_apart_or_of_other_targets_stay_apart(hits: list[Hit], count: int) -> None:
    assert len(merge_hits(hits)) == count


C2_PARAMS = DetectConfig().detectors.c2.model_dump()
H = 3_600 * 10**9


@pytest.mark.parametrize(
    ("connections", "minutes", "total_ns", "longest_ns", "beacon", "expected"),
    [
        (700, 8, 0.0, 0.0, None, {"rate"}),  # a RAT reconnecting: 700 in 8 minutes
        (237, 50, 0.0, 0.0, 0.75, {"rate", "beacon"}),  # njRAT's retries
        (120, 3, 0.0, 0.0, None, set()),  # one burst of 3 minutes: not persistent
        (99, 8, 0.0, 0.0, None, set()),  # too few
        (12, 86, 1.2 * H, 0.6 * H, None, {"long"}),  # the Android RAT: long sessions
        (1, 0, 0.2 * H, 0.6 * H, None, {"long"}),  # one session of 36 minutes
        (1, 0, 0.2 * H, 0.2 * H, None, set()),
        (30, 60, 0.0, 0.0, 0.69, set()),  # irregular
        (19, 60, 0.0, 0.0, 0.99, set()),  # too few for a beacon
    ],
)
def test_c2_signals(
    connections: int,
    minutes: int,
    total_ns: float,
    longest_ns: float,
    beacon: float | None,
    expected: set[str],
) -> None:
    got = c2_signals(
        C2_PARAMS,
        connections=connections,
        first=T0,
        last=T0 + timedelta(minutes=minutes),
        total_ns=total_ns,
        longest_ns=longest_ns,
        beacon=beacon,
    )
    assert set(got) == expected
    assert all(0.0 <= v <= 1.0 for v in got.values())


@pytest.mark.parametrize(
    ("signals", "expected"),
    [({"rate": 0.0}, 0.6), ({"rate": 1.0}, 0.8), ({"rate": 1.0, "long": 0.5, "beacon": 0.2}, 1.0)],
)
def test_c2_score(signals: dict[str, float], expected: float) -> None:
    assert c2_score(signals) == pytest.approx(expected)


@pytest.mark.parametrize("period_s", [10, 30, 60, 300])
@pytest.mark.parametrize("jitter_s", [2.0, 3.0])
def test_a_jittered_beacon_scores(period_s: int, jitter_s: float) -> None:
    rng = random.Random(period_s)
    ts = [int((k * period_s + rng.uniform(-jitter_s, jitter_s)) * 1000) for k in range(1, 200)]
    ts.sort()
    sizes = [float(300 + rng.randrange(-10, 10)) for _ in ts]
    st = beacon_score(ts, sizes, window=(ts[0], ts[-1] + 1))
    assert st["score"] >= C2_PARAMS["beacon_min_score"]


def test_beaconing_score_does_not_depend_on_the_range_beyond_the_data() -> None:
    """The histogram spans the pair's own activity: two busy hours score the same in a range of
    three hours and of thirty days."""
    rng = random.Random(7)
    ev = [
        _conn(T0 + timedelta(seconds=60 * k + rng.uniform(-3, 3)), "10.0.0.5", "185.1.2.3", 443, state="SF")
        for k in range(120)
    ]
    config = DetectConfig()
    backend = PandasBackend.from_frame(pd.DataFrame(ev))
    scores = []
    for width in (timedelta(hours=3), timedelta(days=30)):
        run = run_detectors(
            build_detectors(config, ["beaconing"]), backend, since=T0, until=T0 + width, config=config
        )
        scores.append([(f.entity.value, f.score) for f in run.findings])
    assert scores[0] == scores[1]
    assert scores[0]
    assert scores[0][0][1] >= 0.9


# --------------------------------------------------------------------------- end to end
def _conn(t: datetime, src: str, dst: str, port: int, *, state: str = "S0", transport: str = "tcp",
          duration_ns: int = 0, sport: int = 40000) -> dict[str, Any]:  # fmt: skip
    return {
        "@timestamp": t,
        "event.category": "network",
        "event.type": "connection",
        "event.dataset": "zeek.connection",
        "source.ip": src,
        "source.port": sport,
        "destination.ip": dst,
        "destination.port": port,
        "network.transport": transport,
        "sectool.connection.state": state,
        "source.bytes": 60,
        "destination.bytes": 0,
        "network.bytes": 60,
        "event.duration": duration_ns,
    }


def _run(events: list[dict[str, Any]], name: str, **cfg: Any) -> list[Any]:
    config = DetectConfig.model_validate(cfg)
    df = pd.DataFrame(events)
    since = min(e["@timestamp"] for e in events)
    until = max(e["@timestamp"] for e in events) + timedelta(seconds=1)
    run = run_detectors(
        build_detectors(config, [name]), PandasBackend.from_frame(df), since=since, until=until, config=config
    )
    return run.findings


def test_a_fast_vertical_scan_of_an_outside_host_is_one_finding() -> None:
    ev = [_conn(T0 + timedelta(seconds=i), "10.0.0.5", "198.51.100.7", 1000 + i) for i in range(50)]
    (f,) = _run(ev, "port_scan")
    assert (f.entity.value, f.evidence["variant"], f.evidence["distinct"]) == (
        "10.0.0.5 -> 198.51.100.7",
        "vertical",
        50,
    )
    assert f.evidence["scales"] == ["short", "slow"]  # 50 in under a day is also 50 per day


def test_outside_destinations_can_be_left_out() -> None:
    ev = [_conn(T0 + timedelta(seconds=i), "10.0.0.5", "198.51.100.7", 1000 + i) for i in range(50)]
    assert _run(ev, "port_scan", detectors={"port_scan": {"internal_destinations_only": True}}) == []


def test_a_slow_scan_over_a_day_is_found_and_browsing_is_not() -> None:
    slow = [_conn(T0 + timedelta(minutes=20 * i), "203.0.113.9", "10.0.0.5", 2000 + i) for i in range(70)]
    browsing = [
        _conn(T0 + timedelta(minutes=3 * i), "10.0.0.5", f"198.51.{i // 250}.{i % 250}", 443, state="SF")
        for i in range(400)
    ]
    found = _run(slow + browsing, "port_scan")
    assert [(f.entity.value, f.evidence["scales"]) for f in found] == [("203.0.113.9 -> 10.0.0.5", ["slow"])]


def test_ping_and_arp_sweeps_are_scans() -> None:
    ping = [
        _conn(T0 + timedelta(milliseconds=50 * i), "10.0.0.9", f"10.0.1.{i}", 0, transport="icmp", sport=8)
        for i in range(1, 21)
    ]
    arp = [
        {"@timestamp": T0 + timedelta(milliseconds=30 * i), "event.dataset": "sectool.arp",
         "event.action": "arp-request", "event.category": "network", "event.type": "info",
         "source.ip": "10.0.0.7", "destination.ip": f"10.0.2.{i}"}
        for i in range(1, 101)
    ]  # fmt: skip
    found = {(f.evidence["variant"], f.entity.value) for f in _run(ping + arp, "port_scan")}
    assert found == {("icmp", "10.0.0.9"), ("arp", "10.0.0.7")}


def test_echo_replies_and_few_pings_are_not_sweeps() -> None:
    replies = [
        _conn(T0 + timedelta(milliseconds=50 * i), "10.0.0.9", f"10.0.1.{i}", 0, transport="icmp", sport=0)
        for i in range(1, 40)
    ]
    few = [
        _conn(T0 + timedelta(seconds=i), "10.0.0.8", f"10.0.1.{i}", 0, transport="icmp", sport=8)
        for i in range(1, 10)
    ]
    assert _run(replies + few, "port_scan") == []


def _dhcp(t: datetime, client: str, mac: str | None, requested: str) -> dict[str, Any]:
    ev = {"@timestamp": t, "event.dataset": "zeek.dhcp", "event.category": "network",
          "event.type": "protocol", "source.ip": client, "destination.ip": "192.168.1.1",
          "sectool.dhcp.requested_ip": requested}  # fmt: skip
    return ev | ({"source.mac": mac} if mac else {})


@pytest.mark.parametrize(
    ("addresses", "macs", "expected"),
    [
        (10, 1, [("dhcp", "192.168.1.30")]),  # the corpus's slips-test13: one client, 10 addresses
        (5, 1, [("dhcp", "192.168.1.30")]),  # at the threshold
        (5, 0, [("dhcp", "192.168.1.30")]),  # a log without MACs: the address is the client
        (4, 1, []),  # below
        (1, 1, []),  # a renewal repeated: one address
        (12, 12, []),  # a relay speaking for 12 clients (one MAC each): no client scans
    ],
)
def test_dhcp_requests_for_many_addresses_from_one_client(
    addresses: int, macs: int, expected: list[tuple[str, str]]
) -> None:
    ev = [
        _dhcp(T0 + timedelta(seconds=i), "192.168.1.30", f"24:4b:fe:1c:48:{i % macs:02x}" if macs else None,
              f"192.168.1.{100 + i}")
        for i in range(max(addresses, 3))
    ]  # fmt: skip
    if addresses == 1:
        ev = [{**e, "sectool.dhcp.requested_ip": "192.168.1.100"} for e in ev]
    ev.append(_conn(T0, "192.168.1.30", "192.168.1.1", 67, transport="udp", state="SF"))  # a flow
    assert [(f.evidence["variant"], f.entity.value) for f in _run(ev, "port_scan")] == expected


def _probes(start: datetime, gap: timedelta, ports: list[int], states: list[str]) -> list[dict[str, Any]]:
    return [
        _conn(start + i * gap, "172.16.16.128", "172.16.16.150", port, state=state, sport=53900 + i)
        for i, (port, state) in enumerate(zip(ports, states, strict=True))
    ]


@pytest.mark.parametrize(
    ("gap", "ports", "states", "found"),
    [
        # nmap -O: odd-flag probes to an open and a closed port, UDP to a closed one, in ~2 s.
        (
            timedelta(milliseconds=150),
            [135] * 6 + [41296] * 3 + [42283, 5357],
            ["OTH", "SH"] * 5 + ["S0"],
            True,
        ),
        # the same burst over 3 minutes (a client retrying 3 dead services): not a probe burst
        (timedelta(seconds=18), [135] * 6 + [41296] * 3 + [42283, 5357], ["S0"] * 11, False),
        # 11 failed tries in seconds, but to 2 ports (445 and 139 of an offline file server)
        (timedelta(milliseconds=300), [445, 139] * 5 + [445], ["S0"] * 11, False),
        # many connections to 3 ports, answered (a busy client of one server)
        (timedelta(milliseconds=200), [80, 443, 8080] * 4, ["SF"] * 12, False),
    ],
    ids=["os-detection", "spread-out", "two-ports", "answered"],
)
def test_a_probe_burst_is_a_scan(gap: timedelta, ports: list[int], states: list[str], found: bool) -> None:
    got = [
        (f.evidence["variant"], f.entity.value) for f in _run(_probes(T0, gap, ports, states), "port_scan")
    ]
    assert got == ([("probe", "172.16.16.128 -> 172.16.16.150")] if found else [])


def test_a_probe_burst_inside_a_vertical_scan_is_not_a_second_finding() -> None:
    scan = [_conn(T0 + timedelta(milliseconds=20 * i), "10.0.0.5", "10.0.0.6", 1000 + i) for i in range(60)]
    found = _run(scan, "port_scan")
    assert [f.evidence["variant"] for f in found] == ["vertical"]


def test_a_rat_session_on_an_uncommon_port_is_one_c2_finding() -> None:
    rng = random.Random(3)
    t, ev = T0, []
    while t < T0 + timedelta(minutes=8):
        ev.append(_conn(t, "10.0.0.5", "185.1.2.3", 5888, state="SF"))
        t += timedelta(milliseconds=rng.randrange(300, 1000))
    ev.append(_conn(T0, "10.0.0.5", "185.1.2.3", 5888, state="SF", duration_ns=3 * 3_600 * 10**9))
    (f,) = _run(ev, "c2")
    assert f.entity.value == "10.0.0.5 -> 185.1.2.3"
    assert {"rate", "long"} <= set(f.evidence["signals"])
    assert f.evidence["ports"] == [5888]


@pytest.mark.parametrize(
    ("dst", "port", "transport"),
    [
        ("185.1.2.3", 443, "tcp"),  # a common port: the beaconing detector's business
        ("239.255.255.250", 1900, "udp"),  # SSDP multicast is local discovery
        ("10.1.1.1", 5888, "tcp"),  # internal destination
    ],
)
def test_busy_traffic_that_is_not_c2(dst: str, port: int, transport: str) -> None:
    ev = [
        _conn(T0 + timedelta(seconds=i), "10.0.0.5", dst, port, state="SF", transport=transport)
        for i in range(600)
    ]
    assert _run(ev, "c2") == []


def test_data_span_is_the_events_at_millisecond_precision(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    first = T0 + timedelta(microseconds=509_987)
    write_events(
        path,
        [
            _conn(first, "10.0.0.1", "10.0.0.2", 80),
            _conn(first + timedelta(hours=2), "10.0.0.1", "10.0.0.2", 80),
        ],
    )
    assert data_span([path]) == (T0 + timedelta(milliseconds=509), T0 + timedelta(hours=2, milliseconds=510))


def test_data_span_of_no_events_is_none(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text("")
    assert data_span([path]) is None


def test_cli_detect_on_files_defaults_to_the_data_span(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from sectool.cli import main

    rng = random.Random(5)
    t, ev = T0, []
    while t < T0 + timedelta(minutes=9):
        ev.append(_conn(t, "10.0.0.5", "185.1.2.3", 5888, state="SF"))
        t += timedelta(milliseconds=rng.randrange(300, 1000))
    path = tmp_path / "e.parquet"
    write_events(path, ev)
    assert main(["traffic", "detect", str(path), "--detector", "c2", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["since"].startswith("2026-03-03T10:00:00")
    assert [f["entity"]["value"] for f in doc["findings"]] == ["10.0.0.5 -> 185.1.2.3"]


def test_cli_detect_on_elasticsearch_needs_the_range(capsys: pytest.CaptureFixture[str]) -> None:
    from sectool.cli import main

    assert main(["traffic", "detect", "--es", "http://localhost:1", "--index", "x"]) == 2
    err = capsys.readouterr().err
    assert "--since/--until" in err
    assert "Traceback" not in err
