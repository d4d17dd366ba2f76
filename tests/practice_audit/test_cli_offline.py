from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sectool.cli import main
from sectool.practice_audit.answers_file import parse_answers_file
from sectool.practice_audit.bank import load_bank
from sectool.practice_audit.models import ClinicSize, QuestionBank
from sectool.practice_audit.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "sectool" / "practice_audit" / "data" / "example_answers"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("SECTOOL_AUDIT_SECRET", raising=False)
    return f"sqlite:///{tmp_path / 'audit.sqlite'}"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("lang", "needle"), [("da", "OBLIGATORISK"), ("en", "MUST-PASS")])
@pytest.mark.parametrize("size", list(ClinicSize))
def test_template_round_trips(
    capsys: pytest.CaptureFixture[str], pa_bank: QuestionBank, lang: str, needle: str, size: ClinicSize
) -> None:
    code, out, _ = _run(capsys, "template", "--lang", lang, "--size", size.value)
    assert code == 0
    assert needle in out
    doc = parse_answers_file(out, pa_bank, file="t.yaml")
    assert doc.size is size
    assert len(doc.answers) == 0
    for q in pa_bank.questions:
        assert (f"  {q.id}:\n" in out) == q.applies_to(size)
    first = pa_bank.questions_for(size)[0]
    assert first.text.get(lang) in out.replace("\n  # ", " ")  # type: ignore[arg-type]


def test_template_to_file_with_hostile_clinic_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pa_bank: QuestionBank
) -> None:
    target = tmp_path / "answers.yaml"
    name = 'Klinik "A"\nsize: large # <script>'
    args = ["template", "--size", "solo", "--clinic", name, "--provider-number", "0123", "-o", str(target)]
    code, out, _ = _run(capsys, *args)
    assert code == 0
    assert out == ""
    doc = parse_answers_file(target.read_text(encoding="utf-8"), pa_bank)
    assert doc.size is ClinicSize.SOLO
    assert doc.provider_number == "0123"


def test_filled_template_scores(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, out, _ = _run(capsys, "template", "--size", "solo", "--lang", "en")
    filled = out.replace("    value:          #", "    value: yes  #")
    path = tmp_path / "a.yaml"
    path.write_text(filled, encoding="utf-8")
    code, out, _ = _run(capsys, "score", str(path), "--format", "json")
    assert code == 0
    result = json.loads(out)["result"]
    assert result["status"] == "standards_met"
    assert result["maturity"] == 5
    assert result["size"] == "solo"


@pytest.mark.parametrize(
    ("example", "status", "size"),
    [
        ("holm.yml", "not_met", "solo"),
        ("vestby.yml", "approaching", "large"),
        ("torvet.yml", "standards_met", "large"),
    ],
)
def test_score_examples_json(
    capsys: pytest.CaptureFixture[str], example: str, status: str, size: str
) -> None:
    code, out, _ = _run(capsys, "score", str(EXAMPLES / example), "--format", "json")
    assert code == 0
    result = json.loads(out)["result"]
    assert (result["status"], result["size"]) == (status, size)
    ranks = [item["rank"] for item in result["plan"]]
    assert ranks == list(range(1, len(ranks) + 1))


def test_score_table_and_markdown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "score", str(EXAMPLES / "vestby.yml"), "--lang", "en")
    assert code == 0
    assert "Approaching standards" in out
    assert "Improvement plan" in out
    code, out, _ = _run(capsys, "score", str(EXAMPLES / "vestby.yml"), "--format", "md")
    assert code == 0
    assert out.startswith("# Selvevaluering af informationssikkerhed: Sundhedshuset Vestby")
    assert "## Handlingsplan" in out
    assert "Nærmer sig standarderne" in out
    target = tmp_path / "r.txt"
    code, out, _ = _run(capsys, "score", str(EXAMPLES / "vestby.yml"), "-o", str(target))
    assert (code, out) == (0, "")
    assert "Handlingsplan" in target.read_text(encoding="utf-8")


def test_score_with_previous_shows_the_change(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "score", str(EXAMPLES / "aaparken-2026.yml"), "--previous",
                        str(EXAMPLES / "aaparken-2025.yml"), "--format", "json")  # fmt: skip
    assert code == 0
    comparison = json.loads(out)["comparison"]
    assert (comparison["previous_status"], comparison["current_status"]) == ("not_met", "approaching")
    assert comparison["status_change"] == "improved"
    assert comparison["overall_change"] > 0


def test_markdown_escapes_clinic_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(
        'clinic: "<script>alert(1)</script>"\nsize: solo\nanswers:\n'
        '  org.owner: {value: no, action_owner: "<img src=x onerror=alert(1)>", action_due: 2030-01-01}\n',
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, "score", str(path), "--format", "md")
    assert code == 0
    assert "<script>" not in out
    assert "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(body, encoding="utf-8")
    return path


