"""Ingest progress: bytes of the input files read from disk, moving also while a capture yields
no events yet, shown by a bar that a background thread updates every 0.2 s."""

from __future__ import annotations

import gzip
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.traffic import cli_ingest
from sectool.traffic.ingest import IngestSummary, iter_input_events, run_ingest
from sectool.traffic.readers import ReaderOptions

DATA = Path(__file__).parent / "data"


def _one_flow_capture(path: Path, packets: int) -> Path:
    """A classic pcap of one long UDP flow: it yields its only event at the very end."""
    frame = bytearray(14 + 20 + 8 + 58)
    frame[12:14] = b"\x08\x00"
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 86, 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    )
    frame[14:34] = ip
    frame[34:42] = struct.pack("!HHHH", 40000, 9999, 66, 0)
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(packets):
        out += struct.pack("<IIII", 1705312800 + i // 1000, (i % 1000) * 1000, len(frame), len(frame))
        out += frame
    path.write_bytes(bytes(out))
    return path


@pytest.mark.parametrize("name", ["conn.log", "dns.json", "eve.json", "conn.log.gz", "capture"])
def test_bytes_read_reaches_the_file_size(tmp_path: Path, name: str) -> None:
    if name == "capture":
        path = _one_flow_capture(tmp_path / "c.pcap", 100)
    elif name.endswith(".gz"):
        path = tmp_path / name
        path.write_bytes(gzip.compress((DATA / "conn.log").read_bytes()))
    else:
        path = tmp_path / name
        shutil.copy(DATA / name, path)
    summary = IngestSummary()
    events = list(iter_input_events([path, path], summary, options=ReaderOptions(), site=None))
    assert events
    assert summary.bytes_read == 2 * path.stat().st_size
    assert summary.current is None


def test_bytes_read_moves_within_a_log(tmp_path: Path) -> None:
    path = tmp_path / "eve.json"
    path.write_bytes((DATA / "eve.json").read_bytes() * 50)
    summary = IngestSummary()
    events = iter_input_events([path], summary, options=ReaderOptions(), site=None)
    next(events)
    assert 0 < summary.bytes_read < path.stat().st_size / 10
    for _ in events:
        pass


def test_progress_moves_while_a_capture_yields_no_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _one_flow_capture(tmp_path / "big.pcap", 120_000)  # ~16 MiB, 16 chunks
    total = path.stat().st_size
    monkeypatch.setattr(cli_ingest, "PROGRESS_INTERVAL", 0.001)
    summary = IngestSummary()
    seen: list[tuple[int, int]] = []
    progress = cli_ingest.IngestProgress(summary, total, enabled=False)
    original = progress.update

    def record() -> None:
        seen.append((summary.bytes_read, summary.read))
        original()

    monkeypatch.setattr(progress, "update", record)
    with progress:
        run_ingest([path], options=ReaderOptions(), to=tmp_path / "out.jsonl", summary=summary)
    assert any(0 < done < total and read == 0 for done, read in seen), seen[:20]
    assert seen[-1] == (total, 1)
    assert progress.progress.tasks[0].total == total
    assert progress.progress.tasks[0].completed == total


def test_cli_with_a_visible_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sectool.console

    monkeypatch.setattr(sectool.console, "progress_enabled", lambda: True)
    created: list[Any] = []
    real = cli_ingest.IngestProgress

    def spy(*args: Any, **kwargs: Any) -> Any:
        created.append(real(*args, **kwargs))
        return created[-1]

    monkeypatch.setattr(cli_ingest, "IngestProgress", spy)
    out = tmp_path / "o.jsonl"
    assert main(["traffic", "ingest", str(DATA / "eve.json"), str(DATA / "conn.log"), "--to", str(out)]) == 0
    # 6 conn records + 1 heuristic login + 10 EVE records + the EVE stats record, now kept as a metric
    assert "read 18" in capsys.readouterr().out
    (bar,) = created
    task = bar.progress.tasks[0]
    assert (
        task.total
        == task.completed
        == (DATA / "eve.json").stat().st_size + (DATA / "conn.log").stat().st_size
    )
    assert not bar.progress.disable
    assert bar.updates >= 1
    assert bar._thread is not None
    assert not bar._thread.is_alive()
