"""Fuzz harness: captures (pcap, pcapng; the flow table, DNS, ARP and login parsing),
through :func:`sectool.traffic.readers.read_events`.

Run: ``nice .venv/bin/python -m fuzz.pcap -max_total_time=300 [--keep-going]`` (docs/fuzzing.md).
"""

from __future__ import annotations

from fuzz.engine import Target, main
from fuzz.seeds import capture_seeds

TARGET = Target("pcap", ".pcap", binary=True, seeds=capture_seeds)

if __name__ == "__main__":
    main(TARGET)
