"""The fast ingest path gives exactly what the reference path gives: same ids, same indices, same
documents, same validation; and the bulk indexer's answers handling (409, 429, rejections)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from sectool.errors import InputError, ServiceError
from sectool.traffic.es.bulk import BulkIndexer, to_action
from sectool.traffic.es.encode import encode, iso_utc
from sectool.traffic.localstore import canonical_id, iso_z
from sectool.traffic.readers import ReaderOptions, ReadReport, read_events
from sectool.traffic.readers.ndjson import _doc_id, _parse

from .test_ingest_ids_pinned import NDJSON_LINES, _cases


def _decode(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    action, source, rest = data.split(b"\n")
    assert rest == b""
    return orjson.loads(action), orjson.loads(source)


def test_encode_equals_to_action_for_every_reader(tmp_path: Path, sample_packets: list[Any]) -> None:
    seen = 0
    for name, events in _cases(tmp_path, sample_packets):
        for event in events:
            ref = to_action("pfx", event)
            got = encode("pfx", event)
            action, source = _decode(got.data)
            assert (got.target, got.doc_id) == (ref["_index"], ref["_id"]), name
            assert action == {"create": {"_index": ref["_index"], "_id": ref["_id"]}}
            assert source == json.loads(json.dumps(ref["_source"])), name
            assert list(source) == list(ref["_source"]), name  # same key order as nest()
            seen += 1
    assert seen > 60


@pytest.mark.parametrize(
    "event",
    [
        {"@timestamp": "2026-03-03T11:00:00Z", "source.ip": "10.0.0.1"},  # text timestamp
        {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "source.bytes": 2**70},  # beyond orjson
        {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "x": 1.5, "y": True},
        {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "dns.answers.data": ("a", 1)},
        {"@timestamp": datetime(999, 3, 3, tzinfo=UTC), "user.name": "old"},
        {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "dns": "x", "dns.id": "1"},  # overwrite
        {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "a.b.c.d": "deep", "a.b.e": 1},
    ],
)
def test_encode_falls_back_exactly(event: dict[str, Any]) -> None:
    ref = to_action("p", event)
    got = encode("p", event)
    assert (got.target, got.doc_id) == (ref["_index"], ref["_id"])
    body = ref["_source"]
    source = json.loads(got.data.split(b"\n")[1].decode("utf-8", "surrogatepass"))
    assert source == json.loads(json.dumps(body))


def test_encode_with_a_lone_surrogate_fails_as_before() -> None:
    event = {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "user.name": "lone \ud800"}
    with pytest.raises(UnicodeEncodeError):
        to_action("p", event)
    with pytest.raises(UnicodeEncodeError):
        encode("p", event)


def test_encode_without_timestamp_fails_as_before() -> None:
    with pytest.raises(KeyError):
        to_action("p", {"source.ip": "10.0.0.1"})
    with pytest.raises(KeyError):
        encode("p", {"source.ip": "10.0.0.1"})


def test_iso_utc_matches_iso_z() -> None:
    rng = random.Random(7)
    zones = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))]
    for _ in range(2000):
        seconds = rng.randrange(-30_000_000_000, 250_000_000_000)
        dt = datetime.fromtimestamp(seconds, tz=UTC) + timedelta(microseconds=rng.randrange(10**6))
        dt = dt.astimezone(rng.choice(zones))
        assert iso_utc(dt) == iso_z(dt), dt
    assert iso_utc(datetime(2026, 1, 1)) is None  # naive: the reference path raises
    assert iso_utc(datetime(500, 1, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    "canon",
    [
        {"b": "x", "a": 1, "dns.answers.data": ["1", "2"]},
        {"k": "Søren 日本 😀 \x7f \u2028"},
        {"k": 'quote " backslash \\ newline \n ctl \x01'},
        {"k": 1.5, "n": 10**30, "t": True},
        {"ø": 1, "z": 2, "a": 3, "é": 4},
        {"k": [1, "2"]},
        {},
    ],
)
def test_canonical_id_is_the_standard_library_hash(canon: dict[str, Any]) -> None:
    import hashlib

    text = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_id(canon) == hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


EXTRA_LINES = [
    '{"@timestamp":"2026-03-03T11:00:00Z","source.bytes":12345678901234567890123,"x":1}',
    '{"@timestamp":"2026-03-03T11:00:00Z","user.name":NaN}',
    '{"@timestamp":"2026-03-03T11:00:00Z","user.name":"a","user.name":"b"}',
    '{"@timestamp":"2026-03-03T11:00:00Z","dns":{"answers":{"data":"x"}}}',
    '{"@timestamp":"2026-03-03T11:00:00Z","dns.answers":[{"data":"x"}],"event.category":[]}',
    '{"@timestamp":"2026-03-03T11:00:00Z","event.type":"start","dns.answers.data":"1.2.3.4"}',
    '\ufeff{"@timestamp":"2026-03-03T11:00:00Z"}',
    '  {"@timestamp":"2026-03-03T11:00:00Z", "source" : {"port": 0}}  ',
]


FIRST = '{"@timestamp":"2026-03-03T10:00:00Z"}\n\n'


@pytest.mark.parametrize("line", NDJSON_LINES + EXTRA_LINES)
def test_ndjson_fast_path_equals_reference(tmp_path: Path, line: str) -> None:
    path = tmp_path / "e.ndjson"
    path.write_text(f"{FIRST}{line}\r\n\n", encoding="utf-8")
    try:
        expected = _parse(path, 3, line.strip(), {})
    except InputError as exc:
        reference = str(exc)
    else:
        reference = ""
    if reference:
        with pytest.raises(InputError) as got:
            list(read_events(path))
        assert str(got.value) == reference
        return
    report = ReadReport()
    _, event = read_events(path, options=ReaderOptions(), report=report)
    assert report.lines == 2
    labelled = dict(expected)
    labelled.setdefault("log.file.path", str(path))
    assert dict(event) == labelled
    assert list(event) == list(labelled)
    assert event.doc_id == _doc_id(expected)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ('{"@timestamp":"2026-03-03T11:00:00Z","source.port":70000}', "source.port", "port 0..65535"),
        ('{"@timestamp":"2026-03-03T11:00:00Z","source.bytes":-1}', "source.bytes", "non-negative"),
        ('{"@timestamp":"2026-03-03T11:00:00Z","source.ip":"10.0.0.256"}', "source.ip", "not an IP"),
        ('{"@timestamp":"2026-03-03T11:00:00","user.name":"x"}', "@timestamp", "without a timezone"),
        ('{"@timestamp":"2026-03-03T11:00:00Z","source":{"ip":{"a":1}}}', "source.ip", "an object"),
        ('{"@timestamp":"2026-03-03T11:00:00Z","event.type":[1]}', "event.type", "list of strings"),
        ('{"@timestamp":"2026-03-03T11:00:00Z","user.name":["a"]}', "user.name", "single value"),
    ],
)
def test_ndjson_bad_values_name_line_and_field(tmp_path: Path, line: str, field: str, words: str) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text('{"@timestamp":"2026-03-03T11:00:00Z"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        list(read_events(path))
    assert exc.value.location.line == 2
    assert exc.value.location.field == field
    assert words in str(exc.value)


def test_ndjson_not_utf8_and_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_bytes(FIRST.encode() + b'{"@timestamp":"2026-03-03T11:00:00Z","user.name":"\xff"}\n')
    with pytest.raises(InputError, match="not UTF-8 text at byte"):
        list(read_events(path))
    path.write_bytes(FIRST.encode() + b'{"@timestamp":"2026-03-03T11:00:00Z",}\n')
    with pytest.raises(InputError, match="not valid JSON"):
        list(read_events(path))


# ------------------------------------------------------------------------------ bulk answers
class FakeClient:
    """Answers bulk requests from a script: a list of per-request answers (or exceptions)."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.bodies: list[bytes] = []

    def bulk(self, *, operations: bytes, filter_path: str) -> Any:
        self.bodies.append(operations)
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        docs = operations.count(b"\n") // 2
        statuses = step(docs) if callable(step) else step
        items = [{"create": {"status": s} | ({"error": _error(s)} if s >= 300 else {})} for s in statuses]

        return SimpleNamespace(body={"errors": any(s >= 300 for s in statuses), "items": items})


