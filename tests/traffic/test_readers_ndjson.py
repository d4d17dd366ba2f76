from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.traffic.readers import detect_format, read_events

NESTED = {
    "@timestamp": "2026-03-03T09:26:40.5Z",
    "event": {"kind": "event", "category": "authentication", "outcome": "failure", "duration": 2000},
    "source": {"ip": "10.0.0.7", "port": 41000},
    "destination": {"ip": "10.0.0.9", "port": 22},
    "user": {"name": "oracle"},
    "dns": {"answers": [{"data": "192.0.2.1"}, {"data": "192.0.2.2"}]},
}
FLAT = {"@timestamp": 1772530000500, "source.ip": "2001:DB8::1", "event.severity": 3.0, "sectool.site": "dc2"}


def _write(tmp_path: Path, *docs: Any) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_text("".join((d if isinstance(d, str) else json.dumps(d)) + "\n" for d in docs))
    return path


def test_nested_and_flat(tmp_path: Path) -> None:
    nested, flat = list(read_events(_write(tmp_path, NESTED, FLAT), site="dc1"))
    assert nested["@timestamp"] == datetime(2026, 3, 3, 9, 26, 40, 500000, tzinfo=UTC)
    assert nested["user.name"] == "oracle"
    assert nested["event.duration"] == 2000
    assert nested["dns.answers.data"] == ["192.0.2.1", "192.0.2.2"]
    assert nested["sectool.site"] == "dc1"
    assert flat["@timestamp"] == datetime(2026, 3, 3, 9, 26, 40, 500000, tzinfo=UTC)  # epoch millis
    assert flat["source.ip"] == "2001:db8::1"
    assert flat["event.severity"] == 3
    assert flat["sectool.site"] == "dc2"  # the event's own value wins over --site


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"@timestamp": "2026-03-03T00:00:00Z", "source": {"ip": {"v4": "1.2.3.4"}}},
            r":2, field 'source.ip': bad value: an object",
        ),
        (
            {"@timestamp": "2026-03-03T00:00:00Z", "event": {"category": ["network", 7]}},
            r":2, field 'event.category': bad value: expected a list of strings",
        ),
        (
            {"@timestamp": "2026-03-03T00:00:00Z", "event": {"module": ["a", "b"]}},
            r":2, field 'event.module': bad value: expected a single value",
        ),
        ({"@timestamp": "2026-03-03T00:00:00Z", "source.port": "ssh"}, r":2, field 'source.port': bad value"),
        (
            {"@timestamp": "2026-03-03T00:00:00Z", "source.ip": "10.0.0.300"},
            r":2, field 'source.ip': bad value",
        ),
        ({"@timestamp": "yesterday"}, r":2, field '@timestamp': bad value"),
        (
            {"@timestamp": "2026-03-03T00:00:00"},
            r":2, field '@timestamp': bad value: timestamp without a timezone",
        ),
        ({"source.ip": "10.0.0.1"}, r":2, field '@timestamp': event without @timestamp"),
        ([1, 2], r":2: a line must hold a JSON object"),
        ('{"@timestamp": ', r":2: not valid JSON"),
    ],
)
def test_validation_names_line_and_field(tmp_path: Path, doc: Any, message: str) -> None:
    path = _write(tmp_path, NESTED, doc)
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=message):
        got.extend(read_events(path))
    assert len(got) == 1  # the valid first line


def test_cli_exit_code_and_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, NESTED, {"@timestamp": "2026-03-03T00:00:00Z", "source.port": -1})
    assert main(["traffic", "ingest", str(path), "--to", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "events.ndjson:2, field 'source.port': bad value: expected a port 0..65535 (got -1)" in err
    assert "Traceback" not in err


#: A Filebeat 8 Suricata alert document as it lands in Elasticsearch (abridged).
FILEBEAT_ALERT = {
    "@timestamp": "2024-01-15T10:00:05.402Z",
    "ecs": {"version": "8.0.0"},
    "agent": {"type": "filebeat", "version": "8.19.0", "name": "sensor-1"},
    "host": {"name": "sensor-1"},
    "message": "ET POLICY curl User-Agent Outbound",
    "tags": ["suricata"],
    "event": {
        "kind": "alert",
        "category": ["network", "intrusion_detection"],
        "type": ["allowed"],
        "severity": 2,
        "module": "suricata",
        "dataset": "suricata.eve",
    },
    "source": {"ip": "10.0.1.23", "port": 49900, "bytes": 412, "packets": 4},
    "destination": {"ip": "203.0.113.80", "port": 80},
    "rule": {"id": "2013028", "name": "ET POLICY curl User-Agent Outbound"},
    "suricata": {"eve": {"flow_id": 987112233445566, "alert": {"gid": 1, "rev": 7}}},
}


def test_real_ecs_documents_arrays_and_unknown_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second = {
        **FILEBEAT_ALERT,
        "event": {**FILEBEAT_ALERT["event"], "category": [], "type": ["connection", "start"]},
    }
    path = _write(tmp_path, FILEBEAT_ALERT, second)
    out = tmp_path / "o.jsonl"
    assert main(["traffic", "ingest", str(path), "--to", str(out)]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if "were dropped" in line]
    assert len(warnings) == 1  # once per file, not per line
    for name in ("ecs.version", "agent.type", "host.name", "message", "tags", "suricata.eve.flow_id"):
        assert name in warnings[0] or warnings[0].endswith(", ...")
    first, other = (json.loads(line) for line in out.read_text().splitlines())
    assert first["event.category"] == "intrusion_detection"
    assert first["event.type"] == "allowed"
    assert first["source.bytes"] == 412
    assert "event.category" not in other
    assert other["event.type"] == "connection"
    assert not any(k.startswith(("ecs.", "agent.", "host.", "suricata.")) for k in first)


def test_localstore_jsonl_round_trips_through_ingest(tmp_path: Path) -> None:
    from sectool.traffic.localstore import write_events

    events = list(read_events(_write(tmp_path, NESTED, FLAT)))
    out = tmp_path / "again.jsonl"
    write_events(out, events)
    assert detect_format(out) == "ndjson"
    assert list(read_events(out)) == events


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        (b"\xd4\xc3\xb2\xa1rest", "capture"),
        (b"\x0a\x0d\x0d\x0arest", "capture"),
        (gzip.compress(b"\xd4\xc3\xb2\xa1rest"), "capture"),
        (gzip.compress(b"#separator \\x09\n"), "zeek"),
        (gzip.compress(b'{"timestamp": "x", "event_type": "flow"}\n'), "eve"),
        (gzip.compress(b'{"@timestamp": "x"}\n'), "ndjson"),
        (b"#separator \\x09\n", "zeek"),
        (b'\n{"_path": "conn", "ts": 1}\n', "zeek"),
        (b'{"id.orig_h": "10.0.0.1"}\n', "zeek"),
        (b'{"timestamp": "x", "event_type": "flow"}\n', "eve"),
        (b'{"@timestamp": "x"}\n', "ndjson"),
    ],
)
def test_format_sniffing(tmp_path: Path, content: bytes, fmt: str) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    assert detect_format(path) == fmt


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"hello world\n", "unknown format"),
        (b"[1]\n", "JSON but not an object"),
        (b"\x1f\x8b\x08rest", "damaged gzip file"),
    ],
)
def test_unknown_formats(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        detect_format(path)


def test_missing_file_is_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traffic", "ingest", str(tmp_path / "nope.pcap"), "--to", str(tmp_path / "o.jsonl")]) == 2
    assert "input file not found" in capsys.readouterr().err
