"""Every detector, and every variant its scorer can emit, has a summary in Danish and English.

The variants are read from the scorers' source (the string constants that flow into a
``variant``), so a new detector or variant without texts fails here, not in a forum report
that shows an empty Danish summary.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from sectool.report.finding_text import finding_summary, template_key, variant_detectors
from sectool.report.i18n import LANGS, load_texts
from sectool.traffic.detect.config import DetectConfig
from sectool.traffic.detect.detectors import DETECTORS
from sectool.traffic.detect.scoring import SCORERS

# The scorers register themselves on import (scoring.score imports them when it first runs).
for _family in ("auth", "c2", "dns", "events", "net", "scan", "sensor"):
    importlib.import_module(f"sectool.traffic.detect.scorers.{_family}")


def _strings(node: ast.expr | None) -> set[str]:
    """The string constants an expression can evaluate to (constants and ``a if c else b``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def _positions(target: ast.expr) -> Iterator[int | None]:
    """Where the name ``variant`` sits in an assignment or loop target (None: the whole target)."""
    if isinstance(target, ast.Name) and target.id == "variant":
        yield None
    elif isinstance(target, ast.Tuple):
        yield from (i for i, t in enumerate(target.elts) if isinstance(t, ast.Name) and t.id == "variant")


def _at(value: ast.expr, pos: int | None) -> ast.expr | None:
    if pos is None:
        return value
    if isinstance(value, ast.Tuple) and pos < len(value.elts):
        return value.elts[pos]
    return None


def _called(fn: ast.FunctionDef, names: set[str]) -> set[str]:
    return {
        n.func.id
        for n in ast.walk(fn)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
    }


@cache
def scorer_variants(scorer_name: str) -> frozenset[str]:
    """The variants a scorer can write, from its source and the module functions it calls."""
    fn = SCORERS[scorer_name]
    module = sys.modules[fn.__module__]
    tree = ast.parse(textwrap.dedent(inspect.getsource(module)))
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    todo, seen = [fn.__name__], set[str]()
    while todo:  # the scorer and, transitively, the module's functions it calls
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += _called(funcs[name], set(funcs)) - seen
    found: set[str] = set()
    for node in (n for name in seen for n in ast.walk(funcs[name])):
        if isinstance(node, ast.Dict):  # {"variant": "spraying"} / {"variant": "a" if x else "b"}
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "variant":
                    found |= _strings(value)
        elif isinstance(node, ast.Assign):  # variant, s = "compromise", 0.95
            for target in node.targets:
                found |= {s for pos in _positions(target) for s in _strings(_at(node.value, pos))}
        elif isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple | ast.List):
            for pos in _positions(node.target):  # for variant, limit in (("icmp", 5), ...)
                found |= {s for item in node.iter.elts for s in _strings(_at(item, pos))}
        elif isinstance(node, ast.Call):
            found |= {s for kw in node.keywords if kw.arg == "variant" for s in _strings(kw.value)}
            cls = getattr(module, node.func.id, None) if isinstance(node.func, ast.Name) else None
            if isinstance(cls, type) and dataclasses.is_dataclass(cls):  # Hit("probe", ...)
                names = [f.name for f in dataclasses.fields(cls)]
                if "variant" in names and names.index("variant") < len(node.args):
                    found |= _strings(node.args[names.index("variant")])
    return frozenset(found)


def _scorer_of(detector: str) -> str:
    return DETECTORS[detector](DetectConfig()).scorer


def _cases() -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for detector in DETECTORS:
        variants = scorer_variants(_scorer_of(detector))
        out += [(detector, v) for v in sorted(variants)] or [(detector, None)]
    return out


@pytest.mark.parametrize(("detector", "variant"), _cases())
@pytest.mark.parametrize("lang", LANGS)
def test_every_detector_and_variant_has_a_template(detector: str, variant: str | None, lang: str) -> None:
    evidence = {} if variant is None else {"variant": variant}
    key = template_key(detector, evidence)
    assert key is not None, f"{detector}: finding_text does not know the detector"
    assert key in load_texts(lang), f"{lang}.yml lacks {key}"


@pytest.mark.parametrize("detector", sorted(DETECTORS))
def test_texts_depend_on_the_variant_exactly_when_the_scorer_writes_one(detector: str) -> None:
    assert (detector in variant_detectors()) == bool(scorer_variants(_scorer_of(detector)))


@pytest.mark.parametrize(
    ("detector", "expected"),
    [
        ("port_scan", {"vertical", "horizontal", "icmp", "arp", "dhcp", "probe"}),
        ("brute_force", {"compromise", "spraying", "brute_force", "account"}),
        ("dns_tunnelling", {"count", "labels"}),
    ],
)
def test_the_source_reading_finds_the_known_variants(detector: str, expected: set[str]) -> None:
    """The reader above finds what the scorers write today (a construction it cannot read would
    otherwise pass the tests silently): loops of tuples, dataclass arguments, ``x if c else y``."""
    assert scorer_variants(_scorer_of(detector)) >= expected


