"""Fuzz harness: Suricata EVE JSON (every event type),
through :func:`sectool.traffic.readers.read_events`.

Run: ``nice .venv/bin/python -m fuzz.eve -max_total_time=300 [--keep-going]`` (docs/fuzzing.md).
"""

from __future__ import annotations

from fuzz.engine import Target, main
from fuzz.seeds import eve_seeds

TARGET = Target("eve", ".json", binary=False, seeds=eve_seeds)

if __name__ == "__main__":
    main(TARGET)
