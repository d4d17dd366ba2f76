"""Every benchmark of issue 7 in its smoke mode (tiny data), so that none of them rots.

The benchmarks live in ``bench/`` (scripts, not a package); they are loaded by path. The
Elasticsearch ones use the ``es_url`` fixture, unique index names, and must leave nothing behind.
"""

from __future__ import annotations

import importlib.util
import os
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_smoke_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _leftovers(es_url: str, pattern: str) -> list[str]:
    from elasticsearch import Elasticsearch

    with Elasticsearch(es_url) as es:
        found = es.indices.get(index=pattern, allow_no_indices=True, expand_wildcards="all")
        templates = es.options(ignore_status=404).indices.get_index_template(name=pattern)
    return sorted(found) + [t["name"] for t in templates.body.get("index_templates", [])]


# ------------------------------------------------------------------------------------ helpers
def test_table_aligns_columns_and_ratio_handles_zero() -> None:
    common = load("_common")
    text = common.table(["name", "n"], [["a", "1"], ["bbb", "22"]])
    lines = text.splitlines()
    assert lines[0] == "name   n"
    assert lines[2] == "a      1"
    assert lines[3] == "bbb   22"
    assert common.ratio(3.0, 0.0) == float("inf")
    assert common.ratio(3.0, 2.0) == 1.5


def test_run_child_reports_failure_with_stderr(tmp_path: Path) -> None:
    common = load("_common")
    script = tmp_path / "boom.py"
    script.write_text("import sys\nprint('broken on purpose', file=sys.stderr)\nsys.exit(3)\n")
    with pytest.raises(RuntimeError, match=r"exit 3\).*\n.*broken on purpose"):
        common.run_child(script, [])


def test_prefix_capture_copies_exact_records(tmp_path: Path) -> None:
    capture = load("bench_capture")
    src = tmp_path / "src.pcap"
    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    records = [struct.pack("<IIII", i, 0, 3 + i, 60) + bytes([i]) * (3 + i) for i in range(5)]
    src.write_bytes(head + b"".join(records))
    dst = tmp_path / "first3.pcap"
    assert capture.prefix_capture(src, dst, 3) == 3
    assert dst.read_bytes() == head + b"".join(records[:3])
    with pytest.raises(ValueError, match="has only 5 packets, 6 needed"):
        capture.prefix_capture(src, tmp_path / "first6.pcap", 6)
    assert not (tmp_path / "first6.pcap").exists()


def test_bulk_bodies_put_the_prefix_in_actions_only(tmp_path: Path) -> None:
    ingest = load("bench_ingest")
    ph = ingest.PLACEHOLDER
    lines = []
    for i in range(5):
        lines.append(f'{{"create":{{"_index":"{ph}-2026.03.03","_id":"{i}"}}}}\n')
        # A source that mentions the placeholder keeps it: only action lines are rewritten.
        lines.append(f'{{"note":"_index\\":\\"{ph}-x","n":{i}}}\n')
    path = tmp_path / "bulk.ndjson"
    path.write_text("".join(lines))
    bodies = ingest.bulk_bodies(path, "p1", 2)
    assert [b.count(b"\n") for b in bodies] == [4, 4, 2]
    text = b"".join(bodies).decode()
    assert text.count('"_index":"p1-2026.03.03"') == 5
    assert text.count(ph) == 5


# ---------------------------------------------------------------------------------- the runs
def test_capture_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert load("bench_capture").main(["--smoke"]) == 0
    out = capsys.readouterr().out
    for key in ("sectool@1x", "raw@16x", "rdpcap@1x", "sectool / rdpcap", "sectool / bytes-only"):
        assert key in out
    assert "rdpcap@4x" not in out  # rdpcap runs on 1x only


def test_ingest_smoke(es_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert load("bench_ingest").main(["--smoke", "--es", es_url]) == 0
    out = capsys.readouterr().out
    assert "sectool / ceiling (same settings)" in out
    assert "3,000" in out  # both sides indexed every event (checked against the node's count)
    assert _leftovers(es_url, f"sectool-bench-ingest-*-{os.getpid()}-*") == []


def test_detect_smoke(es_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--smoke", "--es", es_url, "--detectors", "port_scan,beaconing,brute_force"]
    assert load("bench_detect").main(argv) == 0
    out = capsys.readouterr().out
    assert "pushed down vs pull" in out
    assert "pandas on Parquet" in out
    names = ("port_scan ", "beaconing ", "brute_force ")
    rows = [line for line in out.splitlines() if line.startswith(names)]
    assert len(rows) == 6  # the comparison table and the Parquet table
    assert "DIFFER" not in out  # every path found the same findings
    assert _leftovers(es_url, f"sectool-bench-detect-{os.getpid()}-*") == []


def test_forms_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert load("bench_forms").main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "errors: 0" in out
    assert "static file (ceiling)" in out
    assert "forum report: 40 clinics" in out
