"""Text that is safe to show in a terminal, a report or a web page: no control characters.

Every text a user writes (a risk title, a clinic name, a justification) may end up printed
to a terminal by rich. A C0/C1 control character there is not text but a command: ``ESC ]0;``
sets the window title, ``ESC [31m`` changes colours, some terminals do worse. Bidirectional
override and isolate characters (U+202A-U+202E, U+2066-U+2069) make text display in a different
order than it is stored ("Trojan Source", CVE-2021-42574), so a reviewer sees one thing and a
report says another. Both are rejected at the edge, when input is validated:

* :data:`SafeText` is a pydantic-annotated ``str`` for model fields. It allows tab and
  newline, turns Windows line ends (CR LF) into LF, and rejects everything in
  :func:`unsafe_char` with a message naming the code point and its position.
* :func:`strip_controls` is the second layer for renderers: it replaces the same characters
  with a visible escape (``\\x1b``, ``\\u202e``) so text from an older store or a code path
  that bypassed validation still cannot drive the terminal.

Plain marks that only set direction for the next character (LRM U+200E, RLM U+200F, ALM
U+061C) are allowed: Arabic and Hebrew text needs them and they cannot reorder other text.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["SafeText", "check_safe_text", "strip_controls", "unsafe_char"]

# C0 controls except tab (09) and line feed (0A); DEL; C1 controls; bidi embeddings,
# overrides (202A-202E) and isolates (2066-2069).
_UNSAFE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def unsafe_char(text: str) -> tuple[int, str] | None:
    """Position (0-based) and character of the first unsafe character, or ``None``."""
    m = _UNSAFE_RE.search(text)
    return (m.start(), m.group()) if m else None


def _describe(ch: str) -> str:
    code = ord(ch)
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return f"a bidirectional control character U+{code:04X}"
    return f"a control character U+{code:04X}"


def check_safe_text(text: str) -> str:
    """Return ``text`` with CR LF as LF; raise ``ValueError`` on an unsafe character.

    The message names the code point and its 1-based position, so a user can find it.
    """
    text = text.replace("\r\n", "\n")
    found = unsafe_char(text)
    if found is not None:
        pos, ch = found
        raise ValueError(
            f"contains {_describe(ch)} at position {pos + 1}; "
            "only printable text, tabs and line breaks are allowed"
        )
    return text


#: A ``str`` field that rejects control and bidi-override characters (see module docstring).
SafeText = Annotated[str, AfterValidator(check_safe_text)]


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def strip_controls(text: str) -> str:
    """``text`` with every unsafe character replaced by a visible escape such as ``\\x1b``."""
    return _UNSAFE_RE.sub(_escape, text)
