"""Folders, globs and sectool's own files as ingest input; what the Elastic stack adds (ecs.version,
event.ingested, related.*); the summary's counts per dataset."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.traffic.enrich import enrich, stamp_labels
from sectool.traffic.inputs import InputFile, expand_inputs
from sectool.traffic.localstore import read_events as read_local

DATA = Path(__file__).parent / "data"


def _sensor_folder(root: Path) -> Path:
    """A Zeek sensor's day folder as Zeek's archive writes it: rotated, compressed, a README."""
    day = root / "zeek" / "2026-03-03"
    day.mkdir(parents=True)
    shutil.copy(DATA / "conn.log", day / "conn.09:00:00-10:00:00.log")
    with gzip.open(day / "dns.09:00:00-10:00:00.log.gz", "wb") as fh:
        fh.write((DATA / "dns.log").read_bytes())
    (day / "README.txt").write_text("rotated by zeekctl\n")
    (day / ".state").mkdir()
    (day / ".state" / "junk.log").write_text("not read: hidden\n")
    return root / "zeek"


def test_expand_folder_recursive_sorted_hidden_left_out(tmp_path: Path) -> None:
    folder = _sensor_folder(tmp_path)
    got = expand_inputs([folder])
    assert [f.path.name for f in got] == [
        "README.txt",
        "conn.09:00:00-10:00:00.log",
        "dns.09:00:00-10:00:00.log.gz",
    ]
    assert all(f.from_folder for f in got)


def test_expand_glob_and_files_each_once(tmp_path: Path) -> None:
    folder = _sensor_folder(tmp_path)
    conn = folder / "2026-03-03" / "conn.09:00:00-10:00:00.log"
    got = expand_inputs([conn, str(folder / "**" / "*.log*"), folder])
    assert got[0] == InputFile(conn, False)
    assert [f.path.name for f in got[1:]] == ["dns.09:00:00-10:00:00.log.gz", "README.txt"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.log", "input file not found"),
        (lambda p: p / "nothing-*.log", "no file matches the pattern"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "folder holds no files"),
        # The OS refuses the name itself: a user error too, not an internal one.
        (lambda p: p / ("a" * 5000), "cannot read: File name too long"),
        (lambda p: p / ("a*" * 3000), "cannot read: File name too long"),
    ],
)
def test_expand_names_what_matched_nothing(tmp_path: Path, make: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        expand_inputs([make(tmp_path)])


def test_an_unreadable_input_name_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traffic", "ingest", str(tmp_path / ("a" * 5000)), "--to", str(tmp_path / "o.jsonl")]) == 2
    assert "File name too long" in capsys.readouterr().err


def test_ingest_a_sensor_folder_counts_per_dataset_and_skips_a_readme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _sensor_folder(tmp_path)
    out = tmp_path / "events.jsonl"
    assert main(["traffic", "ingest", str(folder), "--to", str(out)]) == 0
    captured = capsys.readouterr()
    conn_lines = sum(1 for line in (DATA / "conn.log").read_text().splitlines() if not line.startswith("#"))
    dns_lines = sum(1 for line in (DATA / "dns.log").read_text().splitlines() if not line.startswith("#"))
    events = [json.loads(line) for line in out.read_text().splitlines()]
    datasets = {e["event.dataset"] for e in events}
    assert "zeek.dns" in datasets
    assert "3 files; events per dataset:" in captured.out
    assert f"zeek.dns {dns_lines:,}" in captured.out
    assert sum(1 for e in events if e["event.dataset"] == "zeek.dns") == dns_lines
    assert sum(1 for e in events if e["event.dataset"] in ("zeek.conn", "zeek.connection")) == conn_lines
    assert "note: 1 files of the given folders hold no format sectool reads" in captured.err
    assert "README.txt: unknown format" in captured.err


def test_a_file_named_directly_is_not_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.txt"
    readme.write_text("hello\n")
    assert main(["traffic", "ingest", str(readme), "--to", str(tmp_path / "o.jsonl")]) == 2
    assert "README.txt:1: unknown format" in capsys.readouterr().err


def test_every_file_sectool_writes_is_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The simulator's Parquet and JSONL, and ingest's own --to files, ingest again with the same
    events (ids: a second pass into the same JSONL twin gives the same rows)."""
    sim = tmp_path / "sim"
    assert main(["traffic", "simulate", "--out", str(sim), "--hours", "1", "--seed", "3"]) == 0
    parquet = sim / "events.parquet"
    original = read_local([parquet])
    assert main(["traffic", "ingest", str(parquet), "--to", str(tmp_path / "a.jsonl")]) == 0
    assert main(["traffic", "ingest", str(tmp_path / "a.jsonl"), "--to", str(tmp_path / "b.parquet")]) == 0
    assert main(["traffic", "ingest", str(tmp_path / "b.parquet"), "--to", str(tmp_path / "c.jsonl")]) == 0
    capsys.readouterr()
    again = read_local([tmp_path / "b.parquet"])
    assert len(again) == len(original) > 1000
    cols = ["@timestamp", "source.ip", "destination.ip", "destination.port", "network.bytes", "event.dataset"]
    left = original[cols].astype(str).sort_values(cols).reset_index(drop=True)
    right = again[cols].astype(str).sort_values(cols).reset_index(drop=True)
    assert left.equals(right)
    assert (tmp_path / "a.jsonl").read_text().count("\n") == (tmp_path / "c.jsonl").read_text().count("\n")


