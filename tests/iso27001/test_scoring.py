from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from sectool.errors import InputError
from sectool.iso27001 import load_matrix, load_register, score_register
from sectool.iso27001.catalogue import load_catalogue
from sectool.iso27001.matrix import ControlEffect
from sectool.iso27001.model import ControlRef
from sectool.iso27001.scoring import reduce_levels

AS_OF = dt.date(2026, 6, 1)


def _register(tmp_path: Path, risk: dict[str, Any], **top: Any) -> Path:
    base: dict[str, Any] = {
        "name": "t",
        "appetite": "medium",
        "assets": [{"id": "nsp", "name": "NSP"}],
        "risks": [
            {
                "id": "R1",
                "title": "t",
                "owner": "CISO",
                "likelihood": 4,
                "impact": 4,
                "next_review": "2027-01-01",
                **risk,
            }
        ],
    }
    base.update(top)
    path = tmp_path / "r.yml"
    path.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return path


def _score(tmp_path: Path, risk: dict[str, Any], matrix: str = "5x5", as_of: dt.date = AS_OF, **top: Any):  # type: ignore[no-untyped-def]
    reg = load_register(_register(tmp_path, risk, **top))
    return score_register(reg, load_matrix(matrix), as_of=as_of)


# -- control effect per status --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "current_drop", "residual_drop_if_planned"),
    [
        ("implemented", 1, 1),
        ("partially", 0, 1),  # 0.5 rounds down to 0 levels today; planned controls count as implemented later
        ("planned", 0, 1),
        ("not_implemented", 0, 1),
    ],
)
def test_control_effect_per_status(
    tmp_path: Path, status: str, current_drop: int, residual_drop_if_planned: int
) -> None:
    existing = _score(tmp_path, {"existing_controls": [{"control": "A.8.5", "status": status}]}).risks[0]
    assert existing.inherent.likelihood == 4
    assert existing.current.likelihood == 4 - current_drop
    assert existing.residual.likelihood == 4 - current_drop  # existing controls keep their status
    assert existing.current.impact == existing.residual.impact == 4
    planned = _score(tmp_path, {"planned_controls": [{"control": "A.8.5", "status": status}]}).risks[0]
    # "current" counts existing controls only (issue 2): a planned control never lowers it.
    assert planned.current.likelihood == 4
    assert planned.residual.likelihood == 4 - residual_drop_if_planned


def test_two_partial_controls_make_one_level(tmp_path: Path) -> None:
    s = _score(
        tmp_path,
        {
            "existing_controls": [
                {"control": "A.8.5", "status": "partially"},
                {"control": "A.8.2", "status": "partially"},
            ]
        },
    ).risks[0]
    assert (s.current.likelihood, s.current.impact) == (3, 4)


def test_reduction_is_capped_and_never_below_lowest_level(tmp_path: Path) -> None:
    five = [{"control": c, "status": "implemented"} for c in ("A.8.5", "A.8.2", "A.8.7", "A.8.8", "A.8.9")]
    s = _score(tmp_path, {"likelihood": 4, "existing_controls": five}).risks[0]
    assert s.current.likelihood == 2  # max_reduction 2
    s = _score(tmp_path, {"likelihood": 1, "existing_controls": five}).risks[0]
    assert s.current.likelihood == 1


def test_impact_controls_and_axis_override(tmp_path: Path) -> None:
    s = _score(tmp_path, {"existing_controls": [{"control": "A.8.13", "status": "implemented"}]}).risks[0]
    assert (s.current.likelihood, s.current.impact) == (4, 3)  # backup lowers impact
    s = _score(
        tmp_path,
        {"existing_controls": [{"control": "A.8.13", "status": "implemented", "reduces": "likelihood"}]},
    ).risks[0]
    assert (s.current.likelihood, s.current.impact) == (3, 4)


def test_a_control_counts_once_at_its_strongest_reference() -> None:
    cat = load_catalogue()
    partial = ControlRef(control="A.8.5", status="partially")
    full = ControlRef(control="A.8.5", status="implemented")
    effect = ControlEffect()
    assert reduce_levels([(partial, 0.5), (full, 1.0)], cat, effect) == (1, 0)
    assert reduce_levels([(partial, 0.5), (partial, 0.5)], cat, effect) == (0, 0)


