"""The fuzz harnesses' smoke run, and the reproducers the fuzzers and issue 11 found.

The smoke run feeds each reader its seeds (slices of the real corpus, read at run time) and
structured mutations of them from a fixed seed, for a bounded count and time (about 60 s in all
at most, a few seconds in practice): any exception but an InputError naming the file, or an event
outside the ECS contract, fails it and prints the input that did it. The long, coverage-guided
runs are documented in docs/fuzzing.md.

Reproducers for readers owned elsewhere are plain tests below, marked ``OWNER: <file>``: they
fail until that file's fix lands (the smoke run of that reader fails with them).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import struct
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.traffic.readers import ReadReport, read_events

REPO = Path(__file__).resolve().parents[2]
SMOKE_SEED = 20261207
SMOKE_COUNT = 1000
SMOKE_SECONDS = 6.0  # per reader: six readers stay under a minute on the slowest CI machine


def _fuzz_package() -> ModuleType:
    """The repository's fuzz/ package (not installed: it is a development tool)."""
    if "fuzz" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "fuzz", REPO / "fuzz" / "__init__.py", submodule_search_locations=[str(REPO / "fuzz")]
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["fuzz"] = module
        spec.loader.exec_module(module)
    return sys.modules["fuzz"]


def _targets() -> dict[str, Any]:
    _fuzz_package()
    from fuzz.targets import TARGETS

    return TARGETS


READERS = ["pcap", "zeek_tsv", "zeek_json", "eve", "ndjson", "localstore"]


def test_every_reader_has_a_harness() -> None:
    assert list(_targets()) == READERS


@pytest.mark.parametrize("name", READERS)
def test_smoke_run(name: str, corpus: Path) -> None:
    target = _targets()[name]
    from fuzz.engine import smoke

    result = smoke(target, count=SMOKE_COUNT, seconds=SMOKE_SECONDS, seed=SMOKE_SEED, corpus=corpus)
    report = "\n\n".join(
        f"{sig}\n  {crash.error}\n  input: {crash.data[:400]!r}\n{crash.trace[-1500:]}"
        for sig, crash in result.crashes.items()
    )
    assert not result.crashes, f"{name}: {len(result.crashes)} distinct crashes\n{report}"
    # both sides exercised: good inputs give events, mutated ones errors
    assert result.inputs >= min(SMOKE_COUNT, 60)
    assert result.events > 0
    assert result.input_errors > 0


@pytest.mark.parametrize("name", READERS)
def test_seeds_are_corpus_slices(name: str, corpus: Path) -> None:
    seeds = _targets()[name].seeds(corpus)
    assert len(seeds) >= 3
    assert all(0 < len(s) <= 1 << 16 for s in seeds)


def test_the_oracle_refuses_what_breaks_the_contract(tmp_path: Path) -> None:
    _fuzz_package()
    from fuzz.oracle import ContractError, check_error, check_event

    good = {"@timestamp": datetime.fromisoformat("2024-01-15T10:00:00+00:00"), "source.port": 53}
    check_event(good, tmp_path)
    bad: list[dict[str, Any]] = [
        {**good, "source.port": 65536},
        {**good, "source.bytes": 2**63},
        {**good, "source.ip": "2001:DB8::1"},  # not canonical
        {**good, "rule.category": 7},
        {**good, "user.name": "\ud800"},
        {**good, "unknown.field": "x"},
        {**good, "zeek.x": {"nested": 1}},
        {**good, "zeek.x": float("inf")},
        {**good, "@timestamp": datetime.fromisoformat("3000-01-01T00:00:00+00:00")},
        {**good, "tags": "one"},
    ]
    for event in bad:
        with pytest.raises(ContractError):
            check_event(event, tmp_path)
    with pytest.raises(ContractError, match="without the file name"):
        check_error(InputError("bad value", field="x"), tmp_path / "in.log")


