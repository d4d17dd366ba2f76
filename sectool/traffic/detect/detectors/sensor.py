"""The sensors' own verdicts as a specification: Suricata alerts and Zeek notices.

A verdict is an event with ``event.kind: alert`` (Suricata EVE ``alert``, Filebeat's Zeek
notices) or of the dataset ``zeek.notice``, with the signature or note in ``rule.name``. They
are grouped per signature and host pair per window, so a signature that fires 500 times on one
connection pair in an hour is one finding with ``count: 500`` (deduplicated like every other
finding: the id is a hash of detector, entity and window). Verdicts without a destination
(Zeek's scan notices name only the scanner) or without any address are grouped on what they
have, in their own queries, because a group-by field an event lacks leaves the event out.
"""

from __future__ import annotations

from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.detectors import _all
from sectool.traffic.detect.filters import Eq, Exists, Not, Or
from sectool.traffic.detect.spec import Count, DetectorSpec, Max, Metric, Min, Query, Terms

__all__ = ["VERDICT", "sensor_alerts"]

RULE, SRC, DST = "rule.name", "source.ip", "destination.ip"
VERDICT = _all(Or((Eq("event.kind", "alert"), Eq("event.dataset", "zeek.notice"))), Exists(RULE))
#: A store without verdicts (flows only) has none of these: no findings, not an error.
OPTIONAL = frozenset(
    {RULE, "event.severity", "rule.id", "rule.category", "event.dataset", "event.module", DST}
)


def _metrics() -> tuple[Metric, ...]:
    return (
        Count(),
        Min("event.severity"),
        Terms("rule.id", 3),
        Terms("rule.category", 1),
        Terms("event.module", 2),
        Min("@timestamp"),
        Max("@timestamp"),
    )


def sensor_alerts(cfg: DetectConfig) -> DetectorSpec:
    c = cfg.detectors.sensor_alerts
    pairs = Query(
        name="pairs",
        group_by=(RULE, SRC, DST),
        metrics=_metrics(),
        filter=_all(VERDICT, Exists(SRC), Exists(DST)),
        interval=c.interval,
        optional=OPTIONAL,
    )
    sources = Query(
        name="sources",
        group_by=(RULE, SRC),
        metrics=(*_metrics(), Terms(DST, 5)),
        filter=_all(VERDICT, Exists(SRC), Not(Exists(DST))),
        interval=c.interval,
        optional=OPTIONAL,
    )
    rules = Query(
        name="rules",
        group_by=(RULE,),
        metrics=_metrics(),
        filter=_all(VERDICT, Not(Exists(SRC))),
        interval=c.interval,
        optional=OPTIONAL,
    )
    return DetectorSpec(
        "sensor_alerts",
        (pairs, sources, rules),
        "sensor_alerts",
        (),
        c.model_dump(),
        "Suricata alerts and Zeek notices, one finding per signature and host pair per window",
    )
