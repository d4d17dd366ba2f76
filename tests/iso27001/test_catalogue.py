from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sectool.errors import InputError
from sectool.iso27001.catalogue import THEME_COUNTS, load_catalogue

# Copy of the public reference list (id<TAB>English title), kept next to the tests.
REFERENCE = Path(__file__).parent / "data" / "annex_a_reference.tsv"
# The reference list capitalises one word by mistake; ISO/IEC 27001:2022 writes "Working in secure areas".
REFERENCE_ERRATA = {"A.7.6": "Working in secure areas"}


def _reference() -> dict[str, str]:
    rows = [line.rstrip("\n").split("\t") for line in REFERENCE.read_text("utf-8").splitlines() if line]
    return {cid: REFERENCE_ERRATA.get(cid, title) for cid, title in rows}


def test_catalogue_has_93_controls_with_published_theme_counts() -> None:
    cat = load_catalogue()
    assert len(cat) == 93
    assert Counter(c.theme for c in cat) == THEME_COUNTS
    assert THEME_COUNTS == {"organisational": 37, "people": 8, "physical": 14, "technological": 34}


def test_english_titles_match_reference_list() -> None:
    ref = _reference()
    cat = load_catalogue()
    assert list(ref) == list(cat.ids)
    mismatches = {c.id: (c.en, ref[c.id]) for c in cat if c.en != ref[c.id]}
    assert mismatches == {}


def test_every_control_has_a_distinct_danish_title() -> None:
    cat = load_catalogue()
    titles = [c.da for c in cat]
    assert all(t.strip() for t in titles)
    assert len(set(titles)) == 93
    assert cat["A.5.15"].title("da") == "Adgangsstyring"
    assert cat["A.5.15"].title("en") == "Access control"


def test_catalogue_is_loaded_once() -> None:
    assert load_catalogue() is load_catalogue()


def test_lookup() -> None:
    cat = load_catalogue()
    assert "A.8.34" in cat
    assert "A.8.35" not in cat
    assert cat.get("A.9.1") is None
    assert cat["A.8.13"].reduces == "impact"
    assert cat["A.8.5"].reduces == "likelihood"


def _write_catalogue(tmp_path: Path, drop: str | None = None, dup: str | None = None) -> Path:
    text = (Path(__file__).parents[2] / "sectool/iso27001/data/annex_a_2022.yml").read_text("utf-8")
    lines = text.splitlines()
    if drop:
        lines = [ln for ln in lines if f"id: {drop}," not in ln]
    if dup:
        line = next(ln for ln in lines if f"id: {dup}," in ln)
        lines.insert(lines.index(line), line)
    path = tmp_path / "cat.yml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.mark.parametrize(
    ("drop", "dup", "message"),
    [
        ("A.6.8", None, "theme 'people' has 7 controls, expected 8"),
        (None, "A.5.3", "duplicate control ids: A.5.3"),
    ],
)
def test_broken_catalogue_is_rejected(
    tmp_path: Path, drop: str | None, dup: str | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        load_catalogue(_write_catalogue(tmp_path, drop=drop, dup=dup))