def test_the_atheris_harness_runs(tmp_path: Path) -> None:
    """The long run's entry point, for a few hundred inputs (libFuzzer's own loop and mutator)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(  # nosec B603 (fixed argument list, no shell)
        [sys.executable, "-m", "fuzz.eve", "-runs=200", "-seed=1", f"--workdir={tmp_path}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done 200 runs" in done.stderr
    assert list((tmp_path / "seeds").iterdir())  # corpus slices written outside the repository


# ------------------------------------------------------------------------- known reproducers
_HEAD = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n"
)
_ROW = "1705312800.5\tC1\t10.0.0.1\t1\t10.0.0.2\t22\ttcp\n"


def _read(path: Path) -> tuple[list[dict[str, Any]], InputError | None, ReadReport]:
    """The events of ``path`` (each checked against the contract), the error that ended the
    read (``None`` at the end of the file) and the read report."""
    _fuzz_package()
    from fuzz.oracle import check_error, check_event

    report = ReadReport()
    got: list[dict[str, Any]] = []
    error: InputError | None = None
    try:
        got.extend(read_events(path, report=report))
    except InputError as exc:
        error = exc
    for event in got:
        check_event(event, path)
    if error is not None:
        check_error(error, path)
    return got, error, report


@pytest.mark.parametrize(
    ("header", "line", "name"),
    [
        ("#separator", 1, "#separator"),
        ("#separator ", 1, "#separator"),
        ("#set_separator", 2, "#set_separator"),
        ("#set_separator\t", 2, "#set_separator"),
    ],
)
def test_zeek_header_without_a_value(tmp_path: Path, header: str, line: int, name: str) -> None:
    """OWNER: readers/zeek.py -- a header with no value was an internal error."""
    lines = _HEAD.splitlines(keepends=True)
    lines[line - 1] = header + "\n"
    path = tmp_path / "conn.log"
    path.write_text("".join(lines) + _ROW)
    _, exc, _ = _read(path)
    assert exc is not None
    assert exc.location.line == line
    assert name in str(exc)


def test_eve_line_nested_100000_deep(tmp_path: Path) -> None:
    """OWNER: readers/eve.py -- a RecursionError escaped; the line before is kept."""
    flow = {
        "timestamp": "2024-01-15T10:00:06.000000+0000",
        "flow_id": 1,
        "event_type": "flow",
        "src_ip": "10.0.0.8",
        "src_port": 51000,
        "dest_ip": "8.8.8.8",
        "dest_port": 53,
        "proto": "UDP",
        "flow": {"pkts_toserver": 1, "pkts_toclient": 1, "bytes_toserver": 60, "bytes_toclient": 120},
    }
    deep = '{"timestamp": "2024-01-15T10:00:06Z", "event_type": "flow", "x": ' + "[" * 100_000
    path = tmp_path / "eve.json"
    path.write_text(json.dumps(flow) + "\n" + deep + "]" * 100_000 + "}\n")
    got, exc, _ = _read(path)
    assert exc is not None
    assert exc.location.line == 2
    assert len(got) >= 1


def _pcapng(*stamps: int) -> bytes:
    """A pcapng file (little-endian, microsecond interface) with one UDP packet per timestamp."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    packet = bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=40000, dport=53) / b"x")
    padded = packet + b"\0" * (-len(packet) % 4)
    shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
    idb = struct.pack("<IIHHI", 1, 20, 1, 0, 65535) + struct.pack("<I", 20)
    blocks = b""
    for stamp in stamps:
        body = struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(packet), len(packet)) + padded
        blocks += struct.pack("<II", 6, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
    return shb + idb + blocks


_GOOD_US = 1_705_312_800 * 10**6
_YEAR_4253_US = 72_043_718_400 * 10**6  # 4253-01-01, beyond what sectool keeps (TIME_RANGE)


@pytest.mark.parametrize("stamp", [0xFFFFFFFFFFFFFFFF, 2**62, _YEAR_4253_US], ids=["max", "2^62", "4253"])
def test_pcapng_timestamp_beyond_what_sectool_keeps(tmp_path: Path, stamp: int) -> None:
    """OWNER: readers/pcap.py -- a timestamp beyond the year 9999 crashed; one beyond 2261
    (common.TIME_RANGE: what the Parquet store's nanoseconds hold) passed into the events.
    Either an InputError naming the byte offset, or the packet skipped with a warning that names
    it; never an event with such a time."""
    path = tmp_path / "t.pcapng"
    path.write_bytes(_pcapng(_GOOD_US, stamp))
    got, exc, report = _read(path)
    assert all(e["@timestamp"].year < 2262 for e in got)
    if exc is not None:
        assert "byte" in str(exc)
    else:
        assert any("byte" in w and str(path) in w for w in report.warnings), report.warnings


def _gzip_pcap(cut: bool) -> bytes:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    packet = bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=40000, dport=53) / b"x")
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    records = b"".join(
        struct.pack("<IIII", 1_705_312_800 + i, 0, len(packet), len(packet)) + packet for i in range(50)
    )
    packed = bytearray(gzip.compress(header + records, mtime=0))
    if cut:
        return bytes(packed[: len(packed) // 2])
    packed[-6] ^= 0x55  # the CRC
    return bytes(packed)


@pytest.mark.parametrize("cut", [True, False], ids=["cut short", "bad CRC"])
def test_damaged_gzip_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str], cut: bool) -> None:
    """OWNER: readers/pcap.py -- EOFError/BadGzipFile escaped (internal error, exit 1)."""
    path = tmp_path / "c.pcap.gz"
    path.write_bytes(_gzip_pcap(cut))
    _, exc, _ = _read(path)
    assert exc is not None
    assert "gzip" in str(exc)
    assert main(["traffic", "ingest", str(path), "--to", str(tmp_path / "o.jsonl")]) == 2
    assert "internal error" not in capsys.readouterr().err


