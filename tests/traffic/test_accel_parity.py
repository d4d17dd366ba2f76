"""The compiled ingest fast path (accel/, module ``sectool_accel``) against the Python path.

Contract: for every line the compiled path converts, the Python path (``line_event`` ->
``labelled`` -> ``encode``) accepts the line and gives the same index, id and bytes; every other
line comes back raw, and Python decides (including every error). The extension is built by
``scripts/bootstrap --dev``; these tests fail, never skip, when it is missing.
"""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sectool.errors import InputError
from sectool.traffic.es.encode import encode
from sectool.traffic.readers.ndjson import ARRAY_FIELDS, CHECKS, labelled, line_event

PREFIX = "sectool-events"
LABELS = {"log.file.path": "/data/sensor-dc.jsonl", "sectool.site": "dc", "observer.name": "dc"}
BASE = {
    "@timestamp": "2026-03-03T11:00:00.029693Z",
    "event.kind": "event",
    "event.dataset": "sectool.simulate",
    "source.ip": "10.10.40.5",
    "source.port": 49430,
    "destination.ip": "10.10.10.25",
    "destination.port": 443,
    "network.transport": "tcp",
    "source.bytes": 500,
    "event.duration": 15190000,
}


@pytest.fixture(scope="module")
def accel() -> ModuleType:
    from sectool.traffic.es.fast_ndjson import ACCEL_FORMAT

    try:
        import sectool_accel
    except ImportError:
        pytest.fail("sectool_accel is not built: run scripts/bootstrap --dev (it builds accel/ with cargo)")
    if sectool_accel.FORMAT != ACCEL_FORMAT:
        pytest.fail(
            f"sectool_accel is a stale build (format {sectool_accel.FORMAT}): run scripts/bootstrap --dev"
        )
    return sectool_accel


def converter(accel: ModuleType, labels: dict[str, str] = LABELS, prefix: str = PREFIX) -> Any:
    return accel.NdjsonBulk(
        CHECKS, {k: list(v) for k, v in ARRAY_FIELDS.items()}, prefix, list(labels.items())
    )


def python_path(raw: bytes, labels: dict[str, str] = LABELS) -> tuple[str, str, bytes] | str | None:
    """What Python makes of one line: the encoded document, ``None`` (blank) or the error text."""
    try:
        event = line_event(Path("in.jsonl"), 1, raw, {})
    except InputError as exc:
        return f"error: {exc}"
    if event is None:
        return None
    return tuple(encode(PREFIX, labelled(event, list(labels.items()))))  # type: ignore[return-value]


def check_block(accel: ModuleType, lines: list[bytes], labels: dict[str, str] = LABELS) -> list[bool]:
    """Convert ``lines`` as one block; assert the contract; return which lines were converted."""
    results, _, indices, converted = converter(accel, labels).encode_block(b"".join(lines))
    assert len(results) == len(lines)
    assert converted == sum(type(r) is tuple for r in results)
    assert sorted(indices) == sorted({r[0] for r in results if type(r) is tuple})
    taken = []
    for raw, got in zip(lines, results, strict=True):
        if type(got) is bytes:
            assert got == raw  # Python's turn: the line as it was
            taken.append(False)
            continue
        assert tuple(got) == python_path(raw, labels), raw
        taken.append(True)
    return taken


def line(doc: dict[str, Any] | None = None, **fields: Any) -> bytes:
    data = dict(BASE if doc is None else doc)
    data.update({k.replace("__", "."): v for k, v in fields.items()})
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


# ------------------------------------------------------------------------------ real traffic
@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sectool.cli import main

    out = tmp_path_factory.mktemp("sim")
    assert main(["traffic", "simulate", "--out", str(out), "--hours", "1", "--jsonl", "--seed", "7"]) == 0
    return out / "events.jsonl"


def test_simulated_traffic_is_converted_exactly(accel: ModuleType, simulated: Path) -> None:
    lines = simulated.read_bytes().splitlines(keepends=True)
    assert len(lines) > 10_000
    taken = check_block(accel, lines)
    # IPv4 and IPv6 connections, DNS with answers, alerts: all but a handful converted here
    assert sum(taken) >= 0.99 * len(lines), f"{len(lines) - sum(taken)} lines left to Python"


