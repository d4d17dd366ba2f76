"""Fuzz harness: ECS NDJSON (nested and flat, the fast and the reference path),
through :func:`sectool.traffic.readers.read_events`.

Run: ``nice .venv/bin/python -m fuzz.ndjson -max_total_time=300 [--keep-going]`` (docs/fuzzing.md).
"""

from __future__ import annotations

from fuzz.engine import Target, main
from fuzz.seeds import ecs_seeds

TARGET = Target("ndjson", ".ndjson", binary=False, seeds=ecs_seeds)

if __name__ == "__main__":
    main(TARGET)
