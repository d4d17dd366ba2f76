"""Every UI string exists in Danish and English, and every key the templates use exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import sectool.practice_audit.web as web_pkg
from sectool.practice_audit.i18n import answer_label, size_label, status_label
from sectool.practice_audit.models import AnswerValue, ClinicSize, Status
from sectool.practice_audit.web.i18n import DEFAULT_LANG, LANGS, MESSAGES, Translator, pick_lang

WEB_DIR = Path(web_pkg.__file__).parent


def test_every_key_has_both_languages_with_the_same_placeholders() -> None:
    fmt = string.Formatter()
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGS), key
        fields = [{f for _, f, _, _ in fmt.parse(texts[lang]) if f} for lang in LANGS]
        assert fields[0] == fields[1], key
        assert all(texts[lang].strip() for lang in LANGS), key


def test_keys_used_in_templates_and_code_exist() -> None:
    used: set[str] = set()
    pattern = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_]+)["']""")
    for path in [*WEB_DIR.glob("templates/*.html"), *WEB_DIR.glob("*.py")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used
    assert used - set(MESSAGES) == set()
    # dynamic keys built in templates: answer values, statuses, sizes, languages
    for prefix, values in {
        "answer.": ["yes", "partly", "no", "not_applicable", "alternative", "none"],
        "status.": ["standards_met", "approaching", "not_met"],
        "size.": ["solo", "partnership", "large"],
        "lang.": list(LANGS),
    }.items():
        for v in values:
            assert prefix + v in MESSAGES


@pytest.mark.parametrize("lang", LANGS)
def test_answers_statuses_and_sizes_read_as_on_every_other_surface(lang) -> None:
    # the admin table and the invitation message must not name a size two ways
    t = Translator(lang)
    for value in AnswerValue:
        assert t(f"answer.{value.value}") == answer_label(value, lang)
    for status in Status:
        assert t(f"status.{status.value}") == status_label(status, lang)
    for size in ClinicSize:
        assert t(f"size.{size.value}") == size_label(size, lang)
    assert Translator("da")("status.approaching") == "Nærmer sig standarderne"


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ((None, None), "da"),
        (("en", None), "en"),
        (("EN",), "en"),
        (("de", "en"), "en"),
        (("xx",), "da"),
        ((), "da"),
    ],
)
def test_pick_lang(candidates, expected) -> None:
    assert pick_lang(*candidates) == expected
    assert DEFAULT_LANG == "da"


def test_translator_formats_and_rejects_unknown_languages() -> None:
    assert Translator("en")("form.progress", answered=2, total=5) == "2 of 5 questions answered"
    assert Translator("da")("form.progress", answered=2, total=5) == "2 af 5 spørgsmål besvaret"
    with pytest.raises(ValueError, match="unsupported language"):
        Translator("de")
