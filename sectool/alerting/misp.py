"""Findings as one MISP event, serialised by pymisp's ``MISPEvent`` (MISP's JSON format).

The event (``{"Event": {...}}``, what MISP's "Add event from JSON" import and ``PyMISP.add_event``
take) carries:

* ``info`` (what and when), ``date`` (the first window), ``threat_level_id`` from the most
  severe finding (critical/high 1, medium 2, low 3), ``analysis`` 0 (initial) and
  ``distribution`` (default 0: the CERT's own organisation, which decides on sharing);
* ``Tag``: the TLP (``tlp:amber`` ...) and the ATT&CK techniques of all findings as MISP
  galaxy tags (``misp-galaxy:mitre-attack-pattern="DNS - T1071.004"``);
* one ``Attribute`` per external address or domain and finding: ``ip-dst`` (the destination of
  a connection), ``ip-src`` (its source, or a host entity), ``domain``, each with ``to_ids``
  true; the destination port as a ``port`` attribute (``to_ids`` false: a port alone is no
  indicator); ``first_seen``/``last_seen`` from the window; the comment names the detector,
  severity, finding id and the (redacted) title; the finding's techniques as tags.
  Internal addresses, when kept (``include_internal``), are attributes with ``to_ids`` false.

UUIDs are deterministic (UUIDv5 of the finding ids), so an event exported twice is the same
event to MISP.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from pymisp import MISPEvent

from sectool.alerting.scope import ExportItem, Observable
from sectool.report.attack import technique_name
from sectool.traffic.detect.findings import SEVERITIES

__all__ = ["THREAT_LEVELS", "attack_tag", "build_event"]

_NAMESPACE = uuid.UUID("2b1d6f0e-93c4-4f7a-8e55-0c6a9d7b3f12")
#: MISP threat levels: 1 high, 2 medium, 3 low, 4 undefined.
THREAT_LEVELS = {"critical": 1, "high": 1, "medium": 2, "low": 3}


def attack_tag(technique: str) -> str:
    """The MISP galaxy tag of an ATT&CK technique (the cluster value is ``Name - ID``; for a
    sub-technique MISP uses the sub-technique's own name). Unknown ids get a plain tag."""
    name = technique_name(technique)
    if name is None:
        return f'mitre-attack:technique="{technique}"'
    short = name.split(": ", 1)[1] if "." in technique and ": " in name else name
    return f'misp-galaxy:mitre-attack-pattern="{short} - {technique}"'


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def _attribute_type(o: Observable) -> str:
    if o.kind == "domain-name":
        return "domain"
    return "ip-dst" if o.role == "dst" else "ip-src"


def build_event(
    items: Sequence[ExportItem], *, producer: str, tlp: str, distribution: int = 0
) -> dict[str, Any]:
    """The MISP event of ``items`` as a JSON-ready dict (``{"Event": {...}}``)."""
    event = MISPEvent()
    ids = sorted(i.finding.id for i in items)
    event.uuid = _uuid("event", producer, *ids)
    first = min((i.finding.window_start for i in items), default=None)
    last = max((i.finding.window_end for i in items), default=None)
    span = f"{first:%Y-%m-%d %H:%M} – {last:%Y-%m-%d %H:%M} UTC" if first and last else "no findings"
    event.info = f"sectool: {len(items)} network finding(s) from {producer}, {span}"
    if first is not None:
        event.set_date(first.date())
    worst = max((i.finding.severity for i in items), key=SEVERITIES.index, default=None)
    event.threat_level_id = THREAT_LEVELS[worst] if worst else 4
    event.analysis = 0
    event.distribution = distribution
    event.add_tag(f"tlp:{tlp}")
    for t in sorted({t for i in items for t in i.finding.techniques}):
        event.add_tag(attack_tag(t))
    for item in items:
        f = item.finding
        comment = f"{f.detector} ({f.severity}, score {f.score:.2f}), finding {f.id}: {item.title}"[:1000]
        for o in item.observables:
            attr = event.add_attribute(
                _attribute_type(o),
                o.value,
                category="Network activity",
                to_ids=not o.internal,
                comment=comment,
                uuid=_uuid("attribute", f.id, o.kind, o.value, o.role),
                first_seen=f.window_start,
                last_seen=f.window_end,
            )
            # add_attribute returns a list only when given a list of values; one value here.
            assert not isinstance(attr, list)
            for t in f.techniques:
                attr.add_tag(attack_tag(t))
        if item.port is not None:
            event.add_attribute(
                "port",
                str(item.port),
                category="Network activity",
                to_ids=False,
                comment=comment,
                uuid=_uuid("attribute", f.id, "port", str(item.port)),
                first_seen=f.window_start,
                last_seen=f.window_end,
            )
    # pymisp's own serialiser (its to_dict keeps nested MISP objects).
    doc: dict[str, Any] = json.loads(event.to_json())
    return {"Event": doc}
