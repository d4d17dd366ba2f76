"""Export findings for the sector CERT: a STIX 2.1 bundle or a MISP event, written atomically."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sectool.alerting.scope import Scope, prepare
from sectool.fileio import atomic_open
from sectool.traffic.detect.findings import Finding

__all__ = ["TLP_CHOICES", "ExportSummary", "export_findings"]

TLP_CHOICES = ("clear", "green", "amber", "amber+strict", "red")
Format = Literal["stix", "misp"]


@dataclass
class ExportSummary:
    """What went into the file and what was left out (finding id -> reason)."""

    path: Path
    fmt: Format
    exported: int
    indicators: int
    left_out: dict[str, str] = field(default_factory=dict)


def export_findings(
    findings: Sequence[Finding],
    out: Path,
    *,
    fmt: Format,
    scope: Scope,
    tlp: str = "amber",
    producer: str = "sectool",
) -> ExportSummary:
    """Write ``findings`` as a STIX bundle or a MISP event to ``out`` (atomically)."""
    if tlp not in TLP_CHOICES:
        raise ValueError(f"unknown TLP level {tlp!r}")
    items, left_out = prepare(findings, scope)
    indicators = len({(o.kind, o.value) for i in items for o in i.external})
    if fmt == "stix":
        from sectool.alerting.stix import build_bundle

        text = build_bundle(items, producer=producer, tlp=tlp).serialize(pretty=True, sort_keys=True)
    else:
        from sectool.alerting.misp import build_event

        text = json.dumps(build_event(items, producer=producer, tlp=tlp), indent=2, sort_keys=True)
    with atomic_open(out, "w") as fh:
        fh.write(text + "\n")
    return ExportSummary(out, fmt, len(items), indicators, {f.id: why for f, why in left_out})
