"""The DNS, logon and sensor-verdict detectors: shape measures, scorers and configuration.

Events are built in the shape the readers write (tests/traffic/dns_auth_events.py) and run
through the pandas backend; tests/traffic/test_detect_dns_auth_parity.py runs the same events
on Elasticsearch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sectool.errors import InputError
from sectool.traffic.detect.backends.local import PandasBackend
from sectool.traffic.detect.config import DetectConfig, load_config
from sectool.traffic.detect.config.dns_auth import SensorAlerts
from sectool.traffic.detect.detectors import build_detectors
from sectool.traffic.detect.engine import run_detectors
from sectool.traffic.detect.findings import Finding
from sectool.traffic.detect.scorers.dns_shape import (
    encoded_label,
    known_suffix,
    payload_answer,
    random_label,
    txt_text,
    uniformity,
)
from sectool.traffic.detect.scorers.sensor import band_score, matches, notice_severity, suricata_severity
from sectool.traffic.localstore import write_events

from .dns_auth_events import (
    SINCE,
    UNTIL,
    at,
    auth,
    benign_nxdomain,
    cdn_names,
    dns,
    low_rate_tunnel,
    random_dga,
    simda_like,
    txt_benign,
    txt_payloads,
    verdict,
)


def frame(events: Sequence[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(list(events))
    df["@timestamp"] = pd.to_datetime(df["@timestamp"], utc=True)
    return df


def detect(events: Sequence[dict[str, Any]], *names: str, cfg: DetectConfig | None = None) -> list[Finding]:
    cfg = cfg or DetectConfig()
    run = run_detectors(
        build_detectors(cfg, list(names)),
        PandasBackend.from_frame(frame(events)),
        since=SINCE,
        until=UNTIL,
        config=cfg,
    )
    return run.findings


# --------------------------------------------------------------------------- shape measures
@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("mzxw6ytboi3tqmjrgi2dkmbvgy3dqnzq", True),  # base32, 32 chars
        ("e73918151f1ebc1436ac588725008f2fc9eca476", True),  # hex, 40 chars: at most 4 bits per char
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", False),  # long, no entropy
        ("x7Gq2", False),  # short
        ("_domainkey-mzxw6ytboi3tqmjrgi2dkmbv", False),  # service label
        ("internationalisationservices", False),  # a long word: low entropy
    ],
)
def test_encoded_label(label: str, expected: bool) -> None:
    assert encoded_label(label, 24, 3.8) is expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("gacyfew", False),  # Simda: pronounceable (caught by uniformity instead)
        ("sundhed", False),
        ("microsoft", False),
        ("qxkzjtwv", True),  # consonant run
        ("a1b2c3d4", True),  # digits between letters
        ("office365", False),  # one switch only
        ("kq9f3xw0zp", True),
        ("bcdfghjklmnp", True),
        ("e3b0c44298fc1c149afbf4c8", True),  # hash-like
    ],
)
def test_random_label(label: str, expected: bool) -> None:
    assert random_label(label) is expected


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([], 0.0),
        (["gacyfew", "lykyjad", "pufycol", "qedynul"], 1.0),
        (["a", "abcdef", "abcdefghijkl", "abcdefghijklmnopqr"], 0.0),
        (["abc", "abcd", "abcde", "abcdefghijklmnop"], 0.5),
        (["abcd", "abcd", "abcde", "abcdefghijklmnop"], 0.75),
    ],
)
def test_uniformity(labels: list[str], expected: float) -> None:
    assert uniformity(labels) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            "TXT 240 "
            + "SQBFAFgAKABOAGUAdwAtAE8AYgBqAGUAYwB0ACAATgBlAHQALgBXAGUAYgBDAGwAaQBlAG4AdAApAC4ARABvAHcA",
            True,
        ),
        ("v=spf1 include:_spf.google.com include:mailgun.org ~all and some more words here", False),
        ("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDGMjj8MVqFYAXXDq1Gk8fKPzFa5LtQ", False),
        ("google-site-verification=wBq5pT0y1yFZ8m3vQmY8XTqkV1Y9x7tQfQ2m4j1aB6s", False),
        ("short", False),
        ("TXT 80 " + "ab" * 40, False),  # encoded alphabet, no entropy
        ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a089f86d081884c7d659a2feaa0c5", True),
        ("the quick brown fox jumps over the lazy dog and keeps on running far away from here", False),
    ],
)
def test_payload_answer(answer: str, expected: bool) -> None:
    assert payload_answer(answer, 64, 3.5) is expected


def test_txt_text_strips_the_zeek_prefix_only() -> None:
    assert txt_text("TXT 12 hello world!") == "hello world!"
    assert txt_text("TXTish 12 x") == "TXTish 12 x"


@pytest.mark.parametrize(
    ("domain", "expected"),
    [("gacyfew.com", True), ("nhs.co.uk", True), ("corp.lan", False), ("foo.local", False), ("wpad", False)],
)
def test_known_suffix(domain: str, expected: bool) -> None:
    assert known_suffix(domain) is expected


# --------------------------------------------------------------------------- DGA
def test_dga_finds_pronounceable_simda_names_by_their_uniform_length() -> None:
    (f,) = detect(simda_like("fd77::5", 120) + benign_nxdomain("10.0.0.9"), "dga")
    assert f.entity.value == "fd77::5"
    assert f.evidence["nxdomain_domains"] == 120
    assert f.evidence["uniformity"] == 1.0
    assert f.evidence["random_share"] < 0.2
    assert f.severity == "high"
    assert f.techniques == ("T1568.002",)


def test_dga_finds_random_names_of_varying_length() -> None:
    (f,) = detect(random_dga("10.0.0.7", 40), "dga")
    assert f.entity.value == "10.0.0.7"
    assert f.evidence["random_share"] >= 0.9
    assert f.evidence["uniformity"] < 0.6


@pytest.mark.parametrize(
    ("events", "why"),
    [
        (benign_nxdomain("10.0.0.9"), "reverse, block-list, AV, DNS-SD, search-list names, typos"),
        (simda_like("10.0.0.5", 19), "below min_domains"),
        ([dns(at(i), "10.0.0.5", f"d{i}.gacyfew.com", rcode="NXDOMAIN") for i in range(50)], "one domain"),
        ([*simda_like("10.0.0.5", 60)[:0], dns(at(1), "10.0.0.5", "gacyfew.com")], "answered, not NXDOMAIN"),
    ],
)
def test_dga_is_quiet_on(events: list[dict[str, Any]], why: str) -> None:
    assert detect(events, "dga") == [], why


def test_dga_names_of_no_known_suffix_do_not_count() -> None:
    events = [
        dns(at(i * 0.1), "10.0.0.5", f"{w}.intern", rcode="NXDOMAIN") for i, w in enumerate(["gacyfew"] * 1)
    ]
    events += [dns(at(i * 0.1), "10.0.0.5", f"gacy{i:03d}x.example", rcode="NXDOMAIN") for i in range(40)]
    assert detect(events, "dga") == []


# --------------------------------------------------------------------------- tunnels
def test_low_rate_tunnel_is_found_by_its_labels() -> None:
    (f,) = detect(
        low_rate_tunnel("10.0.0.8", "t.example.com", 15) + cdn_names("10.0.0.9", 300), "dns_tunnelling"
    )
    assert f.entity.value == "example.com"
    assert f.evidence["variant"] == "labels"
    assert f.evidence["unique_subdomains"] == 15
    assert f.evidence["encoded_share"] == 1.0
    assert f.evidence["clients"] == ["10.0.0.8"]


@pytest.mark.parametrize(
    ("events", "why"),
    [
        (low_rate_tunnel("10.0.0.8", "t.example.com", 9), "fewer names than min_queries"),
        (cdn_names("10.0.0.9", 300), "many short CDN names"),
        (low_rate_tunnel("10.0.0.8", "avts.mcafee.com", 40), "a reputation service"),
        (benign_nxdomain("10.0.0.9"), "reverse look-ups and block lists"),
    ],
)
def test_dns_tunnelling_is_quiet_on(events: list[dict[str, Any]], why: str) -> None:
    assert detect(events, "dns_tunnelling") == [], why


def test_allowlisted_domain_is_left_out() -> None:
    cfg = DetectConfig.model_validate({"allowlist": {"domains": ["example.com"]}})
    assert detect(low_rate_tunnel("10.0.0.8", "t.example.com", 30), "dns_tunnelling", cfg=cfg) == []


# --------------------------------------------------------------------------- TXT payloads
def test_txt_payloads_are_found() -> None:
    (f,) = detect(
        txt_payloads("10.0.0.8", "stage.example.net", 50) + txt_benign("10.0.0.25", 30), "dns_txt_c2"
    )
    assert f.entity.value == "example.net"
    assert f.evidence["lookups"] == 50
    assert f.evidence["payload_share"] == 1.0
    assert f.evidence["mean_answer_entropy"] > 5
    assert f.severity == "high"


@pytest.mark.parametrize(
    ("events", "why"),
    [
        (txt_benign("10.0.0.25", 60), "SPF, DMARC, DKIM, site verification"),
        (txt_payloads("10.0.0.8", "stage.example.net", 9), "fewer than min_lookups"),
        (txt_payloads("10.0.0.8", "x.sophosxl.net", 40), "an AV service"),
    ],
)
def test_dns_txt_c2_is_quiet_on(events: list[dict[str, Any]], why: str) -> None:
    assert detect(events, "dns_txt_c2") == [], why


# --------------------------------------------------------------------------- logons
def _brute(src: str, n: int, **kw: Any) -> list[dict[str, Any]]:
    return [auth(at(i * 0.5), src, **kw) for i in range(n)]


@pytest.mark.parametrize(
    ("events", "variant", "severity"),
    [
        (_brute("203.0.113.5", 20), "brute_force", "medium"),
        (_brute("203.0.113.5", 80), "brute_force", "high"),
        # Zeek ssh.log rows with no result at all (004-ssh-json): attempts of unknown outcome.
        (_brute("203.0.113.5", 25, outcome=None), "brute_force", "medium"),
        # auth_attempts inside each connection: 8 connections x 4 tries = 32 tries.
        (_brute("203.0.113.5", 8, attempts=4), "brute_force", "medium"),
        # 40 flow-shape guesses weigh 20.
        (_brute("203.0.113.5", 40, heuristic=True), "brute_force", "medium"),
        # many accounts, one try each (Kerberos pre-auth failures)
        (
            [
                auth(at(i), "10.0.0.66", "10.0.0.88", user=f"user{i}", action="kerberos-as-req")
                for i in range(25)
            ],
            "spraying",
            "high",
        ),
        (
            [*_brute("203.0.113.5", 12), auth(at(30), "203.0.113.5", outcome="success", user="root")],
            "compromise",
            "critical",
        ),
        (
            [
                *_brute("203.0.113.5", 30, heuristic=True),
                auth(at(30), "203.0.113.5", outcome="success", heuristic=True),
            ],
            "compromise",
            "high",
        ),
    ],
)
def test_brute_force_variants(events: list[dict[str, Any]], variant: str, severity: str) -> None:
    (f,) = detect(events, "brute_force")
    assert f.evidence["variant"] == variant
    assert f.severity == severity
    assert f.entity.fields[0][0] == "source.ip"


@pytest.mark.parametrize(
    ("events", "why"),
    [
        (_brute("203.0.113.5", 19), "19 failures"),
        (_brute("203.0.113.5", 39, heuristic=True), "39 guesses weigh 19.5"),
        (_brute("203.0.113.5", 6, attempts=1), "one try per connection"),
        (
            [*_brute("203.0.113.5", 9), auth(at(40), "203.0.113.5", outcome="success")],
            "success after 9: a typo",
        ),
        (
            [auth(at(i), "10.0.0.5", outcome="success", user=f"u{i}") for i in range(50)],
            "a terminal server's logons",
        ),
        (
            [auth(at(0), "203.0.113.5", outcome="success")]
            + [auth(at(1 + i), "203.0.113.5") for i in range(15)],
            "success before failing",
        ),
    ],
)
def test_brute_force_is_quiet_on(events: list[dict[str, Any]], why: str) -> None:
    assert detect(events, "brute_force") == [], why


def test_distributed_guessing_on_one_account() -> None:
    events = [auth(at(i), f"198.51.100.{i % 12}", user="admin") for i in range(36)]
    found = detect(events, "brute_force")
    (f,) = [f for f in found if f.entity.kind == "account"]
    assert f.entity.value == "admin"
    assert f.evidence["sources"] == 12


def test_heuristic_failures_never_make_an_account_finding() -> None:
    events = [auth(at(i), f"198.51.100.{i % 12}", user="admin", heuristic=True) for i in range(60)]
    assert [f for f in detect(events, "brute_force") if f.entity.kind == "account"] == []


def test_attempts_are_read_from_the_stored_zeek_namespace(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    write_events(path, _brute("203.0.113.5", 8, attempts=4))
    cfg = DetectConfig()
    run = run_detectors(
        build_detectors(cfg, ["brute_force"]), PandasBackend([path]), since=SINCE, until=UNTIL, config=cfg
    )
    (f,) = run.findings
    assert f.evidence["weighted_failures"] == 32


def test_brute_force_runs_on_logon_events_without_optional_fields() -> None:
    events = [
        {
            "@timestamp": at(i),
            "event.category": "authentication",
            "source.ip": "203.0.113.9",
            "destination.ip": "10.0.0.2",
        }
        for i in range(25)
    ]
    (f,) = detect(events, "brute_force")
    assert f.evidence["unknown_outcome"] == 25


# --------------------------------------------------------------------------- sensor verdicts
@pytest.mark.parametrize(("level", "severity"), [(1, "high"), (2, "medium"), (3, "low"), (4, "low")])
def test_suricata_severity(level: int, severity: str) -> None:
    assert suricata_severity(level) == severity


@pytest.mark.parametrize(
    ("note", "severity"),
    [
        ("Scan::Port_Scan", "medium"),
        ("SSL::Invalid_Server_Cert", "low"),
        ("SSH::Password_Guessing", "high"),
        ("Something::Else", "medium"),
    ],
)
def test_notice_severity(note: str, severity: str) -> None:
    assert notice_severity(note, DetectConfig().detectors.sensor_alerts.notice_severity, "medium") == severity


def test_matches_exact_then_longest_prefix() -> None:
    assert matches("Scan::Port_Scan", ["Scan::", "Scan::Port_Scan"]) == "Scan::Port_Scan"
    assert matches("SSL::X", ["S::", "SSL::"]) == "SSL::"
    assert matches("Scanner", ["Scan::"]) is None


@pytest.mark.parametrize(
    ("sev", "score"), [("low", 0.25), ("medium", 0.625), ("high", 0.825), ("critical", 0.95)]
)
def test_band_score_is_inside_the_band(sev: str, score: float) -> None:
    assert band_score(sev, (0.5, 0.75, 0.9)) == score  # type: ignore[arg-type]


def test_sensor_verdicts_become_deduplicated_findings() -> None:
    events = [
        verdict(
            at(i * 0.1),
            "ET SCAN Suspicious inbound to MSSQL port 1433",
            "198.51.100.7",
            "10.0.0.5",
            severity=2,
            sid="2010935",
        )
        for i in range(40)
    ]
    events += [verdict(at(2), "ET EXPLOIT something bad", "198.51.100.8", "10.0.0.5", severity=1, sid="1")]
    events += [verdict(at(70), "ET EXPLOIT something bad", "198.51.100.8", "10.0.0.5", severity=1, sid="1")]
    events += [verdict(at(3), "Scan::Port_Scan", "198.51.100.9", None, zeek=True)]
    events += [verdict(at(4), "SSH::Password_Guessing", "198.51.100.10", "10.0.0.7", zeek=True)]
    # Information, not verdicts: in the default ``ignore`` list (the certificate notes were every
    # false finding on the CTU benign days), so they give no finding unless a site asks for them.
    events += [verdict(at(4), "SSL::Invalid_Server_Cert", "10.0.0.5", "93.184.216.34", zeek=True)]
    events += [verdict(at(4), "Weird::Activity", "10.0.0.5", "93.184.216.34", zeek=True)]
    events += [verdict(at(5), "ProtocolDetector::Protocol_Found", "10.0.0.5", "93.184.216.34", zeek=True)]
    events += [verdict(at(6), "Notice::Tally", None, None, zeek=True)]
    found = detect(events, "sensor_alerts")
    got = sorted((f.title.split(" (")[0], f.entity.kind, f.severity, f.evidence["alerts"]) for f in found)
    assert got == [
        ("ET EXPLOIT something bad", "pair", "high", 1),
        ("ET EXPLOIT something bad", "pair", "high", 1),  # the next hour: its own window
        ("ET SCAN Suspicious inbound to MSSQL port 1433", "pair", "medium", 40),
        ("Notice::Tally", "service", "medium", 1),
        ("SSH::Password_Guessing", "pair", "high", 1),
        ("Scan::Port_Scan", "host", "medium", 1),
    ]
    assert len({f.id for f in found}) == len(found)
    # A site that wants the certificate notes empties (or shortens) ``ignore``: they come back
    # with their mapped severity.
    keep = [n for n in SensorAlerts().ignore if n != "SSL::Invalid_Server_Cert"]
    cfg = DetectConfig.model_validate({"detectors": {"sensor_alerts": {"ignore": keep}}})
    again = detect(events, "sensor_alerts", cfg=cfg)
    extra = {(f.title.split(" (")[0], f.entity.kind, f.severity) for f in again} - {g[:3] for g in got}
    assert extra == {("SSL::Invalid_Server_Cert", "pair", "low")}


def test_sensor_alerts_on_flows_only_is_no_finding_and_no_error() -> None:
    events = [
        {"@timestamp": at(1), "event.kind": "event", "event.category": "network", "source.ip": "10.0.0.1"}
    ]
    assert detect(events, "sensor_alerts") == []


# --------------------------------------------------------------------------- configuration
def test_config_defaults_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "detect.yaml"
    path.write_text(
        "detectors:\n  dga: {min_domains: 50}\n  sensor_alerts: {notice_severity: {'Scan::': high}}\n"
        "  brute_force: {heuristic_weight: 0.25}\n"
    )
    cfg = load_config(path)
    assert cfg.detectors.dga.min_domains == 50
    assert cfg.detectors.sensor_alerts.notice_severity == {"Scan::": "high"}
    assert cfg.detectors.brute_force.heuristic_weight == 0.25
    assert "spamhaus.org" in cfg.detectors.dns_txt_c2.ignore_zones


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("detectors:\n  dga: {min_domainz: 5}\n", "min_domainz"),
        ("detectors:\n  dga: {min_shape: 2}\n", "min_shape"),
        ("detectors:\n  sensor_alerts: {notice_severity: {'Scan::': severe}}\n", "notice_severity"),
        ("detectors:\n  brute_force: {heuristic_weight: 1.5}\n", "heuristic_weight"),
        ("detectors:\n  dns_txt_c2: {interval: soon}\n", "interval"),
    ],
)
def test_config_errors_name_file_line_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "detect.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_config(path)
    msg = str(err.value)
    assert str(path) in msg
    assert field in msg
    assert ":2" in msg
