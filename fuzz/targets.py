"""Every harness, by name: one per reader."""

from __future__ import annotations

from fuzz import eve, localstore, ndjson, pcap, zeek_json, zeek_tsv
from fuzz.engine import Target

__all__ = ["TARGETS"]

TARGETS: dict[str, Target] = {
    m.TARGET.name: m.TARGET for m in (pcap, zeek_tsv, zeek_json, eve, ndjson, localstore)
}