_STORE_LINE = '{"@timestamp":"2024-01-15T10:00:00.000000Z","source.ip":"10.0.0.1"}\n'


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (gzip.compress(_STORE_LINE.encode()), None),
        ((_STORE_LINE + '{"@timestamp":' + "[" * 100_000 + "]" * 100_000 + "}\n").encode(), 2),
        (
            (_STORE_LINE + '{"@timestamp":"2024-01-15T10:00:00Z","labels.n":' + "9" * 5000 + "}\n").encode(),
            2,
        ),
        ((_STORE_LINE + '{"@timestamp":"2024-01-15T10:00:00Z","destination.ip":17}\n').encode(), 2),
        ((_STORE_LINE + '{"@timestamp":"2024-01-15T10:00:00Z","user.name":"\\udc00"}\n').encode(), 2),
        ((_STORE_LINE + '{"@timestamp":"3000-01-01T00:00:00Z"}\n').encode(), 2),
    ],
    ids=["gzip", "nested", "5000 digits", "wrong type", "lone surrogate", "year 3000"],
)
def test_local_store_jsonl_reader(tmp_path: Path, content: bytes, line: int | None) -> None:
    """OWNER: traffic/localstore.py (found by fuzz.localstore) -- UnicodeDecodeError,
    RecursionError, ValueError, UnicodeEncodeError (pyarrow) and OverflowError (pandas'
    nanoseconds) escaped, and a wrongly typed value's InputError named no file."""
    from sectool.traffic.localstore import read_events as store_read

    path = tmp_path / "events.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        store_read([path])
    assert info.value.location.file == str(path)
    if line is not None:
        assert info.value.location.line == line


@pytest.mark.parametrize("column", ["detailedlabel.", "a..b", ".x"])
def test_zeek_column_names_elasticsearch_refuses(tmp_path: Path, column: str) -> None:
    """OWNER: readers/zeek.py (found by fuzz.zeek_tsv) -- an unknown column ``detailedlabel#2.``
    became the key ``labels.detailedlabel#2.``, which Elasticsearch refuses (a name ending in a
    dot). Either an InputError naming the line, or keys with no empty part."""
    head = _HEAD.replace("\tproto\n", f"\tproto\t{column}\n").replace("\tenum\n", "\tenum\tstring\n")
    path = tmp_path / "conn.log"
    path.write_text(head + _ROW.replace("\ttcp\n", "\ttcp\tx\n"))
    got, exc, _ = _read(path)  # checks every event's keys
    assert got or exc is not None


@pytest.mark.parametrize("key", ["id..orig_h", "note.", ".x"])
def test_zeek_json_keys_elasticsearch_refuses(tmp_path: Path, key: str) -> None:
    """OWNER: readers/zeek.py (found by fuzz.zeek_json) -- a record key ``id..orig_h`` became
    ``zeek.http.id..orig_h``, which Elasticsearch refuses (an empty name part)."""
    record = {
        "ts": 1705312800.5,
        "uid": "C1",
        "id.orig_h": "10.0.0.1",
        "id.orig_p": 40000,
        "id.resp_h": "10.0.0.2",
        "id.resp_p": 80,
        "method": "GET",
        "host": "example.com",
        "uri": "/",
        "status_code": 200,
    }
    path = tmp_path / "http.log"
    path.write_text(json.dumps({"_path": "http", **record}) + "\n" + json.dumps({**record, key: "x"}) + "\n")
    got, exc, _ = _read(path)  # checks every event's keys
    assert got
    assert exc is None or exc.location.line == 2
