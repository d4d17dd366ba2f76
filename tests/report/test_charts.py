"""Chart labels are shown in full: wrapped or set smaller, never clipped; the full text is the <title>."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from sectool.report import charts

NS = "{http://www.w3.org/2000/svg}"


def _labels(svg: str) -> list[tuple[str, str]]:
    """(visible text of the tspans, title) of every wrapped label."""
    root = ET.fromstring(svg)
    out = []
    for text in root.iter(f"{NS}text"):
        title = text.find(f"{NS}title")
        spans = text.findall(f"{NS}tspan")
        if title is not None:
            out.append((" ".join(s.text or "" for s in spans), title.text or ""))
    return out


@pytest.mark.parametrize(
    "impact",
    [
        ["Insignificant", "Minor", "Moderate", "Major", "Catastrophic"],
        ["Ubetydelig", "Mindre", "Moderat", "Alvorlig", "Katastrofal"],
        ["Very low impact", "Low impact", "Medium impact", "High impact", "Catastrophic for patients"],
    ],
)
def test_heatmap_axis_labels_are_not_clipped(impact: list[str]) -> None:
    svg = charts.heatmap(
        [[1] * 5 for _ in range(5)],
        likelihood_levels=["Rare", "Unlikely", "Possible", "Likely", "Almost certain"],
        impact_levels=impact,
        cell_levels=[["low"] * 5 for _ in range(5)],
        colours={"low": "#00ff00"},
        title="t",
        x_label="Impact",
        y_label="Likelihood",
    )
    labels = _labels(svg)
    for name in impact:
        assert (name, name) in labels, labels
    assert "…" not in svg


def test_detector_labels_wrap_onto_two_lines() -> None:
    rows = [
        ("Administration outside working hours at the clinics", [(3, "#ff0000")]),
        ("Regelmæssige forbindelser ud (beaconing)", [(2, "#ff0000")]),
        ("Port scan", [(1, "#ff0000")]),
    ]
    svg = charts.stacked_hbars(rows, title="t")
    labels = dict((title, text) for text, title in _labels(svg))
    for label, _ in rows:
        assert labels[label] == label  # every word visible, in order
    root = ET.fromstring(svg)
    first = root.findall(f"{NS}text")[0]
    assert len(first.findall(f"{NS}tspan")) == 2
    assert "…" not in svg


def test_hostile_label_is_escaped() -> None:
    svg = charts.stacked_hbars(
        [("<script>x</script> & more words to wrap here", [(1, "#ff0000")])], title="t"
    )
    assert "<script>" not in svg
    assert _labels(svg)[0][1] == "<script>x</script> & more words to wrap here"
