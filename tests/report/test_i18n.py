from __future__ import annotations

import re
from pathlib import Path

import pytest

from sectool.report.i18n import LANGS, Translator, load_texts, placeholders

PACKAGE = Path(__file__).resolve().parents[2] / "sectool" / "report"


def test_every_key_exists_in_both_languages() -> None:
    da, en = load_texts("da"), load_texts("en")
    assert set(da) == set(en), {"only da": set(da) - set(en), "only en": set(en) - set(da)}


@pytest.mark.parametrize("key", sorted(load_texts("en")))
def test_placeholders_match(key: str) -> None:
    da, en = load_texts("da")[key], load_texts("en")[key]
    assert placeholders(da) == placeholders(en), key
    assert da.strip()
    assert en.strip()


def test_every_key_used_by_code_exists() -> None:
    """Every literal key the templates and renderers ask for is defined (both languages by the test above)."""
    keys = set(load_texts("en"))
    used: set[str] = set()
    for path in [*PACKAGE.glob("*.py"), *PACKAGE.glob("templates/*.j2")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+)["']\s*[,)]""", text))
    # Keys built at run time (prefix + value).
    dynamic = {f"{p}{v}" for p in ("sev_",) for v in ("low", "medium", "high", "critical")}
    dynamic |= {f"status_{v}" for v in ("met", "approaching", "not_met")}
    dynamic |= {f"section_{v}" for v in ("risk", "practice", "traffic", "previous")}
    dynamic |= {"target_at_least", "target_at_most", "bucket_day", "bucket_week"}
    dynamic |= {f"trend_{v}" for v in ("improved", "worse", "unchanged")}
    dynamic |= {f"treatment_{v}" for v in ("mitigate", "accept", "avoid", "transfer")}
    assert used, "the scan found the calls"
    assert not (used | dynamic) - keys


@pytest.mark.parametrize(
    ("lang", "count", "share", "number", "change"),
    [
        ("en", "50,000", "83.3\u00a0%", "1,234.6", "+2.5 pp"),
        ("da", "50.000", "83,3\u00a0%", "1.234,6", "+2,5 procentpoint"),
    ],
)
def test_number_formats(lang: str, count: str, share: str, number: str, change: str) -> None:
    t = Translator(lang)  # type: ignore[arg-type]
    assert t.count(50000) == count
    assert t.share(0.8333) == share
    assert t.number(1234.56) == number
    assert t.change(0.025, "share") == change
    assert t.change(-3, "count") == "−3"
    assert t.change(None, "count") == "–"
    assert t.value(None, "share") == t("no_data")


def test_languages() -> None:
    assert LANGS == ("da", "en")


def test_every_detector_and_treatment_has_a_label() -> None:
    from sectool.iso27001.model import Risk
    from sectool.traffic.detect.detectors import DETECTORS

    texts = load_texts("da")
    assert {f"det_{name}" for name in DETECTORS} <= set(texts)
    treatments = Risk.model_fields["treatment"].annotation.__args__  # type: ignore[union-attr]
    assert {f"treatment_{v}" for v in treatments} <= set(texts)
    t = Translator("da")
    assert t.label("det", "port_scan") == "Portscanning"
    assert t.label("det", "custom_detector") == "custom_detector"
    # The detection area's names win; the report's own texts are the fallback.
    from sectool.traffic.detect.detectors import label

    for name in DETECTORS:
        assert t.detector(name) == label(name, "da")[0]
        assert Translator("en").detector(name) == label(name, "en")[0]
    assert t.detector("custom_detector") == "custom_detector"
    assert t.label("treatment", None) == "–"
