"""Traffic monitoring: ECS events, readers, Elasticsearch, detectors, findings, simulator."""