def test_a_foreign_parquet_file_is_refused_naming_the_column(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"@timestamp": [1], "customer_id": ["x"]}), path)
    from sectool.traffic.readers import read_events

    with pytest.raises(InputError, match="unknown column") as info:
        list(read_events(path))
    assert info.value.location.field == "customer_id"


def _ts(n: int) -> Any:
    import pyarrow as pa

    return pa.array([1_767_225_600_000_000_000] * n, pa.timestamp("ns", tz="UTC"))


@pytest.mark.parametrize(
    ("columns", "message", "field"),
    [
        (
            {"zeek": ['{"a": 1}', "not json"]},
            r"x.parquet:2, field 'zeek': bad value: not a JSON object",
            "zeek",
        ),
        (
            {"labels": ['{"a": 1}', "[1, 2]"]},
            r"x.parquet:2, field 'labels': bad value: not a JSON object",
            "labels",
        ),
        (
            {"zeek": ['{"a": 1}', '{"a": {"b": 1}}']},
            r"x.parquet:2, field 'zeek.a': bad value: nested",
            "zeek.a",
        ),
        ({"zeek": ['{"a": 1}', '{"a..b": 1}']}, r"x.parquet:2, field 'zeek.a..b': bad name", "zeek.a..b"),
        (
            {"suricata": ['{"a": 1}', '{"' + ".".join("k" * 21) + '": 1}']},
            r"x.parquet:2, field 'suricata.k(.k){20}': bad name: more than 20 levels",
            "suricata" + ".k" * 21,
        ),
        ({"source.port": ["22", "x"]}, r"x.parquet, field 'source.port': .* wrong type", "source.port"),
        ({"source.ip": [1, 2]}, r"x.parquet, field 'source.ip': .* wrong type", "source.ip"),
        ({"tags": ["a", "b"]}, r"x.parquet, field 'tags': .* wrong type", "tags"),
        ({"zeek": [1, 2]}, r"x.parquet, field 'zeek': .* wrong type", "zeek"),
    ],
)
def test_a_damaged_parquet_event_file_is_a_clear_error(
    tmp_path: Path, columns: dict[str, list[Any]], message: str, field: str
) -> None:
    """Another program's (or a damaged) file with sectool's column names: each bad column or
    namespace value names the row and field, never an internal error; rows before it are kept."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sectool.traffic.readers import read_events

    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"@timestamp": _ts(2), **columns}), path)
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=message) as info:
        got.extend(read_events(path))
    assert info.value.location.field == field
    assert len(got) == (1 if info.value.location.line == 2 else 0)


@pytest.mark.parametrize(
    ("event", "related"),
    [
        (
            {"source.ip": "10.0.0.1", "destination.ip": "192.0.2.7", "user.name": "anna"},
            {"related.ip": ["10.0.0.1", "192.0.2.7"], "related.user": ["anna"]},
        ),
        ({"source.ip": "10.0.0.1", "destination.ip": "10.0.0.1"}, {"related.ip": ["10.0.0.1"]}),
        (
            {"tls.client.server_name": "a.example", "tls.client.ja3": "abc", "url.domain": "a.example"},
            {"related.hosts": ["a.example"], "related.hash": ["abc"]},
        ),
        ({"dns.question.name": "x.example", "host.name": "s1"}, {"related.hosts": ["s1", "x.example"]}),
        ({"related.ip": ["203.0.113.9"], "source.ip": "10.0.0.1"}, {"related.ip": ["203.0.113.9"]}),
        ({"event.kind": "event"}, {}),
    ],
)
def test_related_fields(event: dict[str, Any], related: dict[str, Any]) -> None:
    got = enrich(dict(event))
    assert {k: v for k, v in got.items() if k.startswith("related.")} == related


def test_stamp_labels_fill_only_what_is_unset() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert stamp_labels({"log.file.path": "x"}, None) == {"log.file.path": "x", "ecs.version": "8.11.0"}
    assert stamp_labels({}, now)["event.ingested"] == now


def test_ingested_documents_carry_what_elastic_security_expects(
    es_url: str, es_prefix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from elasticsearch import Elasticsearch

    for name in ("conn.log", "eve.json"):
        shutil.copy(DATA / name, tmp_path / name)
    assert main(["traffic", "ingest", str(tmp_path), "--es", es_url, "--index-prefix", es_prefix]) == 0
    capsys.readouterr()
    client = Elasticsearch(es_url)
    hits = client.search(index=f"{es_prefix}-*", size=1000)["hits"]["hits"]
    assert hits
    for hit in hits:
        doc = hit["_source"]
        assert doc["ecs"]["version"] == "8.11.0"
        assert "ingested" in doc["event"]
        assert doc["log"]["file"]["path"].startswith(str(tmp_path))
        if "source" in doc and "destination" in doc:
            assert doc["source"]["ip"] in doc["related"]["ip"]
    # re-ingest: ids are the source records' and the daily index is the event's day: nothing is added
    assert main(["traffic", "ingest", str(tmp_path), "--es", es_url, "--index-prefix", es_prefix]) == 0
    assert "indexed 0," in capsys.readouterr().out


@pytest.mark.parametrize("where", ["file.txt/out.jsonl", "file.txt/deeper/out.parquet", "folder"])
def test_an_output_that_cannot_be_written_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    (tmp_path / "file.txt").write_text("a file where a folder should be\n")
    (tmp_path / "folder.jsonl").mkdir()
    to = tmp_path / (where if where != "folder" else "folder.jsonl")
    assert main(["traffic", "ingest", str(DATA / "conn.log"), "--to", str(to)]) == 2
    err = capsys.readouterr().err
    assert "cannot write the output" in err
    assert str(to) in err
    assert "--to" in err


def test_the_per_dataset_counts_stay_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ECS NDJSON names its own datasets: a new name on every line is counted, not listed."""
    from sectool.traffic.ingest import MAX_DATASETS, OTHER_DATASETS

    path = tmp_path / "many.ndjson"
    n = MAX_DATASETS + 50
    path.write_text(
        "".join(
            json.dumps({"@timestamp": "2026-03-03T00:00:00Z", "event": {"dataset": f"x.d{i:04d}"}}) + "\n"
            for i in range(n)
        )
    )
    assert main(["traffic", "ingest", str(path), "--to", str(tmp_path / "o.jsonl")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "events per dataset" in x)
    assert line.count("x.d") == MAX_DATASETS
    assert f"{OTHER_DATASETS} 50" in line
    assert (tmp_path / "o.jsonl").read_text().count("\n") == n
