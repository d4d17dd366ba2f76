from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import pytest

from sectool.errors import InputError
from sectool.traffic.detect.backends.local import PandasBackend
from sectool.traffic.detect.config import DetectConfig, WorkingHours
from sectool.traffic.detect.detectors import DETECTORS, build_detectors
from sectool.traffic.detect.engine import run_detectors
from sectool.traffic.detect.scorers.events import outside_calendar
from sectool.traffic.detect.scorers.net import beacon_score, histogram_score, hour_histogram
from sectool.traffic.detect.scoring import ScoreContext, bowley_skew, entropy, mad, median, score
from sectool.traffic.detect.spec import MissingFieldError, Query

T0 = datetime(2026, 3, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("xs", "expected"),
    [([1, 2, 3, 4, 100], 0.0), ([1, 1, 1, 2, 10], 1.0), ([1, 9, 10, 10, 10], -1.0), ([5, 5, 5], 0.0)],
)
def test_bowley_skew(xs, expected):
    assert bowley_skew(xs) == pytest.approx(expected)


def test_median_and_mad():
    assert median([]) == 0.0
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 2, 3]) == 2.5
    assert mad([1, 2, 3, 4, 100]) == 1


@pytest.mark.parametrize(
    ("text", "bits"), [("", 0.0), ("aaaa", 0.0), ("abab", 1.0), ("abcd", 2.0), ("abcdefghijklmnop", 4.0)]
)
def test_entropy(text, bits):
    assert entropy(text) == pytest.approx(bits)


def test_beacon_score_separates_regular_from_random():
    rng = random.Random(1)
    t, regular = 0, []
    for _ in range(200):
        regular.append(t)
        t += int(60_000 * (1 + rng.uniform(-0.1, 0.1)))
    t, poisson = 0, []
    for _ in range(200):
        poisson.append(t)
        t += int(rng.expovariate(1 / 60_000))
    same = [400.0] * 200
    varied = [rng.lognormvariate(6, 1) for _ in range(200)]
    w = (0, 200 * 60_000)
    assert beacon_score(regular, same, window=w)["score"] > 0.9
    assert beacon_score(poisson, varied, window=w)["score"] < 0.6
    # regular gaps but varied sizes still score high on the timing part
    assert beacon_score(regular, varied, window=w)["ts_score"] > 0.85


@pytest.mark.parametrize(
    ("when", "outside"),
    [
        (datetime(2026, 3, 3, 6, 30, tzinfo=UTC), False),  # Tue 07:30 Copenhagen (UTC+1)
        (datetime(2026, 3, 3, 5, 59, tzinfo=UTC), True),  # 06:59
        (datetime(2026, 3, 3, 17, 0, tzinfo=UTC), True),  # 18:00: the end is exclusive
        (datetime(2026, 6, 2, 15, 30, tzinfo=UTC), False),  # summer time: 17:30 local
        (datetime(2026, 6, 2, 16, 30, tzinfo=UTC), True),  # 18:30 local
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), True),  # Saturday
        (datetime(2026, 12, 24, 10, 0, tzinfo=UTC), True),  # a configured holiday
    ],
)
def test_working_hours_calendar(when, outside):
    wh = WorkingHours(holidays=(date(2026, 12, 24),), start=time(7), end=time(18))
    assert outside_calendar(when, wh) is outside


def _ctx(cfg=None):
    return ScoreContext(since=T0, until=T0 + timedelta(hours=6), config=cfg or DetectConfig())


def _empty_tables(spec):
    from sectool.traffic.detect.spec import empty_table

    return {q.name: empty_table(q) for q in spec.queries}


@pytest.mark.parametrize("name", list(DETECTORS))
def test_every_scorer_accepts_empty_tables(name):
    (spec,) = build_detectors(DetectConfig(), [name])
    assert score(spec, _empty_tables(spec), _ctx()) == []


def _silent_table(counts: dict[int, int]) -> pd.DataFrame:
    # hour offset from T0 -> events of sensor "s1"
    rows = [("s1", pd.Timestamp(T0 + timedelta(hours=h)), c) for h, c in counts.items() if c]
    return pd.DataFrame(rows, columns=["observer.name", "window_start", "count"])


def test_silent_source_groups_consecutive_windows():
    (spec,) = build_detectors(DetectConfig(), ["silent_source"])
    counts = {h: 500 for h in range(-6, 0)} | {0: 480, 1: 0, 2: 0, 3: 470, 4: 0, 5: 0}
    found = score(spec, {"windows": _silent_table(counts)}, _ctx())
    assert [(f.window_start.hour, f.window_end.hour) for f in found] == [(11, 13), (14, 16)]
    assert found[0].entity.kind == "source"
    assert found[0].evidence["silent_windows"] == 2


