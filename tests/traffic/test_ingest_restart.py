"""The node goes away in the middle of an ingest; after a restart the same command finishes
the job with nothing lost and nothing duplicated. Uses a PRIVATE node (own port and data
folder), never the shared development node."""

from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main

pytestmark = [pytest.mark.elasticsearch, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "elasticsearch.sh"
N_EVENTS = 20_000


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class PrivateNode:
    def __init__(self) -> None:
        port = next((p for p in range(9251, 9299) if _free(p) and _free(p + 100)), None)
        if port is None:
            pytest.fail("no free port in 9251-9298 for a private Elasticsearch node")
        self.port = port
        self.base = Path(tempfile.mkdtemp(prefix="sectool-es-restart-", dir="/var/tmp"))
        self.base.chmod(0o755)  # the node runs as an unprivileged user
        self.env = {
            **os.environ,
            "ES_PORT": str(port),
            "ES_DATA_DIR": str(self.base / "data"),
            "ES_HEAP": os.environ.get("SECTOOL_TEST_ES_HEAP", "256m"),
        }
        self.url = f"http://127.0.0.1:{port}"

    def run(self, command: str) -> None:
        proc = subprocess.run(
            [str(SCRIPT), command], env=self.env, capture_output=True, text=True, timeout=420, check=False
        )
        if proc.returncode != 0:
            pytest.fail(f"elasticsearch.sh {command} failed on port {self.port}: {proc.stderr[-2000:]}")


@pytest.fixture(scope="module")
def private_node() -> Iterator[PrivateNode]:
    node = PrivateNode()
    node.run("start")
    try:
        yield node
    finally:
        node.run("stop")
        shutil.rmtree(node.base, ignore_errors=True)


def _input(tmp_path: Path) -> Path:
    """A pcap of N_EVENTS one-packet TCP connection attempts, 37 ms apart: each flow ends by idle
    timeout 60 s later, so events stream out while the capture is read."""
    t0 = int(datetime(2026, 3, 3, 8, 0, tzinfo=UTC).timestamp() * 1_000_000)
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i in range(N_EVENTS):
        src = bytes([10, i % 7, i % 251, i % 13 + 1])
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0, src, bytes([192, 0, 2, 10]))
        tcp = struct.pack("!HHIIBBHHH", 1024 + i % 60000, 443, i, 0, 0x50, 0x02, 65535, 0, 0)
        frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp
        ts = t0 + 37_000 * i
        out += struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)) + frame
    path = tmp_path / "probes.pcap"
    path.write_bytes(bytes(out))
    return path


def _count(url: str, prefix: str) -> int:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(url)
    try:
        client.indices.refresh(index=f"{prefix}-*")
        return int(client.count(index=f"{prefix}-*")["count"])
    finally:
        client.close()


def _wait_for_documents(url: str, prefix: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _count(url, prefix) > 0:  # a wildcard that matches no index yet counts 0
            return
        time.sleep(0.2)
    pytest.fail(f"the node at {url} indexed nothing within {timeout:.0f} s of the first bulk request")


def test_node_stopped_mid_ingest_then_rerun_completes(
    private_node: PrivateNode,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sectool.traffic import ingest

    data = _input(tmp_path)
    prefix = "sectool-restart"
    url = private_node.url
    args = ["traffic", "ingest", str(data), "--es", url, "--index-prefix", prefix, "--max-retries", "2"]

    # 1st run, through the CLI: once 8,000 events have been read, and the node holds some of
    # them (the first bulk request of 5,000 is sent in the background, and a slow machine may not
    # have answered it yet), the node is stopped.
    real_read = ingest.read_events

    def stop_midway(*a: Any, **kw: Any) -> Iterator[dict[str, Any]]:
        for n, event in enumerate(real_read(*a, **kw), 1):
            if n == 8000:
                _wait_for_documents(url, prefix)
                private_node.run("stop")
            yield event

    monkeypatch.setattr(ingest, "read_events", stop_midway)
    code = main(args)
    err = capsys.readouterr().err
    assert code == 1
    assert f"Elasticsearch at {url} failed during bulk indexing" in err
    assert "after 2 retries" in err
    assert "run the same command again to finish (ingest is idempotent)" in err
    assert "Traceback" not in err
    assert "internal error" not in err
    monkeypatch.setattr(ingest, "read_events", real_read)

    private_node.run("start")
    partial = _count(url, prefix)
    assert 0 < partial < N_EVENTS
    found = re.search(r"([\d,]+) events were indexed before", err)
    assert found is not None, err
    assert int(found.group(1).replace(",", "")) <= partial

    # 2nd run: the same command finishes the job.
    code = main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    numbers = {
        k: int(v.replace(",", "")) for k, v in re.findall(r"(read|indexed|present|rejected) ([\d,]+)", out)
    }
    assert numbers["read"] == N_EVENTS
    assert numbers["indexed"] + numbers["present"] == N_EVENTS
    assert numbers["present"] >= partial
    assert numbers["rejected"] == 0
    assert _count(url, prefix) == N_EVENTS  # nothing lost, nothing duplicated
