from __future__ import annotations

import pytest

from sectool.errors import SectoolError
from sectool.report import render_pdf as pdf_module
from sectool.report.numbers import Report


def _no_weasyprint(html: str) -> bytes:
    raise OSError("cannot load library 'libpango-1.0-0'")


@pytest.mark.browser
def test_chromium_fallback_when_pango_is_missing(
    hostile_report: Report, monkeypatch: pytest.MonkeyPatch, tu, tmp_path
) -> None:
    monkeypatch.setattr(pdf_module, "_weasyprint", _no_weasyprint)
    pdf = pdf_module.render_pdf(hostile_report, "en")
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    text = tu.pdf_text(path)
    row = tu.expected_rows(hostile_report.to_json_dict(), "en")["indicators"][0]
    assert tu.pdf_has_row(text, row)


def test_no_printer_names_what_to_install(hostile_report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "_weasyprint", _no_weasyprint)
    monkeypatch.setattr(pdf_module, "find_chromium", lambda: None)
    with pytest.raises(SectoolError, match=r"libpango-1\.0-0 libpangoft2-1\.0-0"):
        pdf_module.render_pdf(hostile_report, "en")
    with pytest.raises(SectoolError, match="needs WeasyPrint and the Pango library"):
        pdf_module.render_pdf(hostile_report, "en", engine="weasyprint")
