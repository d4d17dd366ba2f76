"""Findings on real traffic get a summary in both languages, the way the forum report reads them.

Each input of the real corpus (../shared/corpus, sources and licences in its README) is read the
production way, every detector runs over its whole range with the default configuration, and
the findings travel as the report receives them (JSON lines -> ``traffic_from_dicts``, which keeps
the scalar evidence only). Sources: Stratosphere Laboratory (zeek/001, 004, 005:
security-datasets-for-testing; attack/arp-scan, icmp-sweep, suricata/slips-test6,
zeek/slips-test13: the Slips project), GPL-2.0; Chris Sanders' ``packets``
(attack/nmap-os-fingerprinting), free to use with attribution.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from sectool.report.collect import traffic_from_dicts
from sectool.report.finding_text import finding_summary
from sectool.traffic.detect.backends.local import PandasBackend
from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.detectors import build_detectors
from sectool.traffic.detect.engine import run_detectors
from sectool.traffic.ingest import IngestSummary, InputFile, iter_input_events
from sectool.traffic.localstore import write_events
from sectool.traffic.readers import ReaderOptions

ALL = ["port_scan", "c2", "dga", "dns_tunnelling", "dns_txt_c2", "brute_force", "sensor_alerts"]


def _findings(corpus: Path, rel: str, tmp_path: Path) -> list[dict[str, object]]:
    src = corpus / rel
    files = (
        [InputFile(f, from_folder=True) for f in sorted(src.iterdir())] if src.is_dir() else [InputFile(src)]
    )
    events = list(iter_input_events(files, IngestSummary(), options=ReaderOptions(), site=None))
    assert events, rel
    store = tmp_path / "events.parquet"
    write_events(store, events)
    stamps = [e["@timestamp"] for e in events]
    cfg = DetectConfig()
    run = run_detectors(
        build_detectors(cfg, ALL),
        PandasBackend([store]),
        since=min(stamps).replace(minute=0, second=0, microsecond=0),
        until=max(stamps) + timedelta(hours=1),
        config=cfg,
        skip_missing_fields=True,
    )
    # The JSONL line, as the report's collector reads it.
    return [json.loads(json.dumps(f.to_dict())) for f in run.findings]


@pytest.mark.parametrize(
    ("path", "detector", "variant"),
    [
        ("zeek/001-njrat", "c2", None),  # NjRAT's channel to one external address
        ("zeek/005-simda-dga", "dga", None),  # Simda's NXDOMAIN look-ups
        ("zeek/004-ssh-json", "brute_force", "brute_force"),  # SSH guessing from ssh.log
        ("suricata/slips-test6-eve.json", "sensor_alerts", None),  # Suricata's own alerts
        ("attack/arp-scan.pcap", "port_scan", "arp"),
        ("attack/icmp-sweep.pcap", "port_scan", "icmp"),
        ("attack/nmap-os-fingerprinting.pcapng", "port_scan", "probe"),
        ("zeek/slips-test13-malicious-dhcpscan-zeek-dir", "port_scan", "dhcp"),
    ],
)
def test_every_finding_on_real_traffic_reads_in_both_languages(
    corpus: Path, tmp_path: Path, path: str, detector: str, variant: str | None
) -> None:
    items = _findings(corpus, path, tmp_path)
    found = traffic_from_dicts(items).findings
    assert any(f.detector == detector and f.evidence.get("variant") == variant for f in found), (
        f"{path}: the case's finding ({detector}, {variant}) is not there to check"
    )
    for f in found:
        # No title to fall back on: both texts must come from the templates.
        text = finding_summary(f.detector, f.evidence, title="")
        assert text.da, (f.detector, f.evidence, f.summary)
        assert text.en, (f.detector, f.evidence, f.summary)