BAD_ANSWERS = [
    ("unknown question id", "size: solo\nanswers:\n  org.owner: yes\n  org.nope: yes\n", 4,
     ["question 'org.nope'", "unknown question id"]),
    ("bad value", "size: solo\nanswers:\n  org.owner:\n    value: maybe\n", 4,
     ["question 'org.owner'", "field 'answers.org.owner.value'", "'maybe'", "'yes', 'partly', 'no'"]),
    ("n/a without justification", "size: solo\nanswers:\n  org.policy:\n    value: not_applicable\n", 3,
     ["question 'org.policy'", "justification"]),
    ("alternative without justification", "size: solo\nanswers:\n  org.policy: alternativ\n", 3,
     ["question 'org.policy'", "needs a written justification"]),
    ("n/a on must-pass", "size: solo\nanswers:\n  org.owner:\n    value: n/a\n    justification: x\n", 4,
     ["question 'org.owner'", "not allowed on a must-pass question"]),
    ("partly on binary", "size: solo\nanswers:\n  access.mitid_erhverv: delvist\n", 3,
     ["question 'access.mitid_erhverv'", "not allowed here"]),
    ("question of another size", "size: solo\nanswers:\n  continuity.exercise: yes\n", 3,
     ["question 'continuity.exercise'", "does not apply to clinic size 'solo'"]),
    ("bad due date", "size: solo\nanswers:\n  org.owner:\n    value: no\n    action_due: next week\n", 5,
     ["question 'org.owner'", "action_due"]),
    ("datetime due date",
     "size: solo\nanswers:\n  org.owner:\n    value: no\n    action_due: 2026-01-01 10:00:00\n", 5,
     ["question 'org.owner'", "should have zero time"]),
    ("unknown key", "size: solo\nanswers:\n  org.owner:\n    value: no\n    owner: me\n", 5,
     ["question 'org.owner'", "Extra inputs"]),
    ("value missing", "size: solo\nanswers:\n  org.owner:\n    justification: x\n", 3,
     ["question 'org.owner'", "value", "Field required"]),
    ("missing size", "answers:\n  org.owner: yes\n", None, ["clinic size is missing"]),
    ("bad size", "size: huge\nanswers: {}\n", 1, ["field 'size'"]),
    ("numeric provider number", "size: solo\nprovider_number: 12345\nanswers: {}\n", 2, ["in quotes"]),
    ("top-level list", "- a\n- b\n", 1, ["must be a mapping"]),
    ("duplicate answer", "size: solo\nanswers:\n  org.owner: yes\n  org.owner: no\n", 4, ["duplicate key"]),
    ("invalid yaml", "size: solo\nanswers:\n  org.owner: [yes\n", None, ["invalid YAML"]),
    ("impossible due date",
     "size: solo\nanswers:\n  org.owner:\n    value: no\n    action_due: 2030-02-30\n", 5,
     ["question 'org.owner'", "action_due", "2030-02-30"]),
    ("month 13 due date",
     "size: solo\nanswers:\n  org.owner:\n    value: no\n    action_due: 2030-13-01\n", 5,
     ["question 'org.owner'", "action_due", "2030-13-01"]),
    ("impossible as_of", "size: solo\nas_of: 2030-02-30\nanswers: {}\n", 2, ["field 'as_of'", "2030-02-30"]),
    ("deep nesting", "size: solo\nanswers: " + "[" * 5000 + "]" * 5000 + "\n", 2, ["nesting is too deep"]),
    ("n/a on must-pass keyword", "size: solo\nanswers:\n  org.owner:\n    value: not_applicable\n"
     "    justification: x\n", 4, ["'not_applicable' is not allowed on a must-pass question"]),
    ("too long justification",
     "size: solo\nanswers:\n  org.policy:\n    value: alternative\n    justification: " + "x" * 2001 + "\n",
     5, ["question 'org.policy'", "at most 2000"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "line", "needles"), BAD_ANSWERS, ids=[b[0] for b in BAD_ANSWERS])
def test_bad_answers_file_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    case: str,
    body: str,
    line: int | None,
    needles: list[str],
) -> None:
    path = _write(tmp_path, body)
    code, out, err = _run(capsys, "score", str(path))
    assert code == 2
    assert out == ""
    message = err.strip()
    assert message.startswith(f"error: {path}")
    if line is not None:
        assert message.startswith(f"error: {path}:{line}"), message
    for needle in needles:
        assert needle in message, message
    assert "Traceback" not in err
    assert len(message.splitlines()) == 1


def test_missing_file_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "score", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "file not found" in err


