"""``sectool traffic export``: a STIX 2.1 bundle that stix2 parses back, a MISP event pymisp
loads, and addresses inside the health network left out (or kept as context on request)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stix2
from pymisp import MISPEvent

from sectool.alerting.scope import Scope, prepare
from sectool.alerting.stix import TLP_LEVELS
from sectool.cli import main
from sectool.errors import InputError

from .conftest import sample_findings

INTERNAL = ["10.10.70.123", "10.10.70.20", "10.10.10.11", "fd00:5ec7:40::13", "sensor-aarhus"]


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("172.32.0.1", False),
        ("192.168.1.1", True),
        ("fd00::1", True),
        ("fc00::1", True),
        ("127.0.0.1", True),  # not globally routable: means nothing to the CERT
        ("169.254.1.1", True),
        ("::1", True),
        ("185.181.61.91", False),
        ("2a0b:3c93:e756::6167", False),
    ],
)
def test_internal_addresses(address: str, internal: bool) -> None:
    import ipaddress

    assert Scope.build().ip_internal(ipaddress.ip_address(address)) is internal


def test_configurable_internal_ranges() -> None:
    import ipaddress

    scope = Scope.build(["185.181.61.0/24"])
    assert scope.ip_internal(ipaddress.ip_address("185.181.61.91"))
    assert not scope.ip_internal(ipaddress.ip_address("80.53.94.215"))


@pytest.mark.parametrize(
    ("domain", "internal"),
    [
        ("k7q2x.info", False),
        ("printer.local", True),
        ("dc01.region.internal", True),
        ("fileserver", True),
        ("5.1.10.10.in-addr.arpa", True),
        ("nas.home.arpa.", True),
        ("local.example.com", False),
    ],
)
def test_internal_domains(domain: str, internal: bool) -> None:
    assert Scope.build().domain_internal(domain) is internal


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "42 connections from 10.10.70.123 to 185.181.61.91",
            "42 connections from [internal] to 185.181.61.91",
        ),
        ("admin session to 10.10.10.11:22 at Tue 18:00", "admin session to [internal]:22 at Tue 18:00"),
        ("C2 from fd00:5ec7:40::13 to 2a0b:3c93:e756::6167", "C2 from [internal] to 2a0b:3c93:e756::6167"),
        ("upload ratio 1.00, 1:00:00", "upload ratio 1.00, 1:00:00"),
        # An address that ends a sentence, or is followed by a colon, is still an address.
        ("scan from 10.10.70.20.", "scan from [internal]."),
        ("beacon from 10.10.70.20: 42 connections", "beacon from [internal]: 42 connections"),
        ("logon from fd00:5ec7:40::13.", "logon from [internal]."),
        # Internal host names are as telling as internal addresses.
        (
            "TXT answers of dc01.region.internal and k7q2x.info",
            "TXT answers of [internal] and k7q2x.info",
        ),
        ("lookups of 5.1.10.10.in-addr.arpa.", "lookups of [internal]."),
    ],
)
def test_titles_are_redacted(text: str, redacted: str) -> None:
    assert Scope.build().redact(text) == redacted
    assert Scope.build(include_internal=True).redact(text) == text


def test_account_names_in_a_host_finding_title_are_not_exported() -> None:
    from dataclasses import replace

    base = sample_findings()[2]  # brute_force, a host entity (an outside address)
    f = replace(
        base,
        title="logon from 80.53.94.215 succeeded after 40 failures (jensen, EHR-admin)",
        evidence={"successes": 1, "success_accounts": ["jensen", "EHR-admin"], "user.name": "jensen"},
    )
    (item,), _ = prepare([f], Scope.build())
    assert item.title == "logon from 80.53.94.215 succeeded after 40 failures ([account], [account])"
    # Names of people are never shared, not even when internal addresses are kept as context.
    (kept,), _ = prepare([f], Scope.build(include_internal=True))
    assert kept.title == item.title


def test_bad_internal_range_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not an IP network"):
        Scope.build(["10.0.0.0/33"])


def test_what_is_left_out_and_why() -> None:
    items, left_out = prepare(sample_findings(), Scope.build())
    assert [i.finding.detector for i in items] == ["beaconing", "dns_tunnelling", "brute_force", "c2"]
    assert {f.detector: why for f, why in left_out} == {
        "port_scan": "only addresses inside the health network",
        "volume_spike": "source entities are not shared (names of people or sensors)",
    }
    values = {o.value for i in items for o in i.observables}
    assert values == {"185.181.61.91", "k7q2x.info", "80.53.94.215", "2a0b:3c93:e756::6167"}
    assert items[3].port == 5552


def _export(tmp_path: Path, findings_file: Path, *args: str, fmt: str = "stix") -> Path:
    out = tmp_path / f"out.{fmt}.json"
    assert main(["traffic", "export", f"--{fmt}", str(out), str(findings_file), *args]) == 0
    return out


def test_stix_bundle_parses_back_with_indicators_observed_data_sightings_and_tlp(
    tmp_path: Path, findings_file: Path
) -> None:
    out = _export(tmp_path, findings_file, "--tlp", "amber+strict", "--producer", "Region Test SOC")
    text = out.read_text(encoding="utf-8")
    bundle = stix2.parse(text, allow_custom=False)
    by_type: dict[str, list[object]] = {}
    for obj in bundle.objects:
        by_type.setdefault(obj.type, []).append(obj)
    assert {t: len(v) for t, v in by_type.items()} == {
        "identity": 1,
        "marking-definition": 1,
        "indicator": 4,
        "observed-data": 4,
        "sighting": 4,
        "ipv4-addr": 2,
        "ipv6-addr": 1,
        "domain-name": 1,
        "network-traffic": 3,
    }
    (marking,) = by_type["marking-definition"]
    assert marking.id == TLP_LEVELS["amber+strict"]  # type: ignore[attr-defined]
    assert marking.name == "TLP:AMBER+STRICT"  # type: ignore[attr-defined]
    (identity,) = by_type["identity"]
    assert identity.name == "Region Test SOC"  # type: ignore[attr-defined]
    patterns = sorted(i.pattern for i in by_type["indicator"])  # type: ignore[attr-defined]
    assert patterns == [
        "[domain-name:value = 'k7q2x.info']",
        "[ipv4-addr:value = '185.181.61.91']",
        "[ipv4-addr:value = '80.53.94.215']",
        "[ipv6-addr:value = '2a0b:3c93:e756::6167']",
    ]
    ids = {o.id for o in bundle.objects}
    for obj in bundle.objects:
        if obj.type not in ("marking-definition", "ipv4-addr", "ipv6-addr", "domain-name", "network-traffic"):
            assert obj.object_marking_refs == [marking.id]  # type: ignore[attr-defined]
    for s in by_type["sighting"]:
        assert s.sighting_of_ref in ids  # type: ignore[attr-defined]
        assert all(r in ids for r in s.observed_data_refs)  # type: ignore[attr-defined]
        assert s.where_sighted_refs == [identity.id]  # type: ignore[attr-defined]
    for od in by_type["observed-data"]:
        assert all(r in ids for r in od.object_refs)  # type: ignore[attr-defined]
    beacon = next(i for i in by_type["indicator"] if "185.181.61.91" in i.pattern)  # type: ignore[attr-defined]
    assert [r.external_id for r in beacon.external_references] == ["T1071", "T1573"]  # type: ignore[attr-defined]
    assert beacon.description == "42 connections every 1024s from [internal] to 185.181.61.91"  # type: ignore[attr-defined]
    c2 = next(o for o in by_type["network-traffic"] if getattr(o, "dst_port", None) == 5552)
    assert c2.protocols == ["ipv6"]  # type: ignore[attr-defined]
    assert not hasattr(c2, "src_ref")  # the internal source is left out
    for address in INTERNAL:
        assert address not in text
    # deterministic: the same findings give the same bundle
    again = _export(
        tmp_path / "again", findings_file, "--tlp", "amber+strict", "--producer", "Region Test SOC"
    )
    assert again.read_text(encoding="utf-8") == text


def test_include_internal_keeps_context_but_no_internal_indicator(
    tmp_path: Path, findings_file: Path
) -> None:
    out = _export(tmp_path, findings_file, "--include-internal")
    bundle = stix2.parse(out.read_text(encoding="utf-8"))
    values = {o.value for o in bundle.objects if o.type in ("ipv4-addr", "ipv6-addr")}
    assert {"10.10.70.123", "fd00:5ec7:40::13"} <= values
    patterns = " ".join(o.pattern for o in bundle.objects if o.type == "indicator")
    assert "10.10.70.123" not in patterns
    # a finding with internal addresses only is still not an indicator of anything
    assert "10.10.10.11" not in out.read_text(encoding="utf-8")


def test_misp_event_loads_in_pymisp(tmp_path: Path, findings_file: Path) -> None:
    out = _export(tmp_path, findings_file, "--tlp", "green", fmt="misp")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) == {"Event"}
    event = MISPEvent()
    event.load_file(str(out))
    assert event.info.startswith("sectool: 4 network finding(s) from sectool")
    assert int(event.threat_level_id) == 1  # a critical finding
    assert int(event.distribution) == 0
    tags = [t.name for t in event.tags]
    assert tags[0] == "tlp:green"
    assert 'misp-galaxy:mitre-attack-pattern="Encrypted Channel - T1573"' in tags
    assert 'misp-galaxy:mitre-attack-pattern="DNS - T1071.004"' in tags
    assert 'misp-galaxy:mitre-attack-pattern="Password Guessing - T1110.001"' in tags
    got = sorted((a.type, a.value, a.to_ids) for a in event.attributes)
    assert got == [
        ("domain", "k7q2x.info", True),
        ("ip-dst", "185.181.61.91", True),
        ("ip-dst", "2a0b:3c93:e756::6167", True),
        ("ip-src", "80.53.94.215", True),
        ("port", "5552", False),
    ]
    beacon = next(a for a in event.attributes if a.value == "185.181.61.91")
    assert "beaconing (critical" in beacon.comment
    assert "[internal]" in beacon.comment
    assert [t.name for t in beacon.tags] == [
        'misp-galaxy:mitre-attack-pattern="Application Layer Protocol - T1071"',
        'misp-galaxy:mitre-attack-pattern="Encrypted Channel - T1573"',
    ]
    assert beacon.first_seen < beacon.last_seen
    for address in INTERNAL:
        assert address not in out.read_text(encoding="utf-8")


def test_misp_include_internal_marks_them_not_for_ids(tmp_path: Path, findings_file: Path) -> None:
    out = _export(tmp_path, findings_file, "--include-internal", fmt="misp")
    event = MISPEvent()
    event.load_file(str(out))
    internal = {(a.type, a.value): a.to_ids for a in event.attributes if a.value.startswith(("10.", "fd00"))}
    assert internal == {("ip-src", "10.10.70.123"): False, ("ip-src", "fd00:5ec7:40::13"): False}


def test_min_severity_filters(tmp_path: Path, findings_file: Path) -> None:
    out = _export(tmp_path, findings_file, "--min-severity", "critical", fmt="misp")
    event = MISPEvent()
    event.load_file(str(out))
    assert sorted(a.value for a in event.attributes) == ["185.181.61.91", "2a0b:3c93:e756::6167", "5552"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give exactly one of --stix OUT.json or --misp OUT.json"),
        (["--stix", "a.json", "--misp", "b.json"], "give exactly one of --stix OUT.json or --misp OUT.json"),
        (
            ["--stix", "a.json", "--tlp", "white"],
            "field '--tlp': unknown TLP level (got 'white'); expected clear, green",
        ),
        (["--stix", "a.json", "--min-severity", "urgent"], "field '--min-severity': unknown severity"),
        (
            ["--stix", "a.json", "--internal", "10.0.0.0/8x"],
            "field '--internal': not an IP network (got '10.0.0.0/8x')",
        ),
        (["--stix", "a.json", "--producer", " "], "field '--producer'"),
    ],
)
def test_bad_options_exit_2(
    tmp_path: Path, findings_file: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    args = [str(tmp_path / a) if a.endswith(".json") else a for a in args]
    assert main(["traffic", "export", *args, str(findings_file)]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("*.json"))


def test_missing_and_damaged_findings_files_exit_2_and_write_nothing(
    tmp_path: Path, findings_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.json"
    assert main(["traffic", "export", "--stix", str(out), str(tmp_path / "nope.jsonl")]) == 2
    assert f"{tmp_path / 'nope.jsonl'}: findings file not found" in capsys.readouterr().err
    lines = findings_file.read_text(encoding="utf-8").splitlines()
    lines[3] = "{not json"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["traffic", "export", "--misp", str(out), str(bad)]) == 2
    assert f"{bad}:4: not a finding" in capsys.readouterr().err
    assert not out.exists()


def test_export_replaces_the_file_atomically(tmp_path: Path, findings_file: Path) -> None:
    out = tmp_path / "share" / "cert.json"
    out.parent.mkdir()
    out.write_text("old", encoding="utf-8")
    assert main(["traffic", "export", "--stix", str(out), str(findings_file)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "bundle"
    assert [p.name for p in out.parent.iterdir()] == ["cert.json"]
