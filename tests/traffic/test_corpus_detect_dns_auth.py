"""The DNS, logon and sensor-verdict detectors on the real corpus (../shared/corpus, README there).

Each input is read the production way (the readers, the local Parquet store) and the detectors
run over its whole time range with the default configuration. Sources: Stratosphere Laboratory
(zeek/004, 005, 006, benign/008, 010: security-datasets-for-testing; suricata/slips-test6: the
Slips project), GPL-2.0.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sectool.traffic.detect.backends.local import PandasBackend
from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.detectors import build_detectors
from sectool.traffic.detect.engine import run_detectors
from sectool.traffic.detect.findings import Finding
from sectool.traffic.ingest import IngestSummary, InputFile, iter_input_events
from sectool.traffic.localstore import write_events
from sectool.traffic.readers import ReaderOptions

OURS = ["dns_tunnelling", "dns_txt_c2", "dga", "brute_force", "sensor_alerts"]


def detect(corpus: Path, rel: str, tmp_path: Path) -> list[Finding]:
    src = corpus / rel
    files = (
        [InputFile(f, from_folder=True) for f in sorted(src.iterdir())] if src.is_dir() else [InputFile(src)]
    )
    summary = IngestSummary()
    events = list(iter_input_events(files, summary, options=ReaderOptions(), site=None))
    assert events, f"{rel}: the readers gave no events ({summary.damaged})"
    store = tmp_path / "events.parquet"
    write_events(store, events)
    stamps = [e["@timestamp"] for e in events]
    since = min(stamps).replace(minute=0, second=0, microsecond=0)
    cfg = DetectConfig()
    run = run_detectors(
        build_detectors(cfg, OURS),
        PandasBackend([store]),
        since=since,
        until=max(stamps) + timedelta(hours=1),
        config=cfg,
        skip_missing_fields=True,
    )
    return run.findings


def test_simda_dga_host_is_found(corpus: Path, tmp_path: Path) -> None:
    found = [f for f in detect(corpus, "zeek/005-simda-dga", tmp_path) if f.detector == "dga"]
    assert [f.entity.value for f in found] == ["fd77:48a1:c0bb:0:b96c:506d:6c7f:e8be"]
    (f,) = found
    assert f.evidence["nxdomain_domains"] >= 100  # 129 NXDOMAIN answers, most for distinct names
    assert f.severity in ("high", "critical")


def test_ssh_brute_force_from_ssh_log_names_the_right_sources(corpus: Path, tmp_path: Path) -> None:
    found = [f for f in detect(corpus, "zeek/004-ssh-json", tmp_path) if f.detector == "brute_force"]
    sources = {f.entity.value for f in found}
    # The heaviest sources: 38, 26, 25, 20 and 20 SSH logons without success in one hour;
    # the next one has 10.
    assert {"10.0.82.226", "10.0.82.228", "10.0.82.229"} <= sources
    assert sources <= {"10.0.82.226", "10.0.82.227", "10.0.82.228", "10.0.82.229", "10.0.115.101"}


def test_ssh_honeypot_gives_no_compromise_from_a_few_logons(corpus: Path, tmp_path: Path) -> None:
    # 10 ssh.log rows, one failure: the successes are not after many failures.
    found = detect(corpus, "zeek/006-ssh-honeypot", tmp_path)
    assert [f for f in found if f.detector == "brute_force"] == []


def test_suricata_alerts_become_findings(corpus: Path, tmp_path: Path) -> None:
    found = [
        f for f in detect(corpus, "suricata/slips-test6-eve.json", tmp_path) if f.detector == "sensor_alerts"
    ]
    assert len(found) >= 100
    assert len({f.id for f in found}) == len(found)
    titles = {f.title.split(" (")[0] for f in found}
    assert "ET SCAN Suspicious inbound to MSSQL port 1433" in titles
    mssql = [f for f in found if f.title.startswith("ET SCAN Suspicious inbound to MSSQL")]
    assert {f.severity for f in mssql} == {"medium"}  # Suricata severity 2
    assert sum(f.evidence["alerts"] for f in found) <= 745  # every alert at most once


@pytest.mark.parametrize("day", ["benign/008-ctu-normal-40-day1", "benign/010-ctu-normal-42-day2"])
def test_no_dns_or_logon_findings_on_the_benign_days(corpus: Path, tmp_path: Path, day: str) -> None:
    found = detect(corpus, day, tmp_path)
    assert [f.title for f in found if f.detector != "sensor_alerts"] == []
    # Zeek's own notices there are certificate complaints: low, never above.
    assert {f.severity for f in found} <= {"low"}
