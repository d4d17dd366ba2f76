"""The node goes away in the middle of an ingest; after a restart the same command finishes
the job with nothing lost and nothing duplicated. Uses a PRIVATE node (own port and data
folder), never the shared development node."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sectool.cli import main
from sectool.errors import ServiceError

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
    from sectool.traffic.localstore import write_events

    t0 = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    events = (
        {
            "@timestamp": t0 + timedelta(milliseconds=37 * i),
            "event.kind": "event",
            "event.category": "network",
            "event.type": "connection",
            "source.ip": f"10.{i % 7}.{i % 251}.{i % 13 + 1}",
            "source.port": 1024 + i % 60000,
            "destination.ip": "192.0.2.10",
            "destination.port": 443,
            "source.bytes": i,
        }
        for i in range(N_EVENTS)
    )
    path = tmp_path / "events.ndjson"
    write_events(path.with_suffix(".jsonl"), events)
    path.with_suffix(".jsonl").rename(path)
    return path


def _count(url: str, prefix: str) -> int:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(url)
    try:
        client.indices.refresh(index=f"{prefix}-*")
        return int(client.count(index=f"{prefix}-*")["count"])
    finally:
        client.close()


def test_node_stopped_mid_ingest_then_rerun_completes(
    private_node: PrivateNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sectool.traffic.es.bulk import BulkIndexer
    from sectool.traffic.es.client import make_client
    from sectool.traffic.es.template import ensure_template
    from sectool.traffic.ingest import run_ingest
    from sectool.traffic.readers import ReaderOptions

    data = _input(tmp_path)
    prefix = "sectool-restart"
    url = private_node.url

    # 1st run: the node is stopped once 8,000 events have been read.
    client = make_client(url, env={})
    ensure_template(client, prefix)
    indexer = BulkIndexer(client, prefix, url=url, chunk_size=1000, max_retries=2, initial_backoff=0.2)
    read = {"n": 0}

    def stop_midway() -> None:
        read["n"] += 1
        if read["n"] == 8000:
            private_node.run("stop")

    with pytest.raises(ServiceError) as exc:
        run_ingest([data], options=ReaderOptions(), indexer=indexer, on_event=stop_midway)
    message = str(exc.value)
    assert f"Elasticsearch at {url} failed during bulk indexing" in message
    assert "run the same command again" in message
    client.close()

    private_node.run("start")
    partial = _count(url, prefix)
    assert 0 < partial < N_EVENTS

    # 2nd run: the same command finishes the job.
    code = main(["traffic", "ingest", str(data), "--es", url, "--index-prefix", prefix])
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
