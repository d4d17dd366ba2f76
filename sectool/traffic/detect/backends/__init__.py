"""Backends: run a detector's queries to the same bucket table, locally (:mod:`.local`: pandas over
Parquet/JSONL) or pushed down into Elasticsearch (:mod:`.es` and its ``es_*`` helpers)."""
