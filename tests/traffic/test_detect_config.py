from __future__ import annotations

from datetime import timedelta

import pytest

from sectool.errors import InputError
from sectool.traffic.detect.config import DetectConfig, load_config, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("10m", timedelta(minutes=10)),
        ("1.5h", timedelta(minutes=90)),
        ("7d", timedelta(days=7)),
        (90, timedelta(seconds=90)),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["10 minutes", "h", "", True, None])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_defaults_without_file():
    cfg = load_config(None)
    assert cfg == DetectConfig()
    assert cfg.detectors.port_scan.vertical_min_ports == 100
    assert cfg.working_hours.timezone == "Europe/Copenhagen"
    assert "fc00::/7" in cfg.internal_ranges


def test_full_file(tmp_path):
    path = tmp_path / "detect.yml"
    path.write_text(
        "internal_ranges: [10.0.0.0/8, 'fd00::/8']\n"
        "realert: 2h\n"
        "working_hours:\n  timezone: Europe/Copenhagen\n  days: [mon, tue]\n"
        "  start: '06:00'\n  end: '20:00'\n"
        "allowlist:\n  cidrs: [10.10.40.5]\n  domains: [akamaiedge.net]\n"
        "detectors:\n  beaconing: {min_score: 0.7, enabled: true}\n  silent_source: {interval: 10m}\n"
    )
    cfg = load_config(path)
    assert cfg.realert == timedelta(hours=2)
    assert cfg.allowlist.cidrs == ("10.10.40.5/32",)
    assert cfg.detectors.silent_source.interval == timedelta(minutes=10)
    assert cfg.working_hours.days == ("mon", "tue")


@pytest.mark.parametrize(
    ("yaml_text", "line", "field"),
    [
        ("detectors:\n  beaconing:\n    min_score: 2\n", 3, "detectors.beaconing.min_score"),
        ("detectors:\n  beacon: {}\n", 2, "detectors.beacon"),
        ("internal_ranges: [10.0.0.0/33]\n", 1, "internal_ranges[0]"),
        ("working_hours:\n  timezone: Mars/Olympus\n", 2, "working_hours.timezone"),
        ("realert: soon\n", 1, "realert"),
    ],
)
def test_errors_name_file_line_field(tmp_path, yaml_text, line, field):
    path = tmp_path / "detect.yml"
    path.write_text(yaml_text)
    with pytest.raises(InputError) as exc:
        load_config(path)
    assert exc.value.location.line == line
    assert exc.value.location.field == field