@pytest.mark.parametrize("detector", sorted(DETECTORS))
def test_a_scorer_that_mentions_variants_has_readable_ones(detector: str) -> None:
    if '"variant"' in inspect.getsource(SCORERS[_scorer_of(detector)]):
        assert scorer_variants(_scorer_of(detector)), f"{detector}: variants not readable from its source"


# --------------------------------------------------------------------------- evidence as written
#: One evidence per (detector, variant), with the keys and kinds of values its scorer writes (the
#: scalars only: the report drops lists and flags when it collects findings).
EVIDENCE: dict[tuple[str, str | None], dict[str, Any]] = {
    ("volume_spike", None): {"bytes": 8.4e9, "baseline_median": 1.2e8, "robust_z": 40.1, "events": 900},
    ("port_scan", "vertical"): {
        "variant": "vertical",
        "distinct": 903,
        "connections": 950,
        "failed_share": 0.97,
    },
    ("port_scan", "horizontal"): {
        "variant": "horizontal",
        "distinct": 1270,
        "connections": 1300,
        "failed_share": 0.9,
    },
    ("port_scan", "icmp"): {"variant": "icmp", "distinct": 254, "connections": 254, "failed_share": 0.5},
    ("port_scan", "arp"): {"variant": "arp", "distinct": 250, "connections": 260, "failed_share": 1.0},
    ("port_scan", "dhcp"): {"variant": "dhcp", "distinct": 10, "connections": 10, "failed_share": 1.0},
    ("port_scan", "probe"): {"variant": "probe", "distinct": 4, "connections": 30, "failed_share": 0.9},
    ("beaconing", None): {"connections": 83, "gap_median_s": 1024.2, "score": 0.987},
    ("dns_tunnelling", "count"): {
        "variant": "count",
        "queries": 302,
        "unique_subdomains": 302,
        "encoded_share": 1.0,
    },
    ("dns_tunnelling", "labels"): {
        "variant": "labels",
        "queries": 98,
        "unique_subdomains": 98,
        "encoded_share": 1.0,
    },
    ("exfiltration", None): {"bytes_sent": 5.1e8, "bytes_received": 1e6, "upload_ratio": 0.998},
    ("brute_force", "compromise"): {
        "variant": "compromise",
        "failures": 40,
        "heuristic_failures": 0,
        "successes": 1,
    },
    ("brute_force", "spraying"): {
        "variant": "spraying",
        "failures": 60,
        "accounts": 60,
        "heuristic_failures": 0,
    },
    ("brute_force", "brute_force"): {
        "variant": "brute_force",
        "failures": 255,
        "accounts": 2,
        "heuristic_failures": 0,
    },
    ("brute_force", "account"): {"variant": "account", "failures": 80, "sources": 12},
    ("new_destination", None): {"connections": 6, "bytes_sent": 1e5},
    ("silent_source", None): {"silent_windows": 7, "baseline_median": 400.0},
    ("off_hours_admin", None): {"sessions": 2, "longest_s": 3600.0, "bytes": 1e6},
    ("c2", None): {
        "connections": 739,
        "connections_per_hour": 4032.04,
        "gap_median_s": 0.878,
        "total_duration_s": 118.5,
        "strength_beacon": 0.16,
        "strength_rate": 0.99,
    },
    ("dga", None): {"nxdomain_answers": 67, "nxdomain_domains": 67, "uniformity": 0.76},
    ("dns_txt_c2", None): {"lookups": 177, "distinct_answers": 177, "payload_share": 0.72},
    ("sensor_alerts", None): {
        "alerts": 11,
        "signature": "ET SCAN Potential SSH Scan",
        "category": "Attempted",
    },
}


def test_the_evidence_table_covers_every_detector_and_variant() -> None:
    assert set(EVIDENCE) == set(_cases())


@pytest.mark.parametrize(("detector", "variant"), sorted(EVIDENCE, key=str))
def test_every_detector_and_variant_gets_a_summary_in_both_languages(
    detector: str, variant: str | None
) -> None:
    title = "the detector's English title"
    text = finding_summary(detector, EVIDENCE[(detector, variant)], title=title)
    assert text.da
    assert text.en
    assert text.en != title  # built from the template, not the fallback
    assert "{" not in text.da + text.en


def test_every_c2_signal_has_a_text() -> None:
    """Each signal :func:`c2_signals` can report has its phrase (``c2_signal_<name>``)."""
    from sectool.traffic.detect.scorers.c2 import c2_signals

    params = DetectConfig().detectors.c2.model_dump()
    first = datetime(2026, 12, 1, tzinfo=UTC)
    signals = c2_signals(
        params,
        connections=10**6,
        first=first,
        last=first + timedelta(days=30),
        total_ns=1e18,
        longest_ns=1e18,
        beacon=1.0,
    )
    assert signals
    for lang in LANGS:
        texts = load_texts(lang)
        assert {f"c2_signal_{s}" for s in signals} <= set(texts), lang
