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
    unknown = {"process": {"pid": 4711, "name": "suricata"}, "cloud": {"provider": "none"}}
    second = {
        **FILEBEAT_ALERT,
        **unknown,
        "event": {**FILEBEAT_ALERT["event"], "category": [], "type": ["connection", "start"]},
    }
    path = _write(tmp_path, FILEBEAT_ALERT, second, second)
    out = tmp_path / "o.jsonl"
    assert main(["traffic", "ingest", str(path), "--to", str(out)]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if "were dropped" in line]
    assert len(warnings) == 1  # once per file, not per line
    assert "3 fields outside sectool's ECS list were dropped" in warnings[0]
    for name in ("process.pid", "process.name", "cloud.provider"):
        assert name in warnings[0]
    first, other, _ = (json.loads(line) for line in out.read_text().splitlines())
    assert first["event.category"] == "intrusion_detection"
    assert first["event.type"] == "allowed"
    assert first["source.bytes"] == 412
    # ECS fields of the contract and the suricata.* namespace are kept as they are
    assert first["ecs.version"] == "8.0.0"
    assert first["agent.type"] == "filebeat"
    assert first["host.name"] == "sensor-1"
    assert first["tags"] == ["suricata"]
    assert first["suricata.eve.flow_id"] == 987112233445566
    assert "event.category" not in other
    assert other["event.type"] == "connection"
    assert not any(k.startswith(("process.", "cloud.")) for k in other)


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


# ------------------------------------------------------------------ beyond what the sinks take


def _line(rest: str) -> str:
    """A line with a valid ``@timestamp`` and ``rest`` (raw JSON members)."""
    return '{"@timestamp": "2026-03-03T00:00:00Z", ' + rest + "}"


#: Lines json.loads or orjson take but Elasticsearch, orjson or the Parquet store would refuse
#: later (or crash on): each is an InputError naming the line (and the field where there is one).
BEYOND: list[tuple[str, str]] = [
    (_line('"source.bytes": 9223372036854775808'), r":2, field 'source.bytes': bad value: expected an int"),
    (_line('"source.bytes": 18446744073709551615'), r":2, field 'source.bytes': bad value"),  # orjson: u64
    (_line('"event.severity": 18446744073709551615'), r":2, field 'event.severity': bad value"),
    (_line('"event.severity": -9223372036854775809'), r":2, field 'event.severity': bad value"),
    (_line('"event.severity": 1e30'), r":2, field 'event.severity': bad value: expected an integer"),
    (_line('"event.severity": ' + "9" * 5000), r":2: not valid JSON: integer beyond 64 bits"),
    (_line('"event.severity": 1e999'), r":2: not valid JSON: number beyond a 64-bit float"),
    (_line('"event.severity": NaN'), r":2: not valid JSON: NaN is not a JSON number"),
    (_line('"labels.x": -Infinity'), r":2: not valid JSON: -Infinity is not a JSON number"),
    (_line('"user.name": "\\ud800"'), r":2: not valid JSON text: a lone UTF-16 surrogate"),
    (_line('"\\udc00": 1'), r":2: not valid JSON text: a lone UTF-16 surrogate"),
    (_line('"x": ' + "[" * 100_000 + "]" * 100_000), r":2: not valid JSON: nested too deeply"),
    ('{"@timestamp": "3000-01-01T00:00:00Z"}', r":2, field '@timestamp': bad value: timestamp outside 16"),
    ('{"@timestamp": "1600-01-01T00:00:00+00:00"}', r":2, field '@timestamp': bad value: timestamp outside"),
    ('{"@timestamp": 32503680000000}', r":2, field '@timestamp': bad value: timestamp out"),  # ms
    ('{"@timestamp": 1e300}', r":2, field '@timestamp': bad value"),
    (_line('"event.end": "9999-12-31T23:59:59-00:01"'), r":2, field 'event.end': bad value"),
    (_line('"dns.answers.data": [{"x": 1}]'), r":2, field 'dns.answers.data': bad value: expected a list"),
    (_line('"tags": [["a"]]'), r":2, field 'tags': bad value: expected a list of single values"),
    (_line('"zeek.dhcp.": 1'), r":2, field 'zeek.dhcp.': bad name: an empty part between dots"),
    (_line('"suricata": {"eve": {"a..b": 1}}'), r":2, field 'suricata.eve.a..b': bad name"),
    (_line('"labels": {"": 1}'), r":2, field 'labels.': bad name"),
    # deeper than the flattened field takes (Elasticsearch rejects the document)
    (_line('"zeek": ' + '{"k": ' * 21 + "1" + "}" * 21), r":2, field 'zeek(.k){21}': bad name: more than 20"),
    (_line('"labels.' + ".".join("k" * 21) + '": 1'), r":2, field 'labels.k(.k){20}': bad name: more"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "message"), BEYOND, ids=[m.split(": ", 1)[-1][:40] for _, m in BEYOND])
