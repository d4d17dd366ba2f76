"""Fuzz harness: Zeek TSV logs (headers, columns, escapes),
through :func:`sectool.traffic.readers.read_events`.

Run: ``nice .venv/bin/python -m fuzz.zeek_tsv -max_total_time=300 [--keep-going]`` (docs/fuzzing.md).
"""

from __future__ import annotations

from fuzz.engine import Target, main
from fuzz.seeds import zeek_seeds

TARGET = Target("zeek_tsv", ".log", binary=False, seeds=lambda corpus: zeek_seeds(corpus, tsv=True))

if __name__ == "__main__":
    main(TARGET)
