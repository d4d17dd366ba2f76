"""Elasticsearch for traffic events: connection settings, index template, idempotent bulk."""