def _error(status: int) -> dict[str, str]:
    kinds = {409: "version_conflict_engine_exception", 429: "es_rejected_execution_exception"}
    return {"type": kinds.get(status, "document_parsing_exception"), "reason": f"reason {status}"}


def _events(n: int) -> list[dict[str, Any]]:
    t0 = datetime(2026, 3, 3, tzinfo=UTC)
    return [{"@timestamp": t0 + timedelta(seconds=i), "source.port": i} for i in range(n)]


def _ids(body: bytes) -> list[str]:
    lines = body.split(b"\n")
    return [orjson.loads(a)["create"]["_id"] for a in lines[0:-1:2]]


def test_409_already_present_429_retried_other_rejected() -> None:
    client = FakeClient([[201, 409, 429, 400, 429], [201, 201]])
    sleeps: list[float] = []
    indexer = BulkIndexer(client, "p", chunk_size=5, workers=1, initial_backoff=0.5, sleep=sleeps.append)  # type: ignore[arg-type]
    for event in _events(5):
        indexer.add(event)
    indexer.close()
    assert (indexer.stats.indexed, indexer.stats.already_present, indexer.stats.rejected) == (3, 1, 1)
    assert sleeps == [0.5]
    assert _ids(client.bodies[1]) == [_ids(client.bodies[0])[2], _ids(client.bodies[0])[4]]
    assert "document_parsing_exception: reason 400" in indexer.stats.reasons[0]
    assert indexer.stats.reasons[0].startswith("p-2026.03.03/")


def test_429_until_the_retries_are_spent_is_rejected() -> None:
    client = FakeClient([[429], [429], [429]])
    sleeps: list[float] = []
    indexer = BulkIndexer(client, "p", max_retries=2, initial_backoff=1, sleep=sleeps.append)  # type: ignore[arg-type]
    indexer.add(_events(1)[0])
    indexer.close()
    assert sleeps == [1, 2]
    assert (indexer.stats.indexed, indexer.stats.rejected) == (0, 1)
    assert "es_rejected_execution_exception" in indexer.stats.reasons[0]


