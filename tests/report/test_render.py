"""Rendered formats: self-contained HTML, numbers agree with JSON, hostile text stays text, empty input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from markdown_it import MarkdownIt

LANGS = ("da", "en")


def _json(directory: Path) -> dict:
    return json.loads((directory / "report.json").read_text(encoding="utf-8"))


def test_writes_every_format(hostile_dir: Path) -> None:
    names = sorted(p.name for p in hostile_dir.iterdir())
    assert names == sorted(
        ["report.json", *(f"report.{lang}.{ext}" for lang in LANGS for ext in ("html", "md", "pdf"))]
    )
    assert (hostile_dir / "report.en.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("lang", LANGS)
def test_html_is_self_contained(hostile_dir: Path, lang: str) -> None:
    doc = (hostile_dir / f"report.{lang}.html").read_text(encoding="utf-8")
    # No external request: no src/href/url() pointing anywhere but in-page anchors.
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", doc)
    assert refs, "the table of contents links are expected"
    assert all(r.startswith("#") for r in refs), refs
    assert "url(" not in doc
    assert "@import" not in doc
    assert "<script" not in doc.lower()
    assert "<link" not in doc.lower()
    # Inline CSS with a print stylesheet and inline SVG charts.
    assert "<style>" in doc
    assert "@media print" in doc
    assert "@page" in doc
    assert doc.count("<svg") >= 4
    assert f'<html lang="{lang}">' in doc


@pytest.mark.parametrize("lang", LANGS)
def test_html_has_a_content_security_policy(hostile_dir: Path, lang: str) -> None:
    """Defence in depth: even injected markup could load or run nothing."""
    doc = (hostile_dir / f"report.{lang}.html").read_text(encoding="utf-8")
    head = doc[: doc.index("</head>")]
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', head)
    assert csp is not None
    directives = {d.split()[0]: d.split()[1:] for d in csp.group(1).split(";") if d.strip()}
    assert directives == {"default-src": ["'none'"], "style-src": ["'unsafe-inline'"], "img-src": ["data:"]}
    assert head.index("Content-Security-Policy") < head.index("<style>")


def test_print_css_keeps_headings_with_their_content() -> None:
    css = (Path(__file__).resolve().parents[2] / "sectool" / "report" / "templates" / "report.css").read_text(
        encoding="utf-8"
    )
    print_css = css[css.index("@media print") :]
    for selector in ("h2 {", "h3 {", "h2 + p, h3 + p {"):
        rule = print_css[print_css.index(selector) :].split("}", 1)[0]
        assert "break-after: avoid" in rule, selector


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["html", "md", "pdf"])
def test_numbers_agree_with_json(hostile_dir: Path, tu: ModuleType, lang: str, fmt: str) -> None:
    data = _json(hostile_dir)
    path = hostile_dir / f"report.{lang}.{fmt}"
    if fmt == "html":
        rows = tu.html_rows(path.read_text(encoding="utf-8"))
        present = lambda row: any(row in r for r in rows)  # noqa: E731
    elif fmt == "md":
        rows = tu.md_rows(path.read_text(encoding="utf-8"))
        present = lambda row: any(row in r for r in rows)  # noqa: E731
    else:
        text = tu.pdf_text(path)
        present = lambda row: tu.pdf_has_row(text, row)  # noqa: E731
    expected = tu.expected_rows(data, lang)
    assert all(expected[k] for k in expected), "the sample has every kind of table"
    missing = [row for group in expected.values() for row in group if not present(row)]
    assert not missing, missing[:5]


@pytest.mark.parametrize("lang", LANGS)
def test_heat_map_counts_agree(hostile_dir: Path, tu: ModuleType, lang: str) -> None:
    data = _json(hostile_dir)["risk"]
    rows = tu.md_rows((hostile_dir / f"report.{lang}.md").read_text(encoding="utf-8"))
    labels = (
        [x[lang] for x in data["likelihood_labels"]]
        if data["likelihood_labels"]
        else data["likelihood_levels"]
    )
    for li, label in enumerate(labels):
        expected = tu.norm(f"{label} " + " ".join(str(n) for n in data["heatmap_inherent"][li]))
        assert expected in rows
    assert sum(map(sum, data["heatmap_inherent"])) == data["total"]
    assert sum(map(sum, data["heatmap_residual"])) == data["total"]
    # The SVG heat maps in the HTML show the same non-zero counts.
    doc = (hostile_dir / f"report.{lang}.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b.*?</svg>", doc, flags=re.S)
    counts = [int(n) for n in re.findall(r'font-weight="bold"[^>]*>(\d+)</text>', svgs[0])]
    assert sorted(counts) == sorted(n for row in data["heatmap_inherent"] for n in row if n)


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_names_are_text_in_html(hostile_dir: Path, tu: ModuleType, lang: str) -> None:
    doc = (hostile_dir / f"report.{lang}.html").read_text(encoding="utf-8")
    assert "<script" not in doc
    text = tu.html_text(doc)
    assert tu.HOSTILE_CLINIC in text
    assert tu.HOSTILE_DNS in text
    assert "Lægehuset 49" not in text
    assert "49.<script>" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_names_are_text_in_markdown(hostile_dir: Path, tu: ModuleType, lang: str) -> None:
    md = (hostile_dir / f"report.{lang}.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<script" not in rendered
    text = tu.html_text(rendered)
    assert tu.HOSTILE_CLINIC in text
    assert tu.HOSTILE_DNS in text
    assert "49" not in "".join(re.findall(r"Lægehuset \S+", text))


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_names_are_text_in_pdf(hostile_dir: Path, tu: ModuleType, lang: str) -> None:
    squeezed = "".join(tu.pdf_text(hostile_dir / f"report.{lang}.pdf").split())
    for name in (tu.HOSTILE_CLINIC, tu.HOSTILE_DNS):
        assert "".join(name.split()) in squeezed
    assert "Lægehuset49" not in squeezed


def test_hostile_names_are_text_in_json(hostile_dir: Path, tu: ModuleType) -> None:
    data = _json(hostile_dir)
    assert tu.HOSTILE_CLINIC in data["practice"]["clinics_not_met"]
    assert tu.HOSTILE_DNS in [s["service"] for s in data["traffic"]["top_services"]]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["html", "md", "pdf"])
def test_empty_report_is_valid_and_says_so(empty_dir: Path, tu: ModuleType, lang: str, fmt: str) -> None:
    from sectool.report.i18n import Translator

    t = Translator(lang)  # type: ignore[arg-type]
    path = empty_dir / f"report.{lang}.{fmt}"
    if fmt == "html":
        text = tu.html_text(path.read_text(encoding="utf-8"))
    elif fmt == "md":
        text = tu.norm(tu.md_unescape(path.read_text(encoding="utf-8")))
    else:
        text = " ".join(tu.pdf_text(path).split())
    assert text.count(tu.norm(t("no_data_section"))) >= 3  # risk, practice, traffic
    for key in ("s_summary", "s_indicators", "s_risk", "s_practice", "s_traffic", "s_appendix", "sum_first"):
        assert tu.norm(t(key)) in text
    data = _json(empty_dir)
    assert data["risk"] is None
    assert data["practice"] is None
    assert data["traffic"] is None
    assert all(i["value"] is None and i["met"] is None for i in data["indicators"])
    assert 3 <= len(data["summary"][lang]) <= 5


def test_clinics_are_not_named_by_default(q4, config, tmp_path: Path, tu: ModuleType) -> None:
    from sectool.report.build import build_report
    from sectool.report.sample import sample_data
    from sectool.report.writer import write_report

    data = sample_data(period=q4, clinics=10, findings=10, clinic_name=tu.HOSTILE_CLINIC)
    write_report(build_report(data, config), tmp_path, formats=("html", "md"))
    for path in tmp_path.iterdir():
        content = path.read_text(encoding="utf-8")
        assert "Lægehuset" not in content, path.name
        assert "Clinic 0002" not in content, path.name


def test_pdf_row_check_detects_a_wrong_number(hostile_dir: Path, tu: ModuleType) -> None:
    text = tu.pdf_text(hostile_dir / "report.en.pdf")
    row = tu.expected_rows(_json(hostile_dir), "en")["detectors"][0]
    assert tu.pdf_has_row(text, row)
    *head, total = row.split()
    assert not tu.pdf_has_row(text, " ".join([*head, str(int(total.replace(",", "")) + 1)]))


@pytest.mark.parametrize("lang", LANGS)
def test_markdown_tables_are_rectangular(hostile_dir: Path, lang: str) -> None:
    md = (hostile_dir / f"report.{lang}.md").read_text(encoding="utf-8")
    tables: list[list[int]] = []
    previous_was_row = False
    for line in md.splitlines():
        is_row = line.startswith("|")
        if is_row:
            cells = len(re.split(r"(?<!\\)\|", line.strip()[1:-1]))
            if not previous_was_row:
                tables.append([])
            tables[-1].append(cells)
        previous_was_row = is_row
    assert len(tables) >= 10
    for widths in tables:
        assert len(set(widths)) == 1, widths


@pytest.mark.parametrize("lang", LANGS)
def test_present_but_empty_sections(q4, config, tmp_path: Path, tu: ModuleType, lang: str) -> None:
    """A practice section with no clinics and a traffic section with no findings (not absent)."""
    from datetime import UTC, datetime

    from sectool.report.build import build_report
    from sectool.report.model import PracticeData, ReportData, TrafficData
    from sectool.report.writer import write_report

    data = ReportData(
        period=q4,
        generated_at=datetime(2026, 12, 31, tzinfo=UTC),
        practice=PracticeData(),
        traffic=TrafficData(data_from=q4.start_dt, data_until=q4.end_dt),
    )
    report = build_report(data, config)
    write_report(report, tmp_path, langs=(lang,), formats=("html", "md"))
    js = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert js["traffic"]["total"] == 0
    assert js["practice"]["invited"] == 0
    assert 3 <= len(js["summary"][lang]) <= 5
    html_text = tu.html_text((tmp_path / f"report.{lang}.html").read_text(encoding="utf-8"))
    md = (tmp_path / f"report.{lang}.md").read_text(encoding="utf-8")
    none = "Ingen hændelser i perioden." if lang == "da" else None
    for text in (html_text, md):
        assert "None" not in text
        assert "nan" not in text.split()
        if none:
            assert none in text


@pytest.mark.parametrize(("lang", "fmt"), [(lang, fmt) for lang in LANGS for fmt in ("html", "md")])
def test_attack_techniques_are_described_in_the_reports_language(
    hostile_dir: Path, lang: str, fmt: str
) -> None:
    from sectool.report.attack import TECHNIQUES, TECHNIQUES_DA

    techniques = [t["id"] for t in _json(hostile_dir)["traffic"]["techniques"]]
    assert techniques, "the sample data has findings with techniques"
    doc = (hostile_dir / f"report.{lang}.{fmt}").read_text(encoding="utf-8")
    for tech in techniques:
        assert TECHNIQUES[tech] in doc  # the official name, for looking it up
        assert (TECHNIQUES_DA[tech] in doc) is (lang == "da")
