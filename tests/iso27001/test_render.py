"""The terminal risk table: words are never split, and control characters never reach the terminal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from sectool.iso27001 import load_register, score_register
from sectool.iso27001.render import score_table
from sectool.iso27001.scoring import ScoredRegister


def _render(scored: ScoredRegister, width: int, top: int | None = None) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(score_table(scored, top, "en", width=width))
    return buffer.getvalue()


@pytest.mark.parametrize("width", [80, 100, 160])
def test_score_table_fits_and_never_splits_a_word(example: Path, as_of: dt.date, width: int) -> None:
    scored = score_register(load_register(example), as_of=as_of)
    text = _render(scored, width)
    assert max(len(line) for line in text.splitlines()) <= width
    words = set(re.findall(r"[\w-]+", text))
    # Every word of the short columns and of the owners appears whole somewhere in the table.
    expected = {"Treatment", "Inherent", "Current", "Residual", "appetite"}
    for s in scored.risks:
        expected |= {s.risk.treatment, *(s.risk.owner or "").split()}
    missing = {w for w in expected if w and re.sub(r"[^\w-]", "", w) not in words}
    assert not missing, text


def test_control_characters_are_escaped_by_the_renderer(example: Path, as_of: dt.date) -> None:
    # The model rejects these; the renderer is the second layer for text that bypassed it.
    scored = score_register(load_register(example), as_of=as_of)
    first = scored.risks[0]
    hostile = first.risk.model_copy(update={"title": "\x1b]0;pwned\x07\x1b[31mRED\u202e", "owner": "a\x9bb"})
    scored.risks[0] = dataclasses.replace(first, risk=hostile)
    text = _render(scored, 160, top=1)
    for ch in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert ch not in text
    assert "\\x1b]0;pwned\\x07\\x1b[31mRED\\u202e" in text.replace("\n", "")
