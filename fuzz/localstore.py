"""Fuzz harness: the local store's JSONL files, through :func:`sectool.traffic.readers.read_events`
(``ingest`` takes them as ECS NDJSON) and through the store's own reader
(:func:`sectool.traffic.localstore.read_events`, what ``detect`` reads).

Run: ``nice .venv/bin/python -m fuzz.localstore -max_total_time=300 [--keep-going]`` (docs/fuzzing.md).
"""

from __future__ import annotations

from pathlib import Path

from fuzz.engine import Target, main
from fuzz.seeds import localstore_seeds


def _store_read(path: Path) -> None:
    from sectool.traffic.localstore import read_events

    read_events([path])


TARGET = Target("localstore", ".jsonl", binary=False, seeds=localstore_seeds, also=_store_read)

if __name__ == "__main__":
    main(TARGET)