def test_register_control_effect_overrides_matrix(tmp_path: Path) -> None:
    s = _score(
        tmp_path,
        {"existing_controls": [{"control": "A.8.5", "status": "partially"}]},
        control_effect={"implemented": 2, "partially": 1, "max_reduction": 3},
    ).risks[0]
    assert s.current.likelihood == 3


# -- three tiers and appetite -----------------------------------------------------------------------------


def test_three_tiers(tmp_path: Path) -> None:
    scored = _score(
        tmp_path,
        {
            "likelihood": "likely",
            "impact": "catastrophic",
            "existing_controls": [
                {"control": "A.8.5", "status": "implemented"},
                {"control": "A.8.13", "status": "partially"},
            ],
            "planned_controls": [{"control": "A.8.16"}, {"control": "A.8.2", "status": "partially"}],
        },
    )
    s = scored.risks[0]
    # likelihood: A.8.5 (1) + A.8.2 partially (0.5) = 1.5 -> 1 level now; 1 + 1 = 2 later.
    # impact: A.8.13 partially (0.5) -> 0 now; + A.8.16 (1) = 1.5 -> 1 later.
    assert (s.inherent.likelihood, s.inherent.impact, scored.matrix.risk_levels[s.inherent.level].name) == (
        4,
        5,
        "very_high",
    )
    assert (s.current.likelihood, s.current.impact, scored.matrix.risk_levels[s.current.level].name) == (
        3,
        5,
        "high",
    )
    assert (s.residual.likelihood, s.residual.impact, scored.matrix.risk_levels[s.residual.level].name) == (
        2,
        4,
        "medium",
    )
    assert s.above_appetite is True
    assert s.residual_above_appetite is False


@pytest.mark.parametrize(
    ("appetite", "above"),
    [("low", True), ("medium", True), ("high", False), ("very_high", False)],
)
def test_appetite_flag(tmp_path: Path, appetite: str, above: bool) -> None:
    scored = _score(tmp_path, {"likelihood": 4, "impact": 4}, appetite=appetite)  # L4 x I4 = high
    assert scored.risks[0].above_appetite is above
    assert [s.risk.id for s in scored.above_appetite] == (["R1"] if above else [])


def test_appetite_not_a_level_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"r\.yml:2, field 'appetite': risk appetite is not a risk level .*'extreme'"
    ):
        _score(tmp_path, {}, appetite="extreme")


def test_no_appetite_is_a_finding(tmp_path: Path) -> None:
    scored = _score(tmp_path, {}, appetite=None)
    assert not scored.above_appetite
    assert "appetite_not_set" in [f.code for f in scored.findings]


def test_level_outside_matrix_names_line_and_allowed_values(tmp_path: Path) -> None:
    path = _register(tmp_path, {"likelihood": 5})
    with pytest.raises(InputError) as info:
        score_register(load_register(path), load_matrix("3x3"), as_of=AS_OF)
    msg = str(info.value)
    assert f"{path}:" in msg
    assert "risks[0].likelihood" in msg
    assert "level outside the matrix (got 5); expected 1..3 or one of: low, medium, high" in msg


# -- findings with a fixed as-of -----------------------------------------------------------------------

ACCEPT = {"approved_by": "CEO", "date": "2026-01-01", "expiry": "2026-12-31", "justification": "ok"}


