"""Sinks of findings besides the JSONL file of :mod:`sectool.traffic.detect.findings`: the
Elasticsearch findings index (:mod:`.es`)."""
