"""The line readers shared by the Zeek, EVE and NDJSON readers: a line without an end is bounded."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from sectool.errors import InputError
from sectool.traffic.readers import read_events
from sectool.traffic.readers.common import MAX_LINE_BYTES, raw_batches, raw_lines

GOOD = b'{"@timestamp": "2026-03-03T00:00:00Z", "source.ip": "10.0.0.1"}\n'


def _hostile(tmp_path: Path, *, compressed: bool = False, tail: bytes = b"") -> Path:
    """Two good lines, then one line one byte longer than the limit (without a line end)."""
    data = GOOD * 2 + b"x" * (MAX_LINE_BYTES + 1) + tail
    path = tmp_path / ("events.ndjson.gz" if compressed else "events.ndjson")
    path.write_bytes(gzip.compress(data, compresslevel=1) if compressed else data)
    return path


@pytest.mark.parametrize("compressed", [False, True])
def test_raw_lines_stops_at_an_overlong_line_after_the_lines_before_it(
    tmp_path: Path, compressed: bool
) -> None:
    path = _hostile(tmp_path, compressed=compressed)
    seen: list[tuple[int, bytes]] = []
    with pytest.raises(InputError, match="line longer than") as info:
        seen.extend(raw_lines(path))
    assert seen == [(1, GOOD), (2, GOOD)]
    assert info.value.location.line == 3
    assert info.value.location.file == str(path)


@pytest.mark.parametrize("size", [4096, 1 << 20])
def test_raw_batches_stops_at_an_overlong_line_after_the_lines_before_it(tmp_path: Path, size: int) -> None:
    path = _hostile(tmp_path, tail=b"\n" + GOOD)
    batches: list[list[bytes]] = []
    with pytest.raises(InputError, match="line longer than") as info:
        batches.extend(raw_batches(path, size=size))
    assert [line for batch in batches for line in batch] == [GOOD, GOOD]
    assert info.value.location.line == 3


@pytest.mark.parametrize("size", [1, 5, 64, 1 << 20])
@pytest.mark.parametrize(
    "data",
    [
        b"",
        GOOD,
        GOOD * 3,
        GOOD + b"\n\n" + GOOD,
        GOOD + b"cut-off last line",
        b"a\rb\r\nc\n\x0bd\x1ce\n",  # only \n ends a line, as for readlines()
    ],
)
def test_raw_batches_gives_the_lines_readlines_gives(tmp_path: Path, data: bytes, size: int) -> None:
    path = tmp_path / "f.ndjson"
    path.write_bytes(data)
    got = [line for batch in raw_batches(path, size=size) for line in batch]
    assert (
        got == data.splitlines(keepends=True)
        if b"\r" not in data
        else got
        == [
            b"a\rb\r\n",
            b"c\n",
            b"\x0bd\x1ce\n",
        ]
    )
    assert b"".join(got) == data


def test_an_overlong_line_in_a_log_is_a_clear_error_and_the_events_before_it_are_kept(tmp_path: Path) -> None:
    path = _hostile(tmp_path)
    events: list[dict[str, object]] = []
    with pytest.raises(InputError, match=r"events\.ndjson:3.*line longer than"):
        events.extend(read_events(path))
    assert [e["source.ip"] for e in events] == [json.loads(GOOD)["source.ip"]] * 2


def test_a_line_of_exactly_the_limit_is_read_by_both(tmp_path: Path) -> None:
    line = b"y" * MAX_LINE_BYTES + b"\n"
    path = tmp_path / "f.ndjson"
    path.write_bytes(GOOD + line + GOOD)
    assert [raw for _, raw in raw_lines(path)] == [GOOD, line, GOOD]
    assert [raw for batch in raw_batches(path, size=1 << 16) for raw in batch] == [GOOD, line, GOOD]


def test_the_local_store_bounds_its_jsonl_lines_too(tmp_path: Path) -> None:
    from sectool.traffic.localstore import read_events as store_read

    path = tmp_path / "events.jsonl"
    path.write_bytes(GOOD + b"z" * (MAX_LINE_BYTES + 1))
    with pytest.raises(InputError, match="line longer than") as info:
        store_read([path])
    assert info.value.location.line == 2
