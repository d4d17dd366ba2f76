"""The one-line summary of a traffic finding in both report languages.

The detectors write an English title ("311 failed logons from 10.0.0.5"). The report builds
its own sentence from the finding's evidence numbers with a template per detector (and
variant) from the i18n files (``fs_<detector>[_<variant>]``), so the Danish report reads
Danish. A detector the report does not know keeps its English title in the English report
and shows no summary in the Danish one (never English in the Danish text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sectool.report.i18n import LANGS, Translator, load_texts
from sectool.report.model import Text

__all__ = ["finding_summary"]

Evidence = Mapping[str, float | int | str]
_Values = Callable[[Translator, Evidence], dict[str, str]]


def _num(ev: Evidence, key: str) -> float:
    value = ev[key]
    if isinstance(value, str):
        raise KeyError(key)  # a text where a number belongs: no summary
    return float(value)


def _mb(t: Translator, value: float) -> str:
    return t.number(value / 1e6, 0 if value >= 10e6 else 1)


def _volume(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"mb": _mb(t, _num(ev, "bytes")), "baseline": _mb(t, _num(ev, "baseline_median"))}


def _distinct(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"n": t.count(_num(ev, "distinct"))}


def _beaconing(t: Translator, ev: Evidence) -> dict[str, str]:
    return {
        "n": t.count(_num(ev, "connections")),
        "gap": t.count(_num(ev, "gap_median_s")),
        "score": t.number(_num(ev, "score"), 2),
    }


def _dns(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"n": t.count(_num(ev, "unique_subdomains")), "queries": t.count(_num(ev, "queries"))}


def _exfil(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"mb": _mb(t, _num(ev, "bytes_sent")), "ratio": t.share(_num(ev, "upload_ratio"))}


def _logons(t: Translator, ev: Evidence) -> dict[str, str]:
    values = {"n": t.count(_num(ev, "failures"))}
    for key in ("accounts", "sources"):
        if key in ev:
            values[key] = t.count(_num(ev, key))
    return values


def _connections(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"n": t.count(_num(ev, "connections"))}


def _silent(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"n": t.count(_num(ev, "silent_windows"))}


def _sessions(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"n": t.count(_num(ev, "sessions"))}


#: detector -> (does the text depend on evidence["variant"], values for the template)
_DETECTORS: dict[str, tuple[bool, _Values]] = {
    "volume_spike": (False, _volume),
    "port_scan": (True, _distinct),
    "beaconing": (False, _beaconing),
    "dns_tunnelling": (False, _dns),
    "exfiltration": (False, _exfil),
    "brute_force": (True, _logons),
    "new_destination": (False, _connections),
    "silent_source": (False, _silent),
    "off_hours_admin": (False, _sessions),
}


def _one(lang: str, detector: str, evidence: Evidence, title: str) -> str:
    t = Translator(lang)  # type: ignore[arg-type]
    fallback = title if lang == "en" else ""
    known = _DETECTORS.get(detector)
    if known is None:
        return fallback
    by_variant, values_of = known
    key = f"fs_{detector}"
    if by_variant:
        key += f"_{evidence.get('variant', '')}"
    if key not in load_texts(t.lang):
        return fallback
    try:
        return t(key, **values_of(t, evidence))
    except (KeyError, ValueError, TypeError, OverflowError):
        return fallback  # evidence without the numbers the template needs


def finding_summary(detector: str, evidence: Evidence, title: str = "") -> Text:
    """The summary of a finding in Danish and English (empty where nothing can be said)."""
    da, en = (_one(lang, detector, evidence, title) for lang in LANGS)
    return Text(da=da, en=en)
