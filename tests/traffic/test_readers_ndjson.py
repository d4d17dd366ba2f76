from __future__ import annotations

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
            {"@timestamp": "2026-03-03T00:00:00Z", "source": {"ipaddr": "1.2.3.4"}},
            r":2, field 'source.ipaddr': unknown ECS field",
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
    path = _write(tmp_path, NESTED, {"@timestamp": "2026-03-03T00:00:00Z", "bogus": 1})
    assert main(["traffic", "ingest", str(path), "--to", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "events.ndjson:2, field 'bogus': unknown ECS field" in err
    assert "Traceback" not in err


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
        (b"\x1f\x8b\x08rest", "capture"),
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