def test_shorthand_aliases_and_unanswered(pa_bank: QuestionBank) -> None:
    doc = parse_answers_file(
        "size: partnership\nanswers:\n  org.owner: ja\n  org.policy: Delvist\n  org.risk_assessment: no\n"
        "  org.record_of_processing:\n  staff.training:\n    value:\n    justification:\n",
        pa_bank,
    )
    assert {k: v.value.value for k, v in doc.answers.answers.items()} == {
        "org.owner": "yes",
        "org.policy": "partly",
        "org.risk_assessment": "no",
    }


def test_import_invite_export(capsys: pytest.CaptureFixture[str], tmp_path: Path, db: str) -> None:
    code, out, _ = _run(capsys, "import", str(EXAMPLES / "aaparken-2025.yml"), "--db", db)
    assert code == 0
    assert "stored version 1 for Lægehuset Åparken (041234)" in out
    code, out, err = _run(capsys, "import", str(EXAMPLES / "aaparken-2026.yml"), "--clinic", "Åparken",
                          "--provider-number", "041234", "--db", db)  # fmt: skip
    assert code == 2
    assert "provider number 041234 belongs to 'Lægehuset Åparken' (partnership); this would change its " \
        "name 'Lægehuset Åparken' -> 'Åparken'; expected check the provider number, or confirm the " \
        "change with --update" in err  # fmt: skip
    code, out, _ = _run(capsys, "import", str(EXAMPLES / "aaparken-2026.yml"), "--clinic", "Åparken",
                        "--provider-number", "041234", "--update", "--db", db)  # fmt: skip
    assert code == 0
    assert "stored version 2 for Åparken" in out
    args = [
        "invite",
        "--clinic",
        "=SUM(A1)",
        "--provider-number",
        "777",
        "--size",
        "solo",
        "--expires-days",
        "10",
    ]
    code, out, err = _run(capsys, *args, "--base-url", "https://audit.example.dk/", "--db", db)
    assert code == 0
    link = out.strip()
    assert link.startswith("https://audit.example.dk/c/")
    assert "shown only once" in err
    token = urlsplit(link).path.rsplit("/", 1)[1]
    store = Store(db, bank=load_bank())
    try:
        clinic = store.clinic_for_token(token, now=datetime.now(UTC))
        assert clinic.name == "=SUM(A1)"
        assert [s.version for s in store.submissions(store.clinic_by_provider_number("041234").id)] == [1, 2]  # type: ignore[union-attr]
    finally:
        store.close()
    db_file = Path(db.removeprefix("sqlite:///"))
    assert token.encode() not in b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))

    code, out, _ = _run(capsys, "export", "--format", "csv", "--db", db)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["clinic"], r["status"]) for r in rows] == [("'=SUM(A1)", ""), ("Åparken", "approaching")]
    target = tmp_path / "export.json"
    code, out, _ = _run(capsys, "export", "--format", "json", "--all-versions", "-o", str(target), "--db", db)
    assert (code, out) == (0, "")
    data = json.loads(target.read_text(encoding="utf-8"))
    assert [(c["provider_number"], c["version"]) for c in data["clinics"]] == [("777", None), ("041234", 1),
                                                                               ("041234", 2)]  # fmt: skip


def test_export_of_empty_database_has_a_header(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = _run(capsys, "export", "--db", db)
    assert code == 0
    assert out.startswith("clinic_id,clinic,provider_number,size,")
    assert len(out.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--base-url", "ftp://x"], "not an http(s) base URL"),
        (["--base-url", "javascript:alert(1)"], "not an http(s) base URL"),
        (["--provider-number", "12 34"], "provider_number"),
        (["--expires-days", "0"], "--expires-days"),
    ],
)
def test_invite_bad_input_exit_2(
    capsys: pytest.CaptureFixture[str], db: str, args: list[str], needle: str
) -> None:
    base = {"--clinic": "A", "--provider-number": "1", "--size": "solo"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    code, out, err = _run(capsys, "invite", *[x for kv in base.items() for x in kv], "--db", db)
    assert code == 2
    assert out == ""
    assert needle in err


def test_import_rejects_missing_must_pass_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db: str
) -> None:
    path = _write(tmp_path, 'clinic: A\nprovider_number: "9"\nsize: solo\nanswers:\n  org.owner: yes\n')
    code, _, err = _run(capsys, "import", str(path), "--db", db)
    assert code == 2
    assert "must be answered (must-pass question)" in err
    code, out, _ = _run(capsys, "export", "--format", "json", "--db", db)
    assert [c["version"] for c in json.loads(out)["clinics"]] == [None]