def test_silent_source_needs_a_steady_baseline():
    (spec,) = build_detectors(DetectConfig(), ["silent_source"])
    # a source that only sends now and then is not "normally sending"
    counts = {-6: 500, -5: 0, -4: 0, -3: 500, -2: 0, -1: 0, 0: 0, 1: 0}
    assert score(spec, {"windows": _silent_table(counts)}, _ctx()) == []


def test_volume_spike_vs_own_baseline():
    (spec,) = build_detectors(DetectConfig(), ["volume_spike"])
    hours = list(range(-24, 6))
    rows = [("10.0.0.5", pd.Timestamp(T0 + timedelta(hours=h)), 10, 5e6 + (h % 3) * 1e6) for h in hours]
    rows[-3] = ("10.0.0.5", rows[-3][1], 900, 4e8)  # 13:00: 400 MB
    df = pd.DataFrame(rows, columns=["source.ip", "window_start", "count", "sum:network.bytes"])
    found = score(spec, {"windows": df}, _ctx())
    assert [f.window_start.hour for f in found] == [13]
    assert found[0].evidence["baseline_median"] == pytest.approx(6e6)
    # the same volume every hour is the baseline, not a spike
    flat = df.assign(**{"sum:network.bytes": 4e8})
    assert score(spec, {"windows": flat}, _ctx()) == []


def test_allowlist_is_part_of_the_filters():
    cfg = DetectConfig.model_validate(
        {
            "allowlist": {
                "cidrs": ["10.9.0.0/16"],
                "domains": ["akamaiedge.net"],
                "pairs": [{"source": "10.1.1.1", "destination": "8.8.8.8"}],
            }
        }
    )
    (beacon,) = build_detectors(cfg, ["beaconing"])
    flt = beacon.queries[0].filter
    assert "10.9.0.0/16" in repr(flt)
    assert "8.8.8.8/32" in repr(flt)
    (dns,) = build_detectors(cfg, ["dns_tunnelling"])
    assert "akamaiedge.net" in repr(dns.queries[0].filter)


def test_disabled_detectors_are_left_out_unless_named():
    cfg = DetectConfig.model_validate({"detectors": {"beaconing": {"enabled": False}}})
    assert "beaconing" not in [s.name for s in build_detectors(cfg)]
    assert [s.name for s in build_detectors(cfg, ["beaconing"])] == ["beaconing"]


def test_every_detector_has_danish_and_english_labels():
    from sectool.traffic.detect.detectors import LABELS, label

    assert set(LABELS) == set(DETECTORS)
    for name in DETECTORS:
        assert label(name, "da")[1] != label(name, "en")[1]  # the explanation is translated
        assert all(text for text in label(name, "da") + label(name, "en"))


H = 3_600_000


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([60, 60, 60, 60, 60], 1.0),  # even spread over the window
        ([60, 0, 0, 0, 0], 0.0),  # one busy hour of five: no spread at all
        ([0, 0, 60, 60], 1 - (1 / 3) ** 0.5),  # k = 2 of B = 4 hours: 1 - sqrt((B/k - 1)/(B - 1))
        ([60], 1.0),  # a one-hour window says nothing about spread
        ([0, 0, 0], 0.0),
    ],
)
def test_histogram_score_cv(counts, expected):
    assert histogram_score([float(c) for c in counts])["hist"] == pytest.approx(expected)


def test_histogram_score_office_hours_beacon_is_bimodal():
    # 60/h from 08:00 to 17:00 on two days (48 bars): CV alone punishes the nights, RITA's
    # bimodal fit (two bar heights: 0 and 60) recognises the on/off beacon.
    day = [0.0] * 8 + [60.0] * 9 + [0.0] * 7
    st = histogram_score(day * 2)
    assert st["hours_seen"] == 18
    assert st["hist_cv"] < 0.85
    assert st["hist"] == pytest.approx(1.0)


