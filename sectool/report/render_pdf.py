"""PDF of the forum report, printed from the same HTML (print stylesheet).

WeasyPrint is the printer (a Python dependency; it needs the system's Pango library). Where
Pango is missing, headless Chromium's print-to-PDF is used if a ``chromium`` is installed;
otherwise the error says what to install.

Nothing is fetched: the HTML is self-contained, WeasyPrint's URL fetcher refuses every
request, and Chromium only opens the temporary file.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NoReturn

from sectool.errors import SectoolError
from sectool.report.i18n import Lang
from sectool.report.numbers import Report
from sectool.report.render_html import render_html

__all__ = ["INSTALL_HINT", "PdfEngineMissing", "find_chromium", "render_pdf"]

#: What to install for PDF output (shown when no engine is available).
INSTALL_HINT = (
    "install the Pango library for WeasyPrint (Debian/Ubuntu: apt install libpango-1.0-0 "
    "libpangoft2-1.0-0) or a headless Chromium (apt install chromium; or set SECTOOL_CHROMIUM)"
)


class PdfEngineMissing(SectoolError):
    """No PDF engine is available: neither WeasyPrint with Pango nor a Chromium."""


_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def _refuse(url: str, *args: object, **kwargs: object) -> NoReturn:
    raise ValueError(f"external resource refused: {url[:80]}")


def find_chromium() -> str | None:
    """A headless-capable Chromium: ``$SECTOOL_CHROMIUM`` or the first one on PATH."""
    configured = os.environ.get("SECTOOL_CHROMIUM")
    if configured:
        return configured
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _weasyprint(html: str) -> bytes:
    import weasyprint  # raises OSError when the Pango library is missing

    # WeasyPrint logs every unsupported CSS property at WARNING; they are not the user's concern.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = weasyprint.HTML(string=html, url_fetcher=_refuse, base_url=None).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def _chromium(html: str, browser: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="sectool-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",  # root in containers; the page is our own self-contained file
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=120, check=True)  # noqa: S603
        except (OSError, subprocess.SubprocessError) as exc:
            raise SectoolError(f"PDF output: {browser} failed: {exc}") from None
        if not out.is_file():
            raise SectoolError(f"PDF output: {browser} wrote no PDF")
        return out.read_bytes()


def render_pdf(report: Report, lang: Lang, *, engine: str = "auto") -> bytes:
    """The report as PDF bytes (A4) in ``lang``.

    Args:
        engine: ``auto`` (WeasyPrint, else Chromium), ``weasyprint`` or ``chromium``.

    Raises:
        PdfEngineMissing: no PDF printer is available (names what to install).
        SectoolError: Chromium failed.
    """
    html = render_html(report, lang, for_print=True)
    problem = ""
    if engine in ("auto", "weasyprint"):
        try:
            return _weasyprint(html)
        except (ImportError, OSError) as exc:
            if engine == "weasyprint":
                raise PdfEngineMissing(
                    f"PDF output needs WeasyPrint and the Pango library ({exc}); {INSTALL_HINT}"
                ) from None
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    browser = find_chromium()
    if browser is None:
        raise PdfEngineMissing(
            f"no PDF engine ({problem or 'WeasyPrint unavailable'}; no chromium found): {INSTALL_HINT}"
        )
    return _chromium(html, browser)