def test_import_needs_clinic_and_provider_number(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db: str
) -> None:
    path = _write(tmp_path, "size: solo\nanswers: {}\n")
    code, _, err = _run(capsys, "import", str(path), "--db", db)
    assert code == 2
    assert "clinic name is missing" in err
    code, _, err = _run(capsys, "import", str(path), "--clinic", "A", "--db", db)
    assert code == 2
    assert "provider number is missing" in err


@pytest.mark.parametrize(
    ("db", "code", "needle"),
    [
        ("not a url", 2, "not a database URL"),
        ("sqlite://", 2, "in-memory SQLite"),
        ("nosuchdb://x/y", 2, "cannot use this database URL"),
        ("postgresql+nosuchdriver://u:secret-pw@h/db", 2, "cannot use this database URL"),
        ("sqlite:////proc/forbidden/x.sqlite", 2, "cannot create the database folder"),
        ("postgresql+psycopg://sectool:secret-pw@127.0.0.1:1/audit", 1, "cannot open the audit database"),
    ],
)
def test_bad_database_url(capsys: pytest.CaptureFixture[str], db: str, code: int, needle: str) -> None:
    rc, out, err = _run(capsys, "export", "--db", db)
    assert rc == code
    assert out == ""
    assert needle in err
    assert "secret-pw" not in err
    assert "Traceback" not in err


#: Text that would drive a terminal (or reorder what a reader sees) if printed raw.
HOSTILE = [
    ("\\e]0;pwned\\a\\e[31mRED", "U+001B at position 1"),
    ("nul\\0byte", "U+0000 at position 4"),
    ("c1\\x9bcsi", "U+009B at position 3"),
    ("cr\\roverwrite", "U+000D at position 3"),
    ("admin\\u202e txt.exe", "bidirectional control character U+202E at position 6"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE)
@pytest.mark.parametrize(
    ("template", "where"),
    [
        ('clinic: "{}"\nsize: solo\nanswers: {{}}\n', "field 'clinic'"),
        ('size: solo\nanswers:\n  org.policy:\n    value: alternative\n    justification: "{}"\n',
         "question 'org.policy'"),
        ('size: solo\nanswers:\n  org.owner:\n    value: no\n    action_owner: "{}"\n',
         "question 'org.owner'"),
    ],
)  # fmt: skip
def test_hostile_text_in_answers_file_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str, template: str, where: str
) -> None:
    path = _write(tmp_path, template.format(text))
    code, out, err = _run(capsys, "score", str(path))
    assert code == 2
    assert out == ""
    assert where in err
    assert message in err
    for ch in ("\x1b", "\x00", "\x9b", "\r", "\u202e"):
        assert ch not in err


def test_hostile_clinic_name_on_invite_exit_2(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, err = _run(capsys, "invite", "--clinic", "A\x1b]0;x\x07", "--provider-number", "1",
                          "--size", "solo", "--db", db)  # fmt: skip
    assert (code, out) == (2, "")
    assert "control character U+001B at position 2" in err
    assert "\x1b" not in err


def test_import_is_idempotent(capsys: pytest.CaptureFixture[str], db: str) -> None:
    example = str(EXAMPLES / "aaparken-2025.yml")
    assert _run(capsys, "import", example, "--db", db)[0] == 0
    code, out, _ = _run(capsys, "import", example, "--db", db)
    assert code == 0
    assert "skipped: these answers are already stored as version 1 for Lægehuset Åparken (041234)" in out
    code, out, _ = _run(capsys, "import", example, "--allow-duplicate", "--db", db)
    assert code == 0
    assert "stored version 2" in out
    # Different answers are a new version without any flag.
    code, out, _ = _run(capsys, "import", str(EXAMPLES / "aaparken-2026.yml"), "--db", db)
    assert code == 0
    assert "stored version 3" in out


def test_reinvite_refuses_rename_and_resize_and_reports_older_links(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    base = ["invite", "--provider-number", "123456", "--db", db]
    code, _, err = _run(capsys, *base, "--clinic", "Y", "--size", "partnership")
    assert code == 0
    assert "No older link of this clinic is valid." in err
    code, out, err = _run(capsys, *base, "--clinic", "Y renamed", "--size", "solo")
    assert (code, out) == (2, "")
    assert (
        "provider number 123456 belongs to 'Y' (partnership); this would change its name 'Y' -> 'Y renamed' "
        "and size partnership -> solo" in err
    )
    code, _, err = _run(capsys, *base, "--clinic", "Y", "--size", "partnership")
    assert code == 0
    assert "1 older link of this clinic remains valid until it expires" in err
    code, _, err = _run(capsys, *base, "--clinic", "Y", "--size", "solo", "--update")
    assert code == 0
    assert "2 older links of this clinic remain valid until they expire" in err
