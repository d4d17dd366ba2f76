"""The mapping tables of the logs about hosts and the sensor itself (software, known hosts and
services, capture loss, stats, reporter); the traffic logs are in :mod:`.zeek_tables`."""

from __future__ import annotations

from sectool.traffic.readers.zeek_spec import LogSpec, finish_reporter, keys, targets

__all__ = ["HOST_TABLES"]

#: The host and sensor logs, checked last by :func:`.zeek_logs.guess_log`.
HOST_TABLES: tuple[LogSpec, ...] = (
    LogSpec(
        "software",
        "zeek.software",
        category="host",
        type="info",
        fields=targets({"host": "host.ip:ips"}),
        keep=frozenset({"host"}),
        signatures=keys("software_type", "unparsed_version"),
    ),
    LogSpec(
        "known_services",
        "zeek.known_services",
        type="info",
        fields=targets(
            {
                "host": "destination.ip:ip",
                "port_num": "destination.port:port",
                "port_proto": "network.transport:lower",
                "service": "network.protocol:service",
            }
        ),
        keep=frozenset({"service"}),
        signatures=keys("port_num", "port_proto"),
    ),
    LogSpec(
        "known_hosts",
        "zeek.known_hosts",
        category="host",
        type="info",
        fields=targets({"host": "host.ip:ips"}),
        keep=frozenset({"host"}),
        signatures=keys("host"),  # checked after software / known_services, which have a host too
    ),
    LogSpec(
        "capture_loss",
        "zeek.capture_loss",
        kind="metric",
        category="host",
        type="info",
        signatures=keys("percent_lost", "gaps acks"),
    ),
    LogSpec(
        "stats",
        "zeek.stats",
        kind="metric",
        category="host",
        type="info",
        signatures=keys("pkts_proc", "events_proc", "mem peer"),
    ),
    LogSpec(
        "reporter",
        "zeek.reporter",
        category="host",
        type="info",
        fields=targets({"level": "log.level", "message": "message"}),
        keep=frozenset({"level"}),
        id_fields=("level", "message", "location"),
        finish=finish_reporter,
        signatures=keys("level message"),
    ),
)
