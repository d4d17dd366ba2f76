from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sectool.errors import InputError
from sectool.practice_audit.bank import annex_a_ids, load_bank, parse_bank
from sectool.practice_audit.models import ClinicSize, QuestionBank

REFERENCE_TSV = Path("/work/shared/reference/iso27001-2022-annex-a.tsv")

DOMAINS = [
    "organisation",
    "staff",
    "access",
    "physical",
    "devices",
    "health_data",
    "citizen_services",
    "suppliers",
    "continuity",
]


def _reference_ids() -> set[str]:
    if not REFERENCE_TSV.exists():
        pytest.fail(f"reference file missing: {REFERENCE_TSV}")
    return {
        line.split("\t")[0] for line in REFERENCE_TSV.read_text(encoding="utf-8").splitlines() if line.strip()
    }


def test_bank_size_and_domains(pa_bank: QuestionBank) -> None:
    assert len(pa_bank.questions) >= 40
    assert [d.id for d in pa_bank.domains] == DOMAINS
    per_domain = Counter(q.domain for q in pa_bank.questions)
    assert all(per_domain[d] >= 4 for d in DOMAINS), per_domain


def test_every_text_in_danish_and_english(pa_bank: QuestionBank) -> None:
    for q in pa_bank.questions:
        for text in (q.text, q.help, q.recommendation):
            assert text.da.strip()
            assert text.en.strip()
            assert text.da != text.en, q.id
    for d in pa_bank.domains:
        assert d.title.da != d.title.en


def test_annex_a_ids_match_the_reference_catalogue(pa_bank: QuestionBank) -> None:
    reference = _reference_ids()
    assert len(reference) == 93
    assert annex_a_ids() == reference
    used = {c for q in pa_bank.questions for c in q.annex_a}
    assert used <= reference


def test_must_pass_and_sizes(pa_bank: QuestionBank) -> None:
    must = {q.id for q in pa_bank.questions if q.must_pass}
    assert {"access.mitid_erhverv", "data.treatment_relation", "continuity.breach_notification"} <= must
    for size in ClinicSize:
        assert len(pa_bank.questions_for(size)) >= 40
    assert {q.id for q in pa_bank.questions if q.sizes == (ClinicSize.SOLO,)}, "a solo-only question"
    assert {q.id for q in pa_bank.questions if q.sizes == (ClinicSize.LARGE,)}, "a large-only question"


@pytest.mark.parametrize(
    ("domain", "needles"),
    [
        ("access", ["MitID Erhverv", "aldrig deles"]),
        ("devices", ["medicoteknisk", "Wi-Fi", "krypterede"]),
        ("health_data", ["MedCom", "Sundhedsdatanettet", "behandlingsrelation"]),
        ("citizen_services", ["MitID", "https", "video", "databehandleraftaler"]),
        ("suppliers", ["ISAE 3000", "ISAE 3402", "databehandleraftaler", "fjernadgang"]),
        ("continuity", ["Datatilsynet", "72 timer", "offline", "log"]),
    ],
)
def test_issue_topics_are_covered(pa_bank: QuestionBank, domain: str, needles: list[str]) -> None:
    text = " ".join(q.text.da + " " + q.help.da for q in pa_bank.questions if q.domain == domain)
    for needle in needles:
        assert needle in text, f"{domain}: {needle!r}"


def test_question_ids_are_unique_and_stable_shape(pa_bank: QuestionBank) -> None:
    ids = [q.id for q in pa_bank.questions]
    assert len(ids) == len(set(ids))
    for q in pa_bank.questions:
        assert q.id.split(".")[0] in {"org", "staff", "access", "physical", "devices", "data", "citizen",
                                      "suppliers", "continuity"}  # fmt: skip


GOOD_QUESTION = """
  - id: org.one
    domain: org
    weight: 3
    must_pass: true
    sizes: [solo]
    annex_a: [A.5.1]
    text: {da: "Tekst", en: "Text"}
    help: {da: "Hjælp", en: "Help"}
    recommendation: {da: "Gør det", en: "Do it"}
"""