def test_values_beyond_the_sinks_are_input_errors(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, NESTED, line, FLAT)
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=message) as info:
        got.extend(read_events(path))
    assert info.value.location.file == str(path)
    assert len(got) == 1  # the valid first line


@pytest.mark.parametrize(
    ("doc", "field", "value"),
    [
        ({"@timestamp": "2026-03-03T00:00:00Z", "event.severity": 2**63 - 1}, "event.severity", 2**63 - 1),
        ({"@timestamp": "2026-03-03T00:00:00Z", "event.severity": -(2**63)}, "event.severity", -(2**63)),
        (
            {"@timestamp": "2261-12-31T23:59:59Z"},
            "@timestamp",
            datetime(2261, 12, 31, 23, 59, 59, tzinfo=UTC),
        ),
        ({"@timestamp": -9_000_000_000_000}, "@timestamp", datetime(1684, 10, 19, 8, 0, tzinfo=UTC)),
        ({"@timestamp": "2026-03-03T00:00:00Z", "tags": [True, 1, "x"]}, "tags", ["true", "1", "x"]),
        ({"@timestamp": "2026-03-03T00:00:00Z", "user.name": "\U0001f600"}, "user.name", "\U0001f600"),
    ],
)
def test_edges_that_are_kept(tmp_path: Path, doc: dict[str, Any], field: str, value: Any) -> None:
    (event,) = read_events(_write(tmp_path, doc))
    assert event[field] == value


def test_a_huge_number_is_exit_2_and_other_files_are_still_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Integers beyond an ES long passed the reader and were rejected later by the node."""
    bad = _write(tmp_path, NESTED, _line('"source.bytes": 9223372036854775808'))
    good = tmp_path / "good.ndjson"
    good.write_text(json.dumps(FLAT) + "\n")
    out = tmp_path / "o.jsonl"
    assert main(["traffic", "ingest", str(bad), str(good), "--to", str(out)]) == 2
    err = capsys.readouterr().err
    assert "events.ndjson:2, field 'source.bytes'" in err
    assert "Traceback" not in err
    assert "internal error" not in err
    assert [json.loads(x)["log.file.path"] for x in out.read_text().splitlines()] == [str(bad), str(good)]


#: A Filebeat 8 Zeek connection document as it lands in Elasticsearch (abridged).
FILEBEAT_ZEEK_CONN = {
    "@timestamp": "2024-01-15T10:00:00.000Z",
    "ecs": {"version": "8.0.0"},
    "event": {"kind": "event", "category": ["network"], "type": ["connection", "start"],
              "module": "zeek", "dataset": "zeek.connection", "id": "CHhAvVGS1DHFjwGM9"},
    "host": {"name": "sensor-2", "ip": ["10.0.0.5", "fe80::1"]},
    "tags": ["zeek.connection", "forwarded"],
    "network": {"transport": "tcp", "application": "ssh", "community_id": "1:abc="},
    "source": {"ip": "10.0.1.23", "port": 50000},
    "destination": {"ip": "203.0.113.9", "port": 22},
    "related": {"ip": ["10.0.1.23", "203.0.113.9"]},
    "zeek": {"connection": {"history": "ShADadFf", "state": "SF", "local_orig": True, "missed_bytes": 0}},
}  # fmt: skip


@pytest.mark.parametrize("out_name", ["o.jsonl", "o.parquet"])
def test_filebeat_zeek_document_keeps_its_namespaces(tmp_path: Path, out_name: str) -> None:
    """Filebeat/Agent documents keep zeek.*, host.*, tags, related.* and network.application,
    also through a local Parquet file and back."""
    from sectool.traffic.localstore import expand_namespaces
    from sectool.traffic.localstore import read_events as read_local

    path = _write(tmp_path, FILEBEAT_ZEEK_CONN)
    out = tmp_path / out_name
    assert main(["traffic", "ingest", str(path), "--to", str(out)]) == 0
    (row,) = read_local([out]).to_dict("records")
    event = expand_namespaces(row)
    assert event["zeek.connection.history"] == "ShADadFf"
    assert event["zeek.connection.local_orig"] is True
    assert event["network.application"] == "ssh"
    assert event["host.name"] == "sensor-2"
    assert list(event["host.ip"]) == ["10.0.0.5", "fe80::1"]
    assert list(event["tags"]) == ["zeek.connection", "forwarded"]
    assert list(event["related.ip"]) == ["10.0.1.23", "203.0.113.9"]
    assert event["event.type"] == "connection"
