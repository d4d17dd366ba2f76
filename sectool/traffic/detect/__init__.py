"""Anomaly detection over ECS traffic events: detector specs, backends, scoring, findings.

* :mod:`~sectool.traffic.detect.filters`: the filter language (pandas mask, ES DSL, KQL);
* :mod:`~sectool.traffic.detect.spec`: queries, metrics, detector specs, the Backend protocol;
* :mod:`~sectool.traffic.detect.findings`: the Finding model, sinks and the re-alert rule.
"""