@pytest.mark.parametrize(
    ("as_of", "code", "valid"),
    [
        (dt.date(2025, 12, 31), "acceptance_not_yet_valid", False),
        (dt.date(2026, 1, 1), None, True),
        (dt.date(2026, 12, 30), None, True),
        (dt.date(2026, 12, 31), "acceptance_expired", False),
        (dt.date(2027, 3, 1), "acceptance_expired", False),
    ],
)
def test_acceptance_expiry(tmp_path: Path, as_of: dt.date, code: str | None, valid: bool) -> None:
    scored = _score(
        tmp_path, {"treatment": "accept", "acceptance": ACCEPT, "next_review": "2028-01-01"}, as_of=as_of
    )
    s = scored.risks[0]
    assert s.acceptance_valid is valid
    codes = {f.code for f in s.findings} & {"acceptance_not_yet_valid", "acceptance_expired"}
    assert codes == ({code} if code else set())
    if code == "acceptance_expired":
        assert "expired on 2026-12-31" in next(f.message for f in s.findings if f.code == code)


def test_accept_without_record(tmp_path: Path) -> None:
    s = _score(tmp_path, {"treatment": "accept"}).risks[0]
    assert next(f for f in s.findings if f.code == "accepted_without_record").severity == "error"


def test_valid_acceptance_silences_residual_above_appetite(tmp_path: Path) -> None:
    accepted = _score(tmp_path, {"treatment": "accept", "acceptance": ACCEPT}).risks[0]
    mitigated = _score(tmp_path, {"treatment": "mitigate"}).risks[0]
    assert "residual_above_appetite" not in [f.code for f in accepted.findings]
    assert "residual_above_appetite" in [f.code for f in mitigated.findings]


@pytest.mark.parametrize(
    ("next_review", "overdue"),
    [("2026-05-31", True), ("2026-06-01", False), ("2026-06-02", False)],
)
def test_review_overdue(tmp_path: Path, next_review: str, overdue: bool) -> None:
    s = _score(tmp_path, {"next_review": next_review}).risks[0]
    assert s.review_overdue is overdue
    assert ("review_overdue" in [f.code for f in s.findings]) is overdue


def test_review_not_scheduled_and_missing_owner(tmp_path: Path) -> None:
    s = _score(tmp_path, {"next_review": None, "owner": ""}).risks[0]
    codes = [f.code for f in s.findings]
    assert "review_not_scheduled" in codes
    assert "missing_owner" in codes


def test_declared_residual_above_current(tmp_path: Path) -> None:
    s = _score(
        tmp_path,
        {
            "existing_controls": [{"control": "A.8.5", "status": "implemented"}],
            "residual": {"likelihood": 4, "impact": 4},
        },
    ).risks[0]
    assert s.residual_declared
    assert (s.current.likelihood, s.residual.likelihood, s.computed_residual.likelihood) == (3, 4, 3)
    assert "residual_above_current" in [f.code for f in s.findings]


def test_control_not_applicable_in_soa(tmp_path: Path) -> None:
    scored = _score(
        tmp_path,
        {"planned_controls": [{"control": "A.8.30"}]},
        soa=[{"control": "A.8.30", "applicable": False, "justification": "no outsourcing"}],
    )
    f = [f for f in scored.findings if f.code == "control_not_applicable"]
    assert [(x.risk_id, x.control, x.severity) for x in f] == [("R1", "A.8.30", "error")]
    assert "soa_not_assessed" in [x.code for x in scored.findings]


def test_example_register_shows_the_demo_findings(example: Path, as_of: dt.date) -> None:
    scored = score_register(load_register(example), as_of=as_of)
    codes = {(f.code, f.risk_id) for f in scored.findings}
    assert ("acceptance_expired", "R-19") in codes
    assert ("review_overdue", "R-16") in codes
    assert ("missing_owner", "R-25") in codes
    assert ("control_not_applicable", "R-24") in codes
    assert ("residual_above_current", "R-20") in codes
    assert len(scored.register.risks) == 25
    assert len(scored.above_appetite) >= 3
    # Ranked by current level, then score.
    keys = [(s.current.level, s.current.score) for s in scored.risks]
    assert keys == sorted(keys, reverse=True)