def test_block_boundaries_do_not_matter(accel: ModuleType, simulated: Path) -> None:
    lines = simulated.read_bytes().splitlines(keepends=True)[:3000]
    conv = converter(accel)
    whole = conv.encode_block(b"".join(lines))[0]
    pieces: list[Any] = []
    for start in range(0, len(lines), 7):
        part = converter(accel).encode_block(b"".join(lines[start : start + 7]))[0]
        pieces += part
    assert [tuple(x) if type(x) is not bytes else x for x in whole] == [
        tuple(x) if type(x) is not bytes else x for x in pieces
    ]


# ------------------------------------------------------------------------- one rule per line
CONVERTED = {
    "flat": line(),
    "addresses in a list": line(related__ip=["10.0.0.1", "2001:db8::1"]),
    "nested names": line(
        {
            "@timestamp": "2026-03-03T11:00:00Z",
            "source": {"ip": "10.0.0.1", "port": 5},
            "event": {"kind": "x"},
        }
    ),
    "an offset, converted to UTC (and into the next day's index)": line(
        **{"@timestamp": "2026-03-03T23:30:00.123-02:00"}
    ),
    "milliseconds": line(**{"@timestamp": "2026-03-03T11:00:00.123Z"}),
    "no fraction": line(**{"@timestamp": "2026-02-28T23:59:59+01:00"}),
    "leap day": line(**{"@timestamp": "2024-02-29T12:00:00Z"}),
    "canonical IPv6": line(source__ip="fd00:5ec7:40::31", destination__ip="2001:db8::1"),
    "IPv6 with one zero group (not compressed)": line(source__ip="2001:db8:0:1:1:1:1:1"),
    "unknown fields dropped": line(host__name="pc-1", message="hello", ecs={"version": "8.11"}),
    "null values left out, so the label applies": line(observer__name=None, sectool__site=None),
    "labels given by the line win": line(observer__name="sensor-7", log__file__path="orig.log"),
    "event.id: the source id": line(event__id="CHhAvVGS1DHFjwGM9", dns__id=4711, dns__question__name="a.dk"),
    "event.category array, the most specific kept": line(event__category=["network", "intrusion_detection"]),
    "event.type array without a preferred value": line(event__type=["zzz", "yyy"]),
    "event.type empty array: unset": line(event__type=[]),
    "dns.answers.data as text becomes a list": line(dns__answers__data="10.0.0.9"),
    "dns.answers.data list": line(dns__answers__data=["10.0.0.9", "web.example.dk"]),
    "keyword given as an integer": line(event__kind=7, event__outcome=-3),
    "unicode text": line(event__kind="æøå \u2028 \U0001f600", destination__domain="blåbær.dk"),
    "port 0 and 65535": line(source__port=0, destination__port=65535),
    "spaces around JSON, CRLF": b'  {"@timestamp": "2026-03-03T11:00:00Z" , "event.kind" : "x"}  \r\n',
    "last line without newline": b'{"@timestamp":"2026-03-03T11:00:00Z","event.kind":"x"}',
    "an empty object": line(host={}),
    "a comma in a value": line(event__kind="a,b", destination__domain="x,y"),
    "many dotted names under one parent, out of order": line(
        {
            "source.ip": "10.0.0.1",
            "@timestamp": "2026-03-03T11:00:00Z",
            "destination.port": 1,
            "source.port": 2,
        }
    ),
}


@pytest.mark.parametrize("raw", CONVERTED.values(), ids=CONVERTED.keys())
def test_common_shapes_are_converted_exactly(accel: ModuleType, raw: bytes) -> None:
    assert check_block(accel, [raw]) == [True]


