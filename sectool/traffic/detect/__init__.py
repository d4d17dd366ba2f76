"""Anomaly detection over ECS traffic events: one specification per detector, two backends.

The parts, in the order data flows through them:

* :mod:`.spec`, :mod:`.filters`: queries, metrics, the filter language (pandas mask, DSL, KQL);
* :mod:`.config`: the settings of every detector (strict pydantic models, one file per family);
* :mod:`.detectors`: the detector specifications built from the settings (``DETECTORS``);
* :mod:`.backends`: ``local`` (pandas) and ``es`` (aggregations pushed down), same bucket table;
* :mod:`.scorers` (registered by :mod:`.scoring`): bucket tables -> findings;
* :mod:`.engine`: runs specs on a backend and scores them;
* :mod:`.findings`: the Finding model, the JSONL sink and the re-alert rule; :mod:`.sinks`: the
  Elasticsearch findings index.
"""