def test_whole_request_failures_are_resent_then_fail_with_a_count() -> None:
    from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
    from elasticsearch import ApiError, ConnectionError

    def api_error(status: int) -> ApiError:
        meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "h", 9200))
        return ApiError(f"HTTP {status}", meta, {})

    ok = lambda n: [201] * n  # noqa: E731
    client = FakeClient([ok, ConnectionError("refused"), api_error(503), ok])
    sleeps: list[float] = []
    indexer = BulkIndexer(client, "p", chunk_size=2, workers=1, initial_backoff=1, sleep=sleeps.append)  # type: ignore[arg-type]
    for event in _events(4):
        indexer.add(event)
    indexer.close()
    assert indexer.stats.indexed == 4
    assert sleeps == [1, 2]
    assert client.bodies[1] == client.bodies[2] == client.bodies[3]

    client = FakeClient([ok, api_error(400)])
    indexer = BulkIndexer(client, "p", url="http://es:9200", chunk_size=2, workers=1, sleep=sleeps.append)  # type: ignore[arg-type]
    for event in _events(4):
        indexer.add(event)
    with pytest.raises(ServiceError) as exc:
        indexer.close()
    assert "Elasticsearch at http://es:9200 failed during bulk indexing" in str(exc.value)
    assert "2 events were indexed before" in str(exc.value)


def test_chunks_respect_size_and_bytes() -> None:
    client = FakeClient([lambda n: [201] * n for _ in range(20)])
    indexer = BulkIndexer(client, "p", chunk_size=3, max_chunk_bytes=400, workers=2)  # type: ignore[arg-type]
    for event in _events(10):
        indexer.add(event)
    indexer.close()
    assert indexer.stats.indexed == 10
    assert all(len(b) <= 400 for b in client.bodies)
    assert all(b.count(b"\n") <= 6 for b in client.bodies)
    assert sum(b.count(b"\n") for b in client.bodies) == 20


@pytest.mark.parametrize(
    "event",
    [
        {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "user.name": "Doe, John", "source.port": 1},
        {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "a%b": "100%", "c.%s": "%b", "d": '"{,}"'},
        {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "dns.answers.data": ["a,b", "c"], "dns.id": "1"},
        {"@timestamp": datetime(2026, 3, 3, tzinfo=UTC), "dns.answers.data": [], "rule.id": ""},
        {"event.kind": "x", "@timestamp": datetime(2026, 3, 3, 1, tzinfo=timezone(timedelta(hours=5)))},
    ],
)
def test_encode_templates_with_commas_percent_and_lists(event: dict[str, Any]) -> None:
    for _ in range(2):  # the second time from the cached plan
        ref = to_action("p", event)
        got = encode("p", event)
        assert (got.target, got.doc_id) == (ref["_index"], ref["_id"])
        assert _decode(got.data)[1] == ref["_source"]


def test_plans_are_bounded_and_unplanned_signatures_still_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sectool.traffic.es import encode as encode_module
    from sectool.traffic.readers import ndjson

    monkeypatch.setattr(encode_module, "_PLANS", {})
    monkeypatch.setattr(encode_module, "_MAX_PLANS", 0)
    monkeypatch.setattr(ndjson, "_PLANS", {})
    monkeypatch.setattr(ndjson, "_MAX_PLANS", 0)
    path = tmp_path / "e.ndjson"
    path.write_text("\n".join(NDJSON_LINES) + "\n", encoding="utf-8")
    for event in read_events(path):
        ref = to_action("p", event)
        assert _decode(encode("p", event).data)[1] == json.loads(json.dumps(ref["_source"]))
    assert encode_module._PLANS == {}
    assert ndjson._PLANS == {}


def test_ndjson_lines_of_one_signature_share_a_plan(tmp_path: Path) -> None:
    from sectool.traffic.readers import ndjson

    path = tmp_path / "e.ndjson"
    lines = [
        f'{{"@timestamp":"2026-03-03T11:00:{i:02d}Z","source.ip":"10.0.0.{i}","source.port":{i},'
        f'"x.unknown":{i}}}'
        for i in range(30)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = len(ndjson._PLANS)
    report = ReadReport()
    events = list(read_events(path, report=report))
    assert [e["source.port"] for e in events] == list(range(30))
    assert [e["source.ip"] for e in events] == [f"10.0.0.{i}" for i in range(30)]
    assert len(ndjson._PLANS) - before <= 1
    assert any("x.unknown" in w for w in report.warnings)


@pytest.mark.parametrize("depth", [990, 5000])
def test_ndjson_deep_nesting_is_an_input_error(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.ndjson"
    deep = '{"b":' * depth + "1" + "}" * depth
    path.write_text(FIRST + '{"@timestamp":"2026-03-03T11:00:00Z","a":' + deep + "}\n", encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply") as exc:
        list(read_events(path))
    assert exc.value.location.line == 3