LEFT_TO_PYTHON = {
    # errors: Python words them
    "invalid JSON": b'{"@timestamp": "2026-03-03T11:00:00Z",}\n',
    "not an object": b"[1, 2]\n",
    "no @timestamp": line({"event.kind": "x"}),
    "port out of range": line(destination__port=70000),
    "negative count": line(source__bytes=-1),
    "bad address": line(source__ip="10.0.0.256"),
    "bad date": line(**{"@timestamp": "2026-02-30T00:00:00Z"}),
    "no zone": line(**{"@timestamp": "2026-03-03T11:00:00"}),
    "year beyond the store's range": line(**{"@timestamp": "3000-01-01T00:00:00Z"}),
    "near the range's edge": line(**{"@timestamp": "2261-12-31T23:00:00-05:00"}),
    "event.start before 1678": line(event__start="1600-01-01T00:00:00Z"),
    "a namespaced name": line(zeek__connection__history="ShADadFf"),
    "labels": line(labels__label="Malicious"),
    "the old label name": line(sectool__source_file="old.log"),
    "object where a value belongs": line(source__ip={"v": 4}),
    "not UTF-8": b'{"@timestamp":"2026-03-03T11:00:00Z","event.kind":"\xff"}\n',
    "control character in a string": b'{"@timestamp":"2026-03-03T11:00:00Z","event.kind":"a\x01"}\n',
    "blank": b"  \n",
    # valid, but outside the compiled rules
    "escapes": line(event__kind='say "hi"'),
    "unicode escape": b'{"@timestamp":"2026-03-03T11:00:00Z","event.kind":"\\u0041"}\n',
    "float count": line(source__bytes=500.0),
    "boolean keyword": line(event__kind=True),
    "integer beyond 64 bits": line(event__duration=2**70),
    "integer beyond i64 in a long": line(event__duration=2**63),
    "-0": b'{"@timestamp":"2026-03-03T11:00:00Z","event.duration":-0}\n',
    "epoch milliseconds": line(**{"@timestamp": 1772535600000}),
    "one-digit fraction": line(**{"@timestamp": "2026-03-03T11:00:00.5Z"}),
    "space separator": line(**{"@timestamp": "2026-03-03 11:00:00Z"}),
    "lower-case z": line(**{"@timestamp": "2026-03-03T11:00:00z"}),
    "year below 1000": line(**{"@timestamp": "0999-03-03T11:00:00Z"}),
    "beyond year 9999 in UTC": line(**{"@timestamp": "9999-12-31T23:00:00-02:00"}),
    "upper-case IPv6": line(source__ip="FD00::1"),
    "IPv6 with leading zeros": line(source__ip="fd00:0000::1"),
    "IPv4-mapped IPv6": line(source__ip="::ffff:10.0.0.1"),
    "loopback IPv6 (first 80 bits zero)": line(source__ip="::1"),
    "ECS list-of-objects dns.answers": line(
        {"@timestamp": "2026-03-03T11:00:00Z", "dns": {"answers": [{"data": "a"}]}}
    ),
    "a name given twice": b'{"@timestamp":"2026-03-03T11:00:00Z","event.kind":"a","event.kind":"b"}\n',
    "a name given flat and nested": (
        b'{"@timestamp":"2026-03-03T11:00:00Z","source.ip":"10.0.0.1","source":{"ip":"10.0.0.2"}}\n'
    ),
    "an unknown name given twice": b'{"@timestamp":"2026-03-03T11:00:00Z","host":1,"host":{"name":"x"}}\n',
    # a field's name given twice, once as an (empty) object: Python's dict keeps the last value
    # at the first one's place (found by a differential fuzzer)
    "a field as a value, then as {}": b'{"@timestamp":"2026-03-03T11:00:00Z","@timestamp":{}}\n',
    "a field as {}, then as a value": (
        b'{"source.port":{},"@timestamp":"2026-03-03T11:00:00Z","source.port":80}\n'
    ),
    "a nested field as a value, then as an object": (
        b'{"@timestamp":"2026-03-03T11:00:00Z","source":{"ip":"10.0.0.1","ip":{"x":{}}}}\n'
    ),
    "list with a non-string": line(dns__answers__data=["a", 1]),
    "hundreds of unknown names (checked one by one: Python's)": line(**{f"custom{i}": i for i in range(300)}),
    "keyword given a list": line(event__kind=["a"]),
}


@pytest.mark.parametrize("raw", LEFT_TO_PYTHON.values(), ids=LEFT_TO_PYTHON.keys())
def test_other_lines_are_left_to_python(accel: ModuleType, raw: bytes) -> None:
    assert check_block(accel, [raw]) == [False]


