"""Texts (Danish and English) and number/date formatting of the forum report.

The texts live in ``data/i18n/<lang>.yml``; both files have the same keys and the same
``{placeholders}`` (a test checks it). Every number in every format is printed by the
functions here, so HTML, Markdown and PDF show exactly the same strings.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Literal

from sectool.errors import InputError
from sectool.report.model import DataSource
from sectool.yamlio import parse_yaml

__all__ = ["LANGS", "Lang", "Translator", "load_texts", "placeholders"]

Lang = Literal["da", "en"]
LANGS: tuple[Lang, ...] = ("da", "en")


@cache
def load_texts(lang: Lang) -> dict[str, str]:
    """All texts of one language (package data, validated: a flat mapping of strings)."""
    if lang not in LANGS:
        raise InputError("unknown language", field="lang", value=lang, expected="da or en")
    name = f"{lang}.yml"
    text = resources.files("sectool.report").joinpath("data", "i18n", name).read_text(encoding="utf-8")
    doc = parse_yaml(text, file=f"<package>/i18n/{name}")
    if not isinstance(doc.data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.data.items()
    ):
        raise InputError("i18n file must map text keys to strings", file=doc.file)
    return dict(doc.data)


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a text expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class Translator:
    """Texts and formats of one language."""

    lang: Lang

    def __call__(self, key: str, **values: object) -> str:
        text = load_texts(self.lang)[key]
        return text.format(**values) if values else text

    # Numbers: Danish uses a decimal comma and a dot as thousands separator.
    def _localise(self, text: str) -> str:
        if self.lang == "da":
            return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return text

    def count(self, value: float | int | None) -> str:
        if value is None:
            return self("no_data")
        return self._localise(f"{round(value):,}")

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return self("no_data")
        return self._localise(f"{value:,.{digits}f}")

    def share(self, value: float | None) -> str:
        """A fraction as a percentage with one decimal (0.8333 -> ``83.3 %``)."""
        if value is None:
            return self("no_data")
        return self._localise(f"{value * 100:.1f}") + "\u00a0%"

    def value(self, value: float | None, unit: str) -> str:
        """An indicator value in its unit (share, count or number)."""
        if unit == "share":
            return self.share(value)
        if unit == "count":
            return self.count(value)
        return self.number(value, 2)

    def change(self, value: float | None, unit: str) -> str:
        """A signed change: shares in percentage points."""
        if value is None:
            return "–"
        sign = "+" if value > 0 else ("−" if value < 0 else "±")
        magnitude = abs(value)
        if unit == "share":
            pp = " procentpoint" if self.lang == "da" else " pp"
            return sign + self._localise(f"{magnitude * 100:.1f}") + pp
        if unit == "count":
            return sign + self.count(magnitude)
        return sign + self.number(magnitude, 2)

    def date(self, value: date | datetime | None) -> str:
        if value is None:
            return self("no_data")
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(UTC)
            return value.strftime("%Y-%m-%d %H:%M") + " UTC"
        return value.isoformat()

    def label(self, prefix: str, value: str | None) -> str:
        """The text of a coded value (``det_port_scan``, ``treatment_accept``), or the code itself."""
        if value is None:
            return "–"
        return load_texts(self.lang).get(f"{prefix}_{value}", value)

    def detector(self, name: str) -> str:
        """A detector's display name: the traffic area's label when it knows the detector,
        else the report's own text (``det_<name>``), else the name itself."""
        return _detector_label(name, self.lang) or self.label("det", name)

    def technique(self, technique_id: str, name: str | None = None) -> str:
        """The text after an ATT&CK id in this language (see :func:`sectool.report.attack.technique_label`);
        ``name`` (the report data's English name) when the id is not known here, else empty."""
        from sectool.report.attack import technique_label

        return technique_label(technique_id, self.lang) or name or ""

    def source(self, source: DataSource) -> str:
        """The appendix's "source" cell: the kind of source (translated) and its name (data)."""
        kind = self(f"src_{source.key}") if source.key else ""
        if kind and source.description:
            return f"{kind}: {source.description}"
        return kind or source.description or "–"

    def source_location(self, source: DataSource) -> str:
        location = self(f"loc_{source.location_key}") if source.location_key else source.location
        if source.files is not None:
            location = f"{location} ({self('files_n', n=self.count(source.files))})".strip()
        return location or "–"

    def source_range(self, source: DataSource) -> str:
        """``from – until``; a point-in-time source (no start) reads "as of <date>"."""
        if source.time_from is not None and source.time_until is not None:
            return f"{self.date(source.time_from)} – {self.date(source.time_until)}"
        if source.time_until is not None:
            return self("as_of_date", date=self.date(source.time_until))
        if source.time_from is not None:
            return self("from_date", date=self.date(source.time_from))
        return "–"

    def severity(self, value: str) -> str:
        return self(f"sev_{value}")

    def status(self, value: str) -> str:
        return self(f"status_{value}")


@cache
def _detector_label(name: str, lang: str) -> str | None:
    try:
        from sectool.traffic.detect.detectors import label
    except ImportError:  # the traffic area is optional for the report
        return None
    try:
        return label(name, lang)[0]
    except KeyError:
        return None