def test_json_shape_is_stable(example: Path, as_of: dt.date) -> None:
    d = score_register(load_register(example), as_of=as_of).to_dict()
    assert d["schema_version"] == 1
    assert set(d) == {
        "assets",
        "schema_version",
        "kind",
        "as_of",
        "register",
        "matrix",
        "control_effect",
        "summary",
        "risks",
        "above_appetite",
        "heatmap",
        "findings",
    }
    assert set(d["risks"][0]) >= {
        "rank",
        "id",
        "inherent",
        "current",
        "residual",
        "above_appetite",
        "findings",
    }
    assert set(d["risks"][0]["current"]) == {"likelihood", "impact", "score", "level", "level_rank"}
    assert len(d["heatmap"]["inherent"]) == 25
    assert sum(c["count"] for c in d["heatmap"]["residual"]) == 25
    assert d["summary"]["above_appetite"] == len(d["above_appetite"])
    assert set(d["findings"][0]) == {"severity", "code", "risk_id", "control", "message", "message_da"}


def test_register_control_effect_merges_with_the_matrix(tmp_path: Path) -> None:
    # The 3x3 matrix caps at 1 level; the register raises only the cap.
    refs = [{"control": c, "status": "implemented"} for c in ("A.8.5", "A.8.2")]
    capped = _score(tmp_path, {"likelihood": 3, "impact": 3, "existing_controls": refs}, matrix="3x3").risks[
        0
    ]
    assert capped.current.likelihood == 2
    raised = _score(
        tmp_path,
        {"likelihood": 3, "impact": 3, "existing_controls": refs},
        matrix="3x3",
        control_effect={"max_reduction": 2},
    ).risks[0]
    assert raised.current.likelihood == 1


def test_json_assets_and_soa_summary(example: Path, as_of: dt.date) -> None:
    d = score_register(load_register(example), as_of=as_of).to_dict()
    fmk = next(a for a in d["assets"] if a["id"] == "fmk")
    assert fmk["classification"] == {"confidentiality": 4, "integrity": 5, "availability": 5}
    assert "R-01" in fmk["risks"]
    soa = d["summary"]["soa"]
    assert (soa["controls"], soa["applicable"], soa["not_applicable"], soa["undecided"]) == (93, 91, 2, 0)
    assert sum(soa["status"].values()) == 91


@pytest.mark.parametrize(
    ("risk_status", "soa_status", "flagged"),
    [
        ("implemented", "partially", True),
        ("partially", "planned", True),
        ("partially", "implemented", False),
        ("planned", "planned", False),
    ],
)
def test_soa_status_mismatch(tmp_path: Path, risk_status: str, soa_status: str, flagged: bool) -> None:
    scored = _score(
        tmp_path,
        {"existing_controls": [{"control": "A.8.5", "status": risk_status}]},
        soa=[{"control": "A.8.5", "applicable": True, "status": soa_status}],
    )
    found = [f for f in scored.findings if f.code == "soa_status_mismatch"]
    assert bool(found) is flagged
    if flagged:
        assert found[0].message == (
            f"risk R1 counts on A.8.5 as {risk_status}, but the SoA says {soa_status} (check the scope)"
        )


@pytest.mark.parametrize(
    ("status", "finding"), [("implemented", True), ("partially", True), ("planned", False)]
)
def test_planned_control_already_in_place_is_reported(tmp_path: Path, status: str, finding: bool) -> None:
    s = _score(tmp_path, {"planned_controls": [{"control": "A.8.5", "status": status}]}).risks[0]
    codes = [f for f in s.findings if f.code == "planned_control_in_place"]
    assert bool(codes) is finding
    if finding:
        assert codes[0].control == "A.8.5"
        assert codes[0].severity == "info"
        assert "lowers the current risk only once it is listed under existing_controls" in codes[0].message
        assert "existing_controls" in codes[0].message_da


def test_current_counts_only_existing_controls(tmp_path: Path) -> None:
    # Same control as existing (counts today) versus planned and partially rolled out (does not).
    existing = _score(tmp_path, {"existing_controls": [{"control": "A.8.5", "status": "implemented"}]}).risks[
        0
    ]
    planned = _score(tmp_path, {"planned_controls": [{"control": "A.8.5", "status": "implemented"}]}).risks[0]
    assert (existing.current.likelihood, planned.current.likelihood) == (3, 4)
    assert existing.residual.likelihood == planned.residual.likelihood == 3