def test_labels_that_need_escapes_are_refused(accel: ModuleType) -> None:
    with pytest.raises(ValueError, match="escapes"):
        converter(accel, {"log.file.path": 'a "quoted" name.jsonl'})
    with pytest.raises(ValueError, match="not a field"):
        converter(accel, {"no.such.field": "x"})


def test_dropped_names_are_reported_once_with_their_line(accel: ModuleType) -> None:
    lines = [
        line(),
        line(process__name="a", cloud__id="m"),
        line(process__name="b", container={"id": "x"}),
        line(cloud__id="n"),
    ]
    results, dropped, _, converted = converter(accel).encode_block(b"".join(lines))
    assert converted == len(lines)
    assert all(type(r) is tuple for r in results)
    assert dropped == [(1, "process.name"), (1, "cloud.id"), (2, "container.id")]


# ------------------------------------------------------------------------ through run_ingest
class RecordingIndexer:
    """The indexer interface run_ingest uses, recording what would be sent."""

    def __init__(self) -> None:
        self.prefix = PREFIX
        self.docs: list[tuple[str, str, bytes]] = []
        self.indices: set[str] = set()
        self.many = 0  # blocks handed over whole
        self.stats = type("Stats", (), {"indexed": 0, "already_present": 0, "rejected": 0, "reasons": []})()

    def add(self, event: Any) -> None:
        self.add_encoded(encode(self.prefix, event))

    def add_encoded(self, doc: tuple[str, str, bytes]) -> None:
        self.docs.append(tuple(doc))  # type: ignore[arg-type]
        self.indices.add(doc[0])

    def add_many(self, docs: list[tuple[str, str, bytes]], indices: Any) -> None:
        assert set(indices) == {d[0] for d in docs}
        self.many += 1
        for doc in docs:
            self.add_encoded(doc)

    def close(self) -> None:
        self.stats.indexed = len(self.docs)

    def refresh(self) -> None:
        pass


def _ingest(
    paths: list[Path], accel_on: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, RecordingIndexer]:
    from sectool.traffic.ingest import IngestSummary, run_ingest
    from sectool.traffic.readers import ReaderOptions

    monkeypatch.setenv("SECTOOL_ACCEL", "1" if accel_on else "0")
    indexer = RecordingIndexer()
    # one event.ingested for both runs, so that their documents can be compared byte for byte
    fixed = IngestSummary(ingested=datetime(2026, 12, 7, 12, 0, 0, 123456, tzinfo=UTC))
    summary = run_ingest(paths, options=ReaderOptions(), site="dc", indexer=indexer, summary=fixed)  # type: ignore[arg-type]
    return summary, indexer


def _mixed(*, bad_at: int | None) -> list[bytes]:
    lines: list[bytes] = []
    for i in range(5000):
        if i % 97 == 0:
            lines.append(line(event__kind='quote "x"'))  # left to Python
        elif i % 89 == 0:
            lines.append(b"\n")
        elif i % 83 == 0:
            lines.append(line(host__name=f"h{i % 3}", **{f"custom{i % 5}": 1}))
        else:
            lines.append(
                line(source__port=i, **{"@timestamp": f"2026-03-0{1 + i % 3}T11:00:{i % 60:02d}.123Z"})
            )
    if bad_at is not None:
        lines[bad_at] = line(destination__port=-5)
    return lines


