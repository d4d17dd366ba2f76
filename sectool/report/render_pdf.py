"""PDF of the forum report, printed by WeasyPrint from the same HTML (print stylesheet).

WeasyPrint never fetches anything here: the HTML is self-contained and the URL fetcher
refuses every request, so a hostile string in the data cannot make the PDF step reach
the network or read local files.
"""

from __future__ import annotations

import logging
from typing import NoReturn

from sectool.errors import SectoolError
from sectool.report.i18n import Lang
from sectool.report.numbers import Report
from sectool.report.render_html import render_html

__all__ = ["render_pdf"]


def _refuse(url: str, *args: object, **kwargs: object) -> NoReturn:
    raise ValueError(f"external resource refused: {url[:80]}")


def render_pdf(report: Report, lang: Lang) -> bytes:
    """The report as PDF bytes (A4) in ``lang``."""
    try:
        import weasyprint
    except ImportError as exc:  # pragma: no cover - weasyprint is a runtime dependency
        raise SectoolError(f"PDF output needs WeasyPrint and libpango: {exc}") from None
    # WeasyPrint logs every unsupported CSS property at WARNING; they are not the user's concern.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = render_html(report, lang, for_print=True)
    document = weasyprint.HTML(string=html, url_fetcher=_refuse, base_url=None)
    pdf = document.write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
