"""The shipped nightly playbook against the real Elasticsearch node: detection pushed down as
aggregations, findings to JSONL and the findings index, exit 3 on new high findings, and no
second alert for the same findings (re-alert state)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main

REPO = Path(__file__).resolve().parents[2]
HOURS = 6


@pytest.fixture(scope="module")
def es_events(es_url: str) -> Iterator[tuple[str, Any]]:
    from sectool.traffic.detect.backends.es_connect import connect
    from sectool.traffic.detect.backends.es_testing import ingested_events
    from sectool.traffic.simulate import DEFAULT_START, simulate

    sim = simulate(11, hours=HOURS, start=DEFAULT_START)
    es = connect(es_url)
    with ingested_events(es, sim.events()) as pattern:
        yield pattern, sim
    es.close()


def test_nightly_playbook_on_elasticsearch(
    es_url: str,
    es_events: tuple[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from elasticsearch import Elasticsearch

    pattern, sim = es_events
    findings_index = f"sectool-test-findings-{uuid.uuid4().hex[:8]}"
    text = (REPO / "playbooks" / "nightly-traffic.yml").read_text(encoding="utf-8")
    assert "index: sectool-events-*" in text
    assert "findings_index: sectool-findings" in text
    text = text.replace("index: sectool-events-*", f"index: {pattern}").replace(
        "findings_index: sectool-findings", f"findings_index: {findings_index}"
    )
    pb = tmp_path / "nightly.yml"
    pb.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SECTOOL_ES_URL", es_url)
    since = (sim.start + timedelta(hours=1)).isoformat()
    until = (sim.start + timedelta(hours=HOURS)).isoformat()
    args = ["run", str(pb), "--workdir", str(tmp_path), "--since", since, "--until", until]
    client = Elasticsearch(es_url)
    try:
        first = main(args)
        err = capsys.readouterr().err
        assert first == 3, err
        assert "alert: findings at severity" in err
        files = list((tmp_path / "findings").glob("nightly-*.jsonl"))
        assert len(files) == 1
        findings = [json.loads(x) for x in files[0].read_text(encoding="utf-8").splitlines()]
        assert findings
        assert any(f["severity"] in ("high", "critical") for f in findings)
        client.indices.refresh(index=findings_index)
        assert client.count(index=findings_index)["count"] == len(findings)
        log = [json.loads(x) for x in (tmp_path / "logs" / "nightly-traffic.jsonl").read_text().splitlines()]
        step = next(x for x in log if x["event"] == "step")
        assert step["status"] == "ok"
        assert step["counts"]["findings"] == len(findings)

        # The same night again: nothing new, so no alert (exit 0).
        assert main(args) == 0, capsys.readouterr().err
        again = [
            json.loads(x) for x in (tmp_path / "logs" / "nightly-traffic.jsonl").read_text().splitlines()
        ]
        assert again[-1]["event"] == "run_end"
        assert again[-1]["exit_code"] == 0
        assert [x for x in again if x["event"] == "step"][-1]["counts"]["new"] == 0
    finally:
        client.options(ignore_status=404).indices.delete(index=findings_index)
        client.close()


def _ingest_playbook(path: Path, events: Path, prefix: str) -> Path:
    path.write_text(
        "name: es-ingest\nsteps:\n  - step: traffic.ingest\n    with:\n"
        f"      inputs: [{events.name}]\n      elasticsearch: true\n      index_prefix: {prefix}\n",
        encoding="utf-8",
    )
    return path


def test_ingest_step_indexes_into_elasticsearch(
    es_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from elasticsearch import Elasticsearch

    events = tmp_path / "events.ndjson"
    rows = [
        {
            "@timestamp": f"2026-11-24T0{i}:00:00Z",
            "event.id": f"e{i}",
            "source.ip": "10.0.0.5",
            "destination.ip": "192.0.2.7",
            "destination.port": 443,
            "network.transport": "tcp",
        }
        for i in range(3)
    ]
    events.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    prefix = f"sectool-test-pb-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("SECTOOL_ES_URL", es_url)
    pb = _ingest_playbook(tmp_path / "pb.yml", events, prefix)
    client = Elasticsearch(es_url)
    try:
        assert main(["run", str(pb), "--workdir", str(tmp_path), "--json"]) == 0, capsys.readouterr().err
        lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
        step = next(x for x in lines if x["event"] == "step")
        assert step["status"] == "ok"
        assert (step["counts"]["read"], step["counts"]["indexed"]) == (3, 3)
        client.indices.refresh(index=f"{prefix}-*")
        assert client.count(index=f"{prefix}-*")["count"] == 3
    finally:
        client.options(ignore_status=404).indices.delete(index=f"{prefix}-*")
        client.options(ignore_status=404).indices.delete_index_template(name=prefix)
        client.close()


@pytest.mark.parametrize(
    ("prefix", "url", "message"),
    [
        ("Bad Prefix", None, "invalid index prefix"),
        ("sectool-test-unreachable", "http://127.0.0.1:9", "127.0.0.1:9"),
    ],
)
def test_ingest_step_fails_with_a_message(
    es_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    prefix: str,
    url: str | None,
    message: str,
) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text('{"@timestamp": "2026-11-24T00:00:00Z", "source.ip": "10.0.0.5"}\n', encoding="utf-8")
    monkeypatch.setenv("SECTOOL_ES_URL", url or es_url)
    pb = _ingest_playbook(tmp_path / "pb.yml", events, f'"{prefix}"')
    assert main(["run", str(pb), "--workdir", str(tmp_path), "--json"]) == 1
    captured = capsys.readouterr()
    step = next(json.loads(x) for x in captured.out.strip().splitlines() if '"event": "step"' in x)
    assert step["status"] == "failed"
    assert message in step["error"]
    assert "Traceback" not in captured.err
