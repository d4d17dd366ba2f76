"""Findings as a STIX 2.1 bundle, built with the ``stix2`` library.

The bundle holds:

* the producer's ``identity`` (who saw it);
* the TLP 2.0 ``marking-definition`` chosen (the official OASIS objects: fixed ids and the TLP
  2.0 extension), referenced by every other object;
* one ``indicator`` per external address or domain, with a STIX pattern
  (``[ipv4-addr:value = '185.1.2.3']``), valid from the first window it was seen in;
* per finding one ``observed-data`` with its cyber-observables (``ipv4-addr``/``ipv6-addr``/
  ``domain-name``, and ``network-traffic`` for a connection with its destination port);
* per finding and indicator one ``sighting`` tying the indicator to the observed data,
  sighted by the producer, with the finding's window as first/last seen.

Ids are deterministic (UUIDv5 of the finding ids; the cyber-observables use STIX's own
deterministic ids), so exporting the same findings twice gives the same objects, and a CERT
that imports both sees one. ATT&CK technique ids become ``external_references``
(``mitre-attack``) of the indicators.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import stix2

from sectool.alerting.scope import ExportItem, Observable
from sectool.report.attack import technique_name
from sectool.traffic.detect.findings import SEVERITIES

__all__ = ["TLP_LEVELS", "build_bundle", "tlp_marking"]

#: The namespace of sectool's deterministic STIX ids (a fixed, random UUID).
_NAMESPACE = uuid.UUID("8a3f0c52-6e0b-4b2e-9a57-2f9d3c1d7e41")
#: ``created`` of the producer identity: fixed, so that its id (from the name) has one version.
_IDENTITY_CREATED = datetime(2026, 1, 1, tzinfo=UTC)
_TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#: The OASIS TLP 2.0 marking definitions (cti-stix-common-objects, extension-definition
#: specifications tlp-2.0): their ids and creation time are fixed by OASIS.
TLP_LEVELS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def tlp_marking(level: str) -> Any:
    """The OASIS TLP 2.0 marking definition of ``level``."""
    return stix2.v21.MarkingDefinition(
        id=TLP_LEVELS[level],
        created="2022-10-01T00:00:00.000Z",
        name=f"TLP:{level.upper()}",
        extensions={_TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}},
    )


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(_NAMESPACE, '|'.join(parts))}"


def _pattern_value(value: str) -> str:
    # STIX patterning string literal: backslash and quote are escaped.
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _sco(o: Observable) -> Any:
    if o.kind == "ipv4-addr":
        return stix2.v21.IPv4Address(value=o.value)
    if o.kind == "ipv6-addr":
        return stix2.v21.IPv6Address(value=o.value)
    return stix2.v21.DomainName(value=o.value)


def _count(evidence: Mapping[str, Any]) -> int:
    """How many events the finding rests on (``number_observed``: 1 .. 999,999,999)."""
    for key in ("connections", "events", "queries", "lookups", "failures"):
        value = evidence.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 1:
            return min(int(value), 999_999_999)
    return 1


def _references(techniques: Sequence[str]) -> list[dict[str, str]]:
    refs = []
    for t in sorted(set(techniques)):
        ref = {"source_name": "mitre-attack", "external_id": t}
        name = technique_name(t)
        if name:
            ref["description"] = name
        ref["url"] = "https://attack.mitre.org/techniques/" + t.replace(".", "/") + "/"
        refs.append(ref)
    return refs


def build_bundle(items: Sequence[ExportItem], *, producer: str, tlp: str) -> Any:
    """A STIX 2.1 bundle of ``items`` (see the module docstring for its contents).

    Args:
        items: Findings prepared by :func:`sectool.alerting.scope.prepare`.
        producer: The name of the organisation sharing the findings.
        tlp: ``clear``, ``green``, ``amber``, ``amber+strict`` or ``red``.

    Every object is derived from the findings alone (ids and ``created`` included): an object
    exported twice is the same version of the same object, never a conflicting one.
    """
    marking = tlp_marking(tlp)
    marks = [marking.id]
    identity = stix2.v21.Identity(
        id=_id("identity", "producer", producer),
        name=producer,
        identity_class="organization",
        sectors=["healthcare"],
        created=_IDENTITY_CREATED,
        modified=_IDENTITY_CREATED,
        object_marking_refs=marks,
    )
    common: dict[str, Any] = {"created_by_ref": identity.id, "object_marking_refs": marks}
    scos: dict[str, Any] = {}
    # One indicator per external observable over all findings: its validity starts at the
    # first window, its techniques and detectors are the union of the findings' ones.
    by_value: dict[tuple[str, str], list[ExportItem]] = {}
    for item in items:
        for o in item.external:
            by_value.setdefault((o.kind, o.value), []).append(item)
    indicators: dict[tuple[str, str], Any] = {}
    for (kind, value), its in sorted(by_value.items()):
        worst = max((i.finding.severity for i in its), key=SEVERITIES.index)
        detectors = sorted({i.finding.detector for i in its})
        made = max(i.finding.window_end for i in its)
        indicators[(kind, value)] = stix2.v21.Indicator(
            id=_id("indicator", kind, value, *sorted(i.finding.id for i in its)),
            created=made,
            modified=made,
            name=f"{value} ({', '.join(detectors)})",
            description="; ".join(sorted({i.title for i in its}))[:2000],
            indicator_types=["anomalous-activity"],
            pattern=f"[{kind}:value = '{_pattern_value(value)}']",
            pattern_type="stix",
            valid_from=min(i.finding.window_start for i in its),
            confidence=round(100 * max(i.finding.score for i in its)),
            labels=[f"severity:{worst}", *(f"detector:{d}" for d in detectors)],
            external_references=_references([t for i in its for t in i.finding.techniques]) or None,
            **common,
        )
    objects: list[Any] = [identity]
    observed: list[Any] = []
    sightings: list[Any] = []
    for item in items:
        f = item.finding
        refs: list[str] = []
        by_role: dict[str, str] = {}
        for o in item.observables:
            sco = _sco(o)
            scos[sco.id] = sco
            refs.append(sco.id)
            by_role.setdefault(o.role, sco.id)
        if "src" in by_role or "dst" in by_role:
            ip = next(o for o in item.observables if o.role in ("src", "dst"))
            traffic = stix2.v21.NetworkTraffic(
                src_ref=by_role.get("src"),
                dst_ref=by_role.get("dst"),
                dst_port=item.port,
                protocols=["ipv4" if ip.kind == "ipv4-addr" else "ipv6"],
            )
            scos[traffic.id] = traffic
            refs.append(traffic.id)
        od = stix2.v21.ObservedData(
            id=_id("observed-data", f.id),
            created=f.window_end,
            modified=f.window_end,
            first_observed=f.window_start,
            last_observed=f.window_end,
            number_observed=_count(f.evidence),
            object_refs=sorted(set(refs)),
            **common,
        )
        observed.append(od)
        for o in item.external:
            ind = indicators[(o.kind, o.value)]
            sightings.append(
                stix2.v21.Sighting(
                    id=_id("sighting", f.id, ind.id),
                    created=f.window_end,
                    modified=f.window_end,
                    sighting_of_ref=ind.id,
                    observed_data_refs=[od.id],
                    where_sighted_refs=[identity.id],
                    first_seen=f.window_start,
                    last_seen=f.window_end,
                    count=1,
                    description=f"{f.detector} ({f.severity}, score {f.score:.2f}): {item.title}"[:2000],
                    **common,
                )
            )
    objects += [marking, *indicators.values(), *scos.values(), *observed, *sightings]
    return stix2.v21.Bundle(
        id=_id("bundle", producer, tlp, *sorted(i.finding.id for i in items)),
        objects=objects,
    )