def test_hour_histogram_bins_the_window_and_scales_a_partial_last_bin():
    ts = [0, 10, H - 1, H, 2 * H + 1]
    assert hour_histogram(ts, (0, 2 * H + H // 2)) == [3.0, 1.0, 2.0]
    assert hour_histogram([-1, 3 * H], (0, 3 * H)) == [0.0, 0.0, 0.0]  # outside: not counted


def test_a_beacon_scores_the_same_whatever_the_range_beyond_its_data():
    """The histogram spans the pair's own activity (issue 12): a regular burst inside one hour
    scores the same in a 5-hour analysis as in its own hour (it used to get no spread credit
    in the wider range, so the score depended on the range, not on the data)."""
    rows = []
    t = T0 + timedelta(hours=2)
    for _ in range(59):
        rows.append(
            {
                "@timestamp": t,
                "event.kind": "event",
                "event.category": "network",
                "event.type": "connection",
                "source.ip": "10.1.1.5",
                "destination.ip": "198.51.100.7",
                "destination.port": 443,
                "source.bytes": 400,
            }
        )
        t += timedelta(seconds=60)
    cfg = DetectConfig()
    since, until = T0, T0 + timedelta(hours=5)
    backend = PandasBackend.from_frame(pd.DataFrame(rows))
    run = run_detectors(build_detectors(cfg, ["beaconing"]), backend, since=since, until=until, config=cfg)
    # the same burst analysed over its own hour: the same finding
    one = run_detectors(
        build_detectors(cfg, ["beaconing"]),
        backend,
        since=T0 + timedelta(hours=2),
        until=T0 + timedelta(hours=3),
        config=cfg,
    )
    assert len(one.findings) == 1
    assert one.findings[0].evidence["hist"] == 1.0
    assert [f.to_dict() for f in run.findings] == [f.to_dict() for f in one.findings]


def _reference_beacon_parts(ts: list[int], sizes: list[float]) -> dict[str, float]:
    """The gap and byte statistics with the plain-Python helpers (the definition)."""
    from sectool.traffic.detect.scoring import clip01

    gaps = [float(b - a) for a, b in itertools.pairwise(ts)]
    vals = [v for v in sizes if v == v]
    med_g, med_b = median(gaps), median(vals)
    ts_score = ((1 - abs(bowley_skew(gaps))) + (clip01(1 - 2 * mad(gaps) / med_g) if med_g > 0 else 0.0)) / 2
    ds_skew = 1 - abs(bowley_skew(vals)) if vals else 0.0
    ds_score = (ds_skew + (clip01(1 - 2 * mad(vals) / med_b) if med_b > 0 else 0.0)) / 2
    return {"ts_score": ts_score, "ds_score": ds_score, "gap_median_s": med_g / 1000, "bytes_median": med_b}


@pytest.mark.parametrize("seed", range(40))
def test_beacon_score_equals_the_plain_python_definition(seed: int) -> None:
    """The numpy implementation gives exactly the plain-Python median/MAD/quartile results."""
    rng = random.Random(seed)
    n = rng.randint(2, 80)
    if seed % 3 == 0:
        ts = [i * 60_000 + rng.randint(0, 3) for i in range(n)]  # regular, with jitter and ties
    else:
        ts = sorted(rng.randint(0, 86_400_000) for _ in range(n))
    nan = float("nan")
    sizes = [rng.choice([nan, 512.0, 640.0, float(rng.randint(0, 9999))]) for _ in range(n)]
    if seed % 7 == 0:
        sizes = [nan] * n  # no byte counts at all
    got = beacon_score(ts, sizes, window=(0, 86_400_000))
    for key, value in _reference_beacon_parts(ts, sizes).items():
        assert got[key] == value, key


@pytest.mark.parametrize(("ts", "sizes"), [([], []), ([1_000], [512.0]), ([1_000], [float("nan")])])
def test_beacon_score_of_fewer_than_two_connections_is_defined(ts: list[int], sizes: list[float]) -> None:
    """No gap to measure: the gap component scores 0.5 (no skew, no MAD) and nothing raises."""
    got = beacon_score(ts, sizes, window=(0, 86_400_000))
    assert got["gap_median_s"] == 0
    assert got["ts_score"] == 0.5
    assert 0 <= got["score"] <= 1


class _FailingBackend:
    """Raises ``error`` for the given queries and runs the others over no events."""

    def __init__(self, error: InputError, queries: tuple[Query, ...]) -> None:
        self.error, self.queries = error, {id(q) for q in queries}
        no_events = pd.DataFrame({"@timestamp": pd.Series([], dtype="datetime64[ns, UTC]")})
        self.empty = PandasBackend.from_frame(no_events)

    def run(self, query: Query, since: datetime, until: datetime) -> pd.DataFrame:
        if id(query) in self.queries:
            raise self.error
        return self.empty.run(query, since, until)


def test_only_a_missing_field_skips_a_detector():
    cfg = DetectConfig()
    specs = build_detectors(cfg, ["brute_force", "port_scan"])
    brute = next(s for s in specs if s.name == "brute_force").queries
    missing = MissingFieldError("the events have no field 'user.name'", field="user.name", expected="x")
    kw = {"since": T0, "until": T0 + timedelta(hours=1), "config": cfg}
    run = run_detectors(specs, _FailingBackend(missing, brute), skip_missing_fields=True, **kw)
    assert run.skipped == {"brute_force": str(missing)}
    assert "port_scan" in run.buckets
    with pytest.raises(MissingFieldError):
        run_detectors(specs, _FailingBackend(missing, brute), **kw)
    # any other bad input stops the run, even one naming a field and an ECS definition
    other = InputError("bad value", field="user.name", expected="ECS field 'user.name' (keyword)")
    with pytest.raises(InputError, match="bad value"):
        run_detectors(specs, _FailingBackend(other, brute), skip_missing_fields=True, **kw)