BANK_HEAD = """version: "t"
domains:
  - id: org
    title: {da: "Org", en: "Org"}
    description: {da: "B", en: "D"}
questions:
"""


def _bank(question: str) -> str:
    return BANK_HEAD + question


def _replace(old: str, new: str) -> str:
    return GOOD_QUESTION.replace(old, new)


# (case, question yaml, field, message, text on the line the error must point at)
BAD_BANKS = [
    ("unknown annex", _replace("[A.5.1]", "[A.5.38]"), "annex_a[0]", "unknown Annex A control", "A.5.38"),
    ("old 2013 annex id", _replace("[A.5.1]", "[A.9.2.1]"), "annex_a[0]", "unknown Annex A", "A.9.2.1"),
    ("weight too high", _replace("weight: 3", "weight: 9"), "weight", "less than or equal to 5", "weight: 9"),
    ("missing danish", _replace('{da: "Tekst", en: "Text"}', '{en: "Text"}'), "text.da", "Field required",
     'text: {en: "Text"}'),
    ("blank english", _replace('en: "Help"', 'en: "  "'), "help.en", "blank", 'en: "  "'),
    ("unknown domain", _replace("domain: org", "domain: nope"), "domain", "unknown domain", "domain: nope"),
    ("bad size", _replace("[solo]", "[tiny]"), "sizes[0]", "Input should be", "[tiny]"),
    ("no sizes", _replace("[solo]", "[]"), "sizes", "at least 1", "sizes: []"),
    ("unknown field", _replace("weight: 3", "weight: 3\n    colour: red"), "colour", "Extra inputs",
     "colour"),
    ("bad answer type", _replace("weight: 3", "weight: 3\n    answer_type: free"), "answer_type",
     "Input should be", "answer_type: free"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "question", "field", "message", "marker"), BAD_BANKS, ids=[b[0] for b in BAD_BANKS]
)
def test_bad_bank_names_question_field_and_line(
    case: str, question: str, field: str, message: str, marker: str
) -> None:
    text = _bank(question)
    with pytest.raises(InputError) as info:
        parse_bank(text, file="bank.yml")
    rendered = str(info.value)
    assert "question 'org.one'" in rendered
    assert field in (info.value.location.field or "")
    assert message in rendered
    assert info.value.location.file == "bank.yml"
    expected_line = next(i for i, line in enumerate(text.splitlines(), start=1) if marker in line)
    assert info.value.location.line == expected_line
    assert info.value.exit_code == 2


def test_duplicate_question_id() -> None:
    with pytest.raises(InputError) as info:
        parse_bank(_bank(GOOD_QUESTION + GOOD_QUESTION), file="bank.yml")
    assert "question 'org.one': duplicate question id (first is questions[0])" in str(info.value)
    assert info.value.location.field == "questions[1].id"


def test_domain_without_questions_is_an_error() -> None:
    text = (
        BANK_HEAD.replace("questions:\n", "")
        + """  - id: empty
    title: {da: "T", en: "T"}
    description: {da: "B", en: "D"}
questions:
"""
        + GOOD_QUESTION
    )
    with pytest.raises(InputError, match="domain 'empty' has no questions"):
        parse_bank(text, file="bank.yml")


def test_good_small_bank_loads() -> None:
    bank = parse_bank(_bank(GOOD_QUESTION), file="bank.yml")
    assert bank.question("org.one").must_pass
    assert bank.questions_for(ClinicSize.LARGE) == ()


def test_load_bank_from_file(tmp_path: Path) -> None:
    path = tmp_path / "bank.yml"
    path.write_text(_bank(GOOD_QUESTION.replace("[A.5.1]", "[A.8.99]")), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_bank(path)
    assert str(info.value).startswith(f"{path}:13, field 'questions[0].annex_a[0]': question 'org.one'")
