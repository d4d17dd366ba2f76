"""The one-line summary of a traffic finding in both report languages.

The detectors write an English title ("311 failed logons from 10.0.0.5"). The report builds
its own sentence from the finding's evidence numbers with a template per detector (and
variant) from the i18n files (``fs_<detector>[_<variant>]``), so the Danish report reads
Danish. A detector the report does not know keeps its English title in the English report
and shows no summary in the Danish one (never English in the Danish text); so does a finding
whose evidence lacks a number its template needs.

The report reads the scalar entries of the evidence only (lists and flags are dropped when
findings are collected), so the texts are built from numbers and strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sectool.report.i18n import LANGS, Translator, load_texts
from sectool.report.model import Text

__all__ = ["finding_summary", "template_key", "variant_detectors"]

Evidence = Mapping[str, object]
_Values = Callable[[Translator, Evidence], dict[str, str]]

#: A sensor's signature is data (often long); the summary shows its start.
_SIGNATURE_CHARS = 120


def _num(ev: Evidence, key: str) -> float:
    value = ev[key]
    # A text (or a flag) where a number belongs: no summary.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise KeyError(key)
    return float(value)


def _text(ev: Evidence, key: str) -> str:
    value = ev[key]
    if not isinstance(value, str) or not value.strip():
        raise KeyError(key)
    return value.strip()


def _mb(t: Translator, value: float) -> str:
    return t.number(value / 1e6, 0 if value >= 10e6 else 1)


def _seconds(t: Translator, value: float) -> str:
    # Sub-second gaps (a RAT reconnecting) would round to "0"; keep one decimal below 10 s.
    return t.number(value, 1) if value < 10 else t.count(value)


def _join(t: Translator, items: list[str]) -> str:
    """``a, b and c`` in the translator's language."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t('word_and')} {items[-1]}"


def _heuristic(t: Translator, guessed: bool) -> str:
    """The note after a text whose logons were guessed from flow shape (else nothing)."""
    return t("note_heuristic") if guessed else ""


def _volume(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"mb": _mb(t, _num(ev, "bytes")), "baseline": _mb(t, _num(ev, "baseline_median"))}


def _scan(t: Translator, ev: Evidence) -> dict[str, str]:
    values = {"n": t.count(_num(ev, "distinct"))}
    if ev.get("variant") == "probe":  # a burst: the failed attempts are the point
        values["failed"] = t.count(_num(ev, "failed_share") * _num(ev, "connections"))
    return values


def _beaconing(t: Translator, ev: Evidence) -> dict[str, str]:
    return {
        "n": t.count(_num(ev, "connections")),
        "gap": t.count(_num(ev, "gap_median_s")),
        "score": t.number(_num(ev, "score"), 2),
    }


def _dns(t: Translator, ev: Evidence) -> dict[str, str]:
    values = {"n": t.count(_num(ev, "unique_subdomains")), "queries": t.count(_num(ev, "queries"))}
    if ev.get("variant") == "labels":
        values["share"] = t.share(_num(ev, "encoded_share"))
    return values


def _exfil(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"mb": _mb(t, _num(ev, "bytes_sent")), "ratio": t.share(_num(ev, "upload_ratio"))}


def _txt(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"n": t.count(_num(ev, "lookups")), "share": t.share(_num(ev, "payload_share"))}


def _dga(t: Translator, ev: Evidence) -> dict[str, str]:
    return {"n": t.count(_num(ev, "nxdomain_domains"))}


def _c2(t: Translator, ev: Evidence) -> dict[str, str]:
    """The connections and the signals that hold (``strength_<signal>`` keys), each with its number."""
    signals = sorted(k.removeprefix("strength_") for k in ev if k.startswith("strength_"))
    if not signals:
        raise KeyError("strength_")
    numbers = {
        "rate": lambda: t.count(_num(ev, "connections_per_hour")),
        "long": lambda: t.number(_num(ev, "total_duration_s") / 3600, 1),
        "beacon": lambda: _seconds(t, _num(ev, "gap_median_s")),
    }
    # An unknown signal has no text (KeyError): the finding keeps no summary rather than half of one.
    parts = [t(f"c2_signal_{s}", x=numbers[s]()) for s in signals]
    return {"n": t.count(_num(ev, "connections")), "signals": _join(t, parts)}


def _sensor(t: Translator, ev: Evidence) -> dict[str, str]:
    n = _num(ev, "alerts")
    signature = _text(ev, "signature")
    if len(signature) > _SIGNATURE_CHARS:
        signature = signature[: _SIGNATURE_CHARS - 1].rstrip() + "…"
    times = t("times_one") if n == 1 else t("times_many", n=t.count(n))
    return {"signature": signature, "times": times}


def _logons(t: Translator, ev: Evidence) -> dict[str, str]:
    failures = _num(ev, "failures")
    values = {"n": t.count(failures)}
    for key in ("accounts", "sources"):
        if key in ev:
            values[key] = t.count(_num(ev, key))
    if ev.get("variant") == "compromise":
        guessed = ev.get("success_is_heuristic") is True
    else:
        guessed = failures > 0 and ev.get("heuristic_failures") == ev.get("failures")
    values["note"] = _heuristic(t, guessed)
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
    "port_scan": (True, _scan),
    "beaconing": (False, _beaconing),
    "dns_tunnelling": (True, _dns),
    "exfiltration": (False, _exfil),
    "brute_force": (True, _logons),
    "new_destination": (False, _connections),
    "silent_source": (False, _silent),
    "off_hours_admin": (False, _sessions),
    "c2": (False, _c2),
    "dga": (False, _dga),
    "dns_txt_c2": (False, _txt),
    "sensor_alerts": (False, _sensor),
}


def variant_detectors() -> frozenset[str]:
    """The detectors whose summary depends on the finding's variant."""
    return frozenset(name for name, (by_variant, _) in _DETECTORS.items() if by_variant)


def template_key(detector: str, evidence: Evidence) -> str | None:
    """The i18n key of a finding's summary (``fs_<detector>[_<variant>]``), ``None`` for a detector
    the report does not know. A finding without a variant (written before its detector had
    variants) uses the detector's plain key."""
    known = _DETECTORS.get(detector)
    if known is None:
        return None
    key = f"fs_{detector}"
    variant = evidence.get("variant")
    if known[0] and variant is not None:
        key += f"_{variant}"
    return key


def _one(lang: str, detector: str, evidence: Evidence, title: str) -> str:
    t = Translator(lang)  # type: ignore[arg-type]
    fallback = title if lang == "en" else ""
    key = template_key(detector, evidence)
    if key is None or key not in load_texts(t.lang):
        return fallback
    _, values_of = _DETECTORS[detector]
    try:
        return t(key, **values_of(t, evidence))
    except (KeyError, ValueError, TypeError, OverflowError):
        return fallback  # evidence without the numbers the template needs


def finding_summary(detector: str, evidence: Evidence, title: str = "") -> Text:
    """The summary of a finding in Danish and English (empty where nothing can be said)."""
    da, en = (_one(lang, detector, evidence, title) for lang in LANGS)
    return Text(da=da, en=en)