@pytest.mark.parametrize("compressed", [False, True, "cut"], ids=["plain", "gzip", "gzip cut short"])
@pytest.mark.parametrize("bad_at", [None, 3500], ids=["good", "bad line 3501"])
def test_run_ingest_sends_the_same_documents(
    accel: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    compressed: bool | str,
    bad_at: int | None,
) -> None:
    data = b"".join(_mixed(bad_at=bad_at))
    path = tmp_path / ("events.jsonl.gz" if compressed else "events.jsonl")
    packed = gzip.compress(data)
    path.write_bytes(packed[: len(packed) // 2] if compressed == "cut" else packed if compressed else data)
    fast, fast_docs = _ingest([path], True, monkeypatch)
    slow, slow_docs = _ingest([path], False, monkeypatch)
    assert fast_docs.docs == slow_docs.docs
    assert fast.read == slow.read == len(fast_docs.docs)
    assert fast.warnings == slow.warnings
    assert [str(e) for e in fast.damaged] == [str(e) for e in slow.damaged]
    if compressed == "cut":  # the lines before the damage are indexed, the error names the line
        assert "damaged gzip data" in str(fast.damaged[0])
        assert 0 < len(fast_docs.docs) < 4900
    elif bad_at is None:
        assert not fast.damaged
        assert len(fast_docs.docs) > 4900
    else:
        assert f"{path.name}:3501, field 'destination.port'" in str(fast.damaged[0])


def test_clean_blocks_are_handed_over_whole(
    accel: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(line(source__port=i, event__id=f"e{i}") for i in range(20_000)))
    fast, fast_docs = _ingest([path], True, monkeypatch)
    slow, slow_docs = _ingest([path], False, monkeypatch)
    assert fast_docs.many > 1  # several 1 MiB blocks, each without a line left to Python
    assert fast_docs.docs == slow_docs.docs
    assert fast.read == slow.read == 20_000


def test_a_file_name_that_needs_escapes_takes_the_python_path(
    accel: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / 'odd "name".jsonl'
    path.write_bytes(line() + line(source__port=7))
    _, fast_docs = _ingest([path], True, monkeypatch)
    _, slow_docs = _ingest([path], False, monkeypatch)
    assert fast_docs.docs == slow_docs.docs
    assert len(fast_docs.docs) == 2


# ------------------------------------------------------------------- a real Elasticsearch node
@pytest.mark.elasticsearch
def test_the_node_holds_what_the_python_path_would_send(
    accel: ModuleType,
    simulated: Path,
    es_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import re

    import orjson
    from elasticsearch import Elasticsearch

    from sectool.cli import main
    from sectool.traffic.enrich import stamp_labels
    from sectool.traffic.readers import ReaderOptions, input_labels

    prefix = "sectool-accel-parity"
    args = ["traffic", "ingest", str(simulated), "--es", es_url, "--index-prefix", prefix, "--site", "dc"]
    es = Elasticsearch(es_url)
    es.indices.delete(index=f"{prefix}-*", allow_no_indices=True, ignore_unavailable=True)
    try:
        monkeypatch.setenv("SECTOOL_ACCEL", "1")
        assert main(args) == 0
        first = capsys.readouterr().out
        # the same file again through the Python path: every id already there
        monkeypatch.setenv("SECTOOL_ACCEL", "0")
        assert main(args) == 0
        again = capsys.readouterr().out
        n = len(simulated.read_bytes().splitlines())
        counts = [
            {
                k: int(v.replace(",", ""))
                for k, v in re.findall(r"(read|indexed|present|rejected) (\d[\d,]*\d|\d)", t)
            }
            for t in (first, again)
        ]
        assert counts[0] == {"read": n, "indexed": n, "present": 0, "rejected": 0}
        assert counts[1] == {"read": n, "indexed": 0, "present": n, "rejected": 0}

        # the run's labels: the file, the site, ecs.version (event.ingested differs per run: left out)
        labels = list(stamp_labels(input_labels(simulated, site="dc", options=ReaderOptions()), None).items())
        sample = simulated.read_bytes().splitlines(keepends=True)[::40]
        expected = {}
        for i, raw in enumerate(sample):
            event = line_event(simulated, i, raw, {})
            assert event is not None
            index, doc_id, data = encode(prefix, labelled(event, labels))
            expected[doc_id] = (index, orjson.loads(data.split(b"\n")[1]))
        for doc_id, (index, source) in expected.items():
            hit = es.get(index=index, id=doc_id)
            assert hit["_source"]["event"].pop("ingested").endswith("Z")
            assert hit["_source"] == source
    finally:
        es.indices.delete(index=f"{prefix}-*", allow_no_indices=True, ignore_unavailable=True)
        es.close()


# --------------------------------------------------------------- seeded differential mutations
_VALUES: list[Any] = [
    None, 0, -1, 80, 65536, 2**63 - 1, 2**63, 2**64, -(2**63), 1.0, 1e3, True, False, "", "x", "æ",
    'q"uote', "back\\slash", "tab\t", "\U0001f600", [], ["a"], ["a", 1], [None], {}, {"x": 1}, {"x": {}},
    "10.0.0.1", "010.0.0.1", "fd00::1", "FD00::1", "::ffff:1.2.3.4", "2001:db8:0:0:1:0:0:1",
    "2026-03-03T11:00:00Z", "2026-03-03T11:00:00.1Z", "2026-03-03T11:00:00.123456789Z",
    "2026-03-03T11:00:00+14:00", "2026-03-03T11:00:00-23:59", "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59.999999-00:01",
    1772535600000, "intrusion_detection", ["network", "intrusion_detection"],
]  # fmt: skip


def _mutate(rng: random.Random, doc: dict[str, Any]) -> bytes:
    fields = [*CHECKS, "host.name", "message", "dns", "source", "event"]
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(fields) if rng.random() < 0.8 else rng.choice(list(doc))
        doc[key] = rng.choice(_VALUES)
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.1, separators=(",", ":"))
    if rng.random() < 0.1:  # a name given twice
        name = rng.choice(list(doc))
        text = text[:-1] + f',"{name}":' + json.dumps(rng.choice(_VALUES)) + "}"
    if rng.random() < 0.1:  # the same name nested
        parent, _, leaf = rng.choice([f for f in CHECKS if "." in f]).partition(".")
        text = text[:-1] + f',"{parent}":{{"{leaf}":' + json.dumps(rng.choice(_VALUES)) + "}}"
    return text.encode() + rng.choice([b"\n", b"\r\n", b" \n"])


def test_seeded_mutations_follow_the_contract(accel: ModuleType, simulated: Path) -> None:
    """20,000 mutated simulator lines (types, edge values, repeated and nested names, escapes):
    every line the compiled path converts is exactly the Python path's document."""
    rng = random.Random(20261125)
    base = [json.loads(x) for x in simulated.read_bytes().splitlines()[:400]]
    lines = [_mutate(rng, dict(rng.choice(base))) for _ in range(20_000)]
    taken = check_block(accel, lines)
    assert 0.1 * len(lines) < sum(taken) < len(lines)  # both paths exercised


def test_a_stale_build_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from sectool.traffic.es.fast_ndjson import ACCEL_FORMAT, accel_module

    monkeypatch.setenv("SECTOOL_ACCEL", "1")
    for fmt, used in [(ACCEL_FORMAT - 1, False), (None, False), (ACCEL_FORMAT, True)]:
        fake = ModuleType("sectool_accel")
        if fmt is not None:
            fake.FORMAT = fmt  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "sectool_accel", fake)
        assert (accel_module() is fake) is used
    monkeypatch.setenv("SECTOOL_ACCEL", "0")
    assert accel_module() is None


def test_a_panic_inside_the_extension_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyo3 raises a Rust panic as ``PanicException`` (a ``BaseException``): the ingest stops
    with an error that names the file and the way around it, not a traceback."""
    import sys

    from sectool.traffic.es.fast_ndjson import ACCEL_FORMAT, AccelError
    from sectool.traffic.ingest import run_ingest
    from sectool.traffic.readers import ReaderOptions

    class PanicException(BaseException):
        pass

    class Panicking:
        def __init__(self, *args: Any) -> None:
            pass

        def encode_block(self, block: bytes) -> Any:
            raise PanicException("index out of bounds")

    fake = ModuleType("sectool_accel")
    fake.FORMAT = ACCEL_FORMAT  # type: ignore[attr-defined]
    fake.NdjsonBulk = Panicking  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sectool_accel", fake)
    monkeypatch.setenv("SECTOOL_ACCEL", "1")
    path = tmp_path / "events.jsonl"
    path.write_bytes(line())
    with pytest.raises(AccelError, match=r"events\.jsonl \(index out of bounds\); SECTOOL_ACCEL=0"):
        run_ingest([path], options=ReaderOptions(), indexer=RecordingIndexer())  # type: ignore[arg-type]
