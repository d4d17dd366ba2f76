"""Statement of Applicability: all 93 Annex A controls with decision, status and risks.

A row's decision comes from the register's ``soa`` section. A control missing there but
used by a risk is applicable ("selected to treat risks ..."); a control neither decided nor
used is ``undecided`` (and a ``soa_not_assessed`` finding). The status is the SoA entry's,
or else derived from the risks: the most advanced status among existing-control references,
else ``planned`` when the control is only in treatment plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sectool.iso27001.catalogue import Catalogue, load_catalogue
from sectool.iso27001.model import STATUSES, Register

if TYPE_CHECKING:
    from sectool.iso27001.scoring import ScoredRegister

__all__ = ["SoaRow", "build_soa", "soa_table"]

Decision = Literal["soa", "derived", "undecided"]

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "control": "Control",
        "theme": "Theme",
        "title": "Title",
        "applicable": "Applicable",
        "justification": "Justification",
        "status": "Status",
        "risks": "Risks",
        "decision": "Decision",
        "yes": "yes",
        "no": "no",
        "undecided": "undecided",
        "excluded": "Not applicable",
        "undecided_count": "Undecided",
        "derived": "Selected to treat risks {risks}",
        "soa": "Statement of Applicability",
        "implemented": "implemented",
        "partially": "partially implemented",
        "planned": "planned",
        "not_implemented": "not implemented",
        "organisational": "organisational",
        "people": "people",
        "physical": "physical",
        "technological": "technological",
    },
    "da": {
        "control": "Kontrol",
        "theme": "Tema",
        "title": "Titel",
        "applicable": "Relevant",
        "justification": "Begrundelse",
        "status": "Status",
        "risks": "Risici",
        "decision": "Beslutning",
        "yes": "ja",
        "no": "nej",
        "undecided": "ikke vurderet",
        "excluded": "Ikke relevant",
        "undecided_count": "Ikke vurderet",
        "derived": "Valgt til behandling af risici {risks}",
        "soa": "Anvendelseserklæring (SoA)",
        "implemented": "implementeret",
        "partially": "delvist implementeret",
        "planned": "planlagt",
        "not_implemented": "ikke implementeret",
        "organisational": "organisatorisk",
        "people": "personer",
        "physical": "fysisk",
        "technological": "teknologisk",
    },
}


def labels(lang: str) -> dict[str, str]:
    """UI labels for ``lang`` ('en' or 'da')."""
    return _LABELS["da" if lang == "da" else "en"]


@dataclass(frozen=True, slots=True)
class SoaRow:
    """One Annex A control in the Statement of Applicability."""

    control: str
    theme: str
    title_en: str
    title_da: str
    applicable: bool | None
    justification: str
    status: str | None
    risks: tuple[str, ...]
    decision: Decision

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "theme": self.theme,
            "title": self.title_en,
            "title_da": self.title_da,
            "applicable": self.applicable,
            "justification": self.justification,
            "status": self.status,
            "risks": list(self.risks),
            "decision": self.decision,
        }


def build_soa(
    register: Register, catalogue: Catalogue | None = None, scored: ScoredRegister | None = None
) -> list[SoaRow]:
    """93 rows in Annex A order. With ``scored``, each row's risks are listed by rank."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    risks = [s.risk for s in scored.risks] if scored is not None else list(register.risks)
    refs: dict[str, list[str]] = {}
    existing_status: dict[str, str] = {}
    order = {s: i for i, s in enumerate(STATUSES)}  # lower index = more advanced
    for risk in risks:
        for ref in (*risk.existing_controls, *risk.planned_controls):
            ids = refs.setdefault(ref.control, [])
            if risk.id not in ids:
                ids.append(risk.id)
        for ref in risk.existing_controls:
            prev = existing_status.get(ref.control)
            if prev is None or order[ref.status] < order[prev]:
                existing_status[ref.control] = ref.status
    entries = {e.control: e for e in register.soa}
    rows = []
    for control in catalogue:
        used = tuple(refs.get(control.id, ()))
        derived_status = existing_status.get(control.id) or ("planned" if used else None)
        entry = entries.get(control.id)
        if entry is not None:
            applicable: bool | None = entry.applicable
            justification = entry.justification
            status = (entry.status or derived_status) if entry.applicable else None
            decision: Decision = "soa"
        elif used:
            applicable, justification, status, decision = True, "", derived_status, "derived"
        else:
            applicable, justification, status, decision = None, "", None, "undecided"
        rows.append(
            SoaRow(
                control.id,
                control.theme,
                control.en,
                control.da,
                applicable,
                justification,
                status,
                used,
                decision,
            )
        )
    return rows


def soa_table(rows: list[SoaRow], lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """Header and text rows for CSV, XLSX and Markdown exports, in ``lang``."""
    lab = labels(lang)
    header = [lab[k] for k in ("control", "theme", "title", "applicable", "justification", "status", "risks")]
    out = []
    for r in rows:
        applicable = lab["undecided"] if r.applicable is None else lab["yes" if r.applicable else "no"]
        justification = r.justification
        if not justification and r.decision == "derived":
            justification = lab["derived"].format(risks=", ".join(r.risks))
        out.append(
            [
                r.control,
                lab[r.theme],
                r.title_da if lang == "da" else r.title_en,
                applicable,
                justification,
                lab[r.status] if r.status else "",
                ", ".join(r.risks),
            ]
        )
    return header, out
