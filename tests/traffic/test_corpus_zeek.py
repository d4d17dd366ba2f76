"""Every Zeek log of the real corpus (Stratosphere Laboratory / Slips, GPL-2.0; see the corpus
README) reads through :func:`read_events`: one event per data line in the log's dataset, plus the
authentication heuristic's derived events, and spot checks of mapped values."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sectool.errors import InputError
from sectool.traffic import ecs
from sectool.traffic.readers import ReadReport, read_events

#: file -> (dataset of its records, derived heuristic auth events)
CORPUS: dict[str, tuple[str, int]] = {
    "benign/008-ctu-normal-40-day1/conn.log.labeled": ("zeek.connection", 0),
    "benign/008-ctu-normal-40-day1/http.log.labeled": ("zeek.http", 0),
    "benign/008-ctu-normal-40-day1/notice.log.labeled": ("zeek.notice", 0),
    "benign/008-ctu-normal-40-day1/sip.log.labeled": ("zeek.sip", 0),
    "benign/008-ctu-normal-40-day1/ssl.log.labeled": ("zeek.ssl", 0),
    "benign/008-ctu-normal-40-day1/tunnel.log.labeled": ("zeek.tunnel", 0),
    "benign/008-ctu-normal-40-day1/weird.log.labeled": ("zeek.weird", 0),
    "benign/010-ctu-normal-42-day2/conn.log.labeled": ("zeek.connection", 0),
    "benign/010-ctu-normal-42-day2/dns.log.labeled": ("zeek.dns", 0),
    "benign/010-ctu-normal-42-day2/files.log.labeled": ("zeek.files", 0),  # header only
    "benign/010-ctu-normal-42-day2/http.log.labeled": ("zeek.http", 0),
    "benign/010-ctu-normal-42-day2/known_hosts.log.labeled": ("zeek.known_hosts", 0),  # header only
    "benign/010-ctu-normal-42-day2/notice.log.labeled": ("zeek.notice", 0),
    "benign/010-ctu-normal-42-day2/sip.log.labeled": ("zeek.sip", 0),
    "benign/010-ctu-normal-42-day2/software.log.labeled": ("zeek.software", 0),  # header only
    "benign/010-ctu-normal-42-day2/ssl.log.labeled": ("zeek.ssl", 0),
    "benign/010-ctu-normal-42-day2/tunnel.log.labeled": ("zeek.tunnel", 0),
    "benign/010-ctu-normal-42-day2/weird.log.labeled": ("zeek.weird", 0),
    "zeek/001-njrat/conn.log": ("zeek.connection", 0),
    "zeek/001-njrat/labeled-conn.log": ("zeek.connection", 0),
    "zeek/003-android-rat/conn.log": ("zeek.connection", 0),
    "zeek/003-android-rat/dns.log": ("zeek.dns", 0),
    "zeek/004-ssh-json/ssh.log": ("zeek.ssh", 0),
    "zeek/005-simda-dga/conn.log": ("zeek.connection", 0),
    "zeek/005-simda-dga/dns.log": ("zeek.dns", 0),
    "zeek/005-simda-dga/http.log": ("zeek.http", 0),
    "zeek/006-ssh-honeypot/conn.log": ("zeek.connection", 10),
    "zeek/006-ssh-honeypot/ssh.log": ("zeek.ssh", 0),
    "zeek/slips-test10-mixed-zeek-dir/capture_loss.log": ("zeek.capture_loss", 0),
    "zeek/slips-test10-mixed-zeek-dir/conn.log": ("zeek.connection", 0),  # a tab before #separator
    "zeek/slips-test10-mixed-zeek-dir/dns.log": ("zeek.dns", 0),
    "zeek/slips-test10-mixed-zeek-dir/files.log": ("zeek.files", 0),
    "zeek/slips-test10-mixed-zeek-dir/reporter.log": ("zeek.reporter", 0),
    "zeek/slips-test10-mixed-zeek-dir/ssl.log": ("zeek.ssl", 0),
    "zeek/slips-test10-mixed-zeek-dir/weird.log": ("zeek.weird", 0),
    "zeek/slips-test10-mixed-zeek-dir/x509.log": ("zeek.x509", 0),
    "zeek/slips-test13-malicious-dhcpscan-zeek-dir/conn.log": ("zeek.connection", 0),
    "zeek/slips-test13-malicious-dhcpscan-zeek-dir/dhcp.log": ("zeek.dhcp", 0),  # no final line end
    "zeek/slips-test14-malicious-zeek-dir/conn.log": ("zeek.connection", 0),
    "zeek/slips-test14-malicious-zeek-dir/http.log": ("zeek.http", 0),
    "zeek/slips-test14-malicious-zeek-dir/smtp.log": ("zeek.smtp", 0),
    "zeek/slips-test14-malicious-zeek-dir/tunnel.log": ("zeek.tunnel", 0),
    "zeek/slips-test15-malicious-zeek-dir/conn.log": ("zeek.connection", 0),
    "zeek/slips-test15-malicious-zeek-dir/software.log": ("zeek.software", 0),
    "zeek/slips-test15-malicious-zeek-dir/ssl.log": ("zeek.ssl", 0),
    "zeek/slips-test16-malicious-zeek-dir/arp.log": ("zeek.arp", 0),
    "zeek/slips-test9-mixed-zeek-dir/arp.log": ("zeek.arp", 0),
    "zeek/slips-test9-mixed-zeek-dir/conn.log": ("zeek.connection", 0),
    "zeek/slips-test9-mixed-zeek-dir/dhcp.log": ("zeek.dhcp", 0),
    "zeek/slips-test9-mixed-zeek-dir/dns.log": ("zeek.dns", 0),
    "zeek/slips-test9-mixed-zeek-dir/files.log": ("zeek.files", 0),
    "zeek/slips-test9-mixed-zeek-dir/http.log": ("zeek.http", 0),
    "zeek/slips-test9-mixed-zeek-dir/notice.log": ("zeek.notice", 0),
    "zeek/slips-test9-mixed-zeek-dir/pe.log": ("zeek.pe", 0),
    "zeek/slips-test9-mixed-zeek-dir/smtp.log": ("zeek.smtp", 0),
    "zeek/slips-test9-mixed-zeek-dir/software.log": ("zeek.software", 0),
    "zeek/slips-test9-mixed-zeek-dir/ssl.log": ("zeek.ssl", 0),
    "zeek/slips-test9-mixed-zeek-dir/x509.log": ("zeek.x509", 0),
}
#: The one damaged file: its line 21 has spaces where three tabs belong (edited by hand).
DAMAGED = "zeek/slips-test10-mixed-zeek-dir/notice.log"


def _data_lines(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip() and not line.lstrip().startswith("#"))


def test_the_table_names_every_zeek_file_of_the_corpus(corpus: Path) -> None:
    folders = [corpus / "zeek", *corpus.glob("benign/008-*"), *corpus.glob("benign/010-*")]
    found = {str(p.relative_to(corpus)) for d in folders for p in d.rglob("*") if p.is_file()}
    assert found == {*CORPUS, DAMAGED}


@pytest.mark.parametrize(("name", "dataset", "derived"), [(n, d, k) for n, (d, k) in CORPUS.items()])
def test_every_data_line_is_one_event(corpus: Path, name: str, dataset: str, derived: int) -> None:
    path = corpus / name
    report = ReadReport()
    events = list(read_events(path, report=report))
    counts = Counter(e["event.dataset"] for e in events)
    expected = {dataset: _data_lines(path)} if _data_lines(path) else {}
    if derived:
        expected["sectool.auth_heuristic"] = derived
    assert dict(counts) == expected
    assert report.warnings == []
    for event in events:
        assert ecs.unknown_fields(event) == []
        assert getattr(event, "doc_id", None)


def test_the_damaged_notice_log_keeps_its_valid_prefix(corpus: Path) -> None:
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=r"notice.log:21: 23 columns where #fields names 26"):
        got.extend(read_events(corpus / DAMAGED))
    assert len(got) == 12
    assert {e["event.dataset"] for e in got} == {"zeek.notice"}


def test_ssh_log_gives_real_authentication_events(corpus: Path) -> None:
    events = list(read_events(corpus / "zeek/006-ssh-honeypot/ssh.log"))
    (failure,) = [e for e in events if e["event.outcome"] == "failure"]
    assert failure["event.id"] == "CMK66u4MdJVidwAYF3"
    assert (failure["source.ip"], failure["destination.ip"], failure["destination.port"]) == (
        "2001:718:2:1663::1ce",
        "2001:718:2:1663:2d1c:6afd:7fc2:31f8",
        902,
    )
    assert failure["event.category"] == "authentication"
    assert failure["event.action"] == "ssh-login"
    assert failure["zeek.ssh.auth_attempts"] == 2
    assert failure["sectool.ssh.client"] == "SSH-2.0-OpenSSH_7.2p2 Ubuntu-4ubuntu2.8"
    assert "user.name" not in failure
    assert Counter(e["event.outcome"] for e in events) == {"success": 9, "failure": 1}


def test_ssh_json_without_attempts_is_no_login(corpus: Path) -> None:
    events = list(read_events(corpus / "zeek/004-ssh-json/ssh.log"))
    assert {e["event.category"] for e in events} == {"network"}
    assert all("event.outcome" not in e for e in events)


def test_heuristic_auth_events_say_so(corpus: Path) -> None:
    auths = [
        e
        for e in read_events(corpus / "zeek/006-ssh-honeypot/conn.log")
        if e["event.category"] == "authentication"
    ]
    assert auths
    assert all(e["event.action"] == "login-shape-heuristic" and e["tags"] == ["heuristic"] for e in auths)


def test_notice_and_labels(corpus: Path) -> None:
    notice = next(iter(read_events(corpus / "zeek/slips-test9-mixed-zeek-dir/notice.log")))
    assert notice["event.kind"] == "alert"
    assert notice["rule.name"] == "ICMP::ICMPAddressScan"
    assert notice["message"] == "192.168.1.15 performed ICMP address scan on 5 hosts"
    assert notice["source.ip"] == "192.168.1.15"  # from src: this notice has no connection
    conn = next(iter(read_events(corpus / "benign/008-ctu-normal-40-day1/conn.log.labeled")))
    assert (conn["labels.label"], conn["labels.detailedlabel"]) == ("Benign", "Microsoft")
    assert conn["event.id"] == "CHLXQF2OBY4onAR0Ug"
    attacks = [
        e
        for e in read_events(corpus / "benign/008-ctu-normal-40-day1/conn.log.labeled")
        if e.get("labels.label") == "Malicious"
    ]
    assert attacks
    assert all(e["destination.ip"] == "147.32.81.167" for e in attacks[:50])


def test_tls_and_dga_fields(corpus: Path) -> None:
    tls = [
        e for e in read_events(corpus / "benign/008-ctu-normal-40-day1/ssl.log.labeled") if "tls.version" in e
    ]
    assert {(e["tls.version_protocol"], e["tls.version"]) for e in tls} >= {("tls", "1.2")}
    nx = [
        e
        for e in read_events(corpus / "zeek/005-simda-dga/dns.log")
        if e.get("dns.response_code") == "NXDOMAIN"
    ]
    assert len(nx) == 129  # the corpus README's count of the DGA's failed look-ups
