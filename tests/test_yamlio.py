from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from sectool.errors import InputError
from sectool.yamlio import MAX_DEPTH, format_loc, load_yaml, parse_yaml, validate


class Item(BaseModel):
    name: str
    level: int = Field(ge=1, le=5)


class Doc(BaseModel):
    items: list[Item]


def test_lines_are_recorded_per_key_and_item() -> None:
    doc = parse_yaml("items:\n  - name: a\n    level: 1\n  - name: b\n    level: 9\n", file="x.yml")
    assert doc.line_of(("items", 1, "level")) == 5
    assert doc.line_of(("items", 0)) == 2
    # unknown deeper path falls back to the nearest known parent
    assert doc.line_of(("items", 1, "nope", 3)) == 4


def test_validation_error_names_file_line_field_value() -> None:
    doc = parse_yaml("items:\n  - name: a\n    level: 1\n  - name: b\n    level: 9\n", file="x.yml")
    with pytest.raises(InputError) as exc:
        validate(Doc, doc.data, doc=doc)
    msg = str(exc.value)
    assert msg.startswith("x.yml:5, field 'items[1].level': ")
    assert "less than or equal to 5" in msg
    assert "(got 9)" in msg
    assert exc.value.exit_code == 2


def test_missing_field_reports_parent_line() -> None:
    doc = parse_yaml("items:\n  - name: a\n    level: 1\n  - level: 2\n", file="y.yml")
    with pytest.raises(InputError) as exc:
        validate(Doc, doc.data, doc=doc)
    assert "y.yml:4, field 'items[1].name': Field required" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "file is empty"),
        ("   \n# only a comment\n", "file is empty"),
        ("a: [1, 2\nb: 3\n", "invalid YAML"),
        ("a: 1\na: 2\n", "duplicate key 'a' (first on line 1)"),
        ("base: &b {x: 1}\nuse: *b\n", "aliases"),
    ],
)
def test_bad_yaml_is_an_input_error(text: str, needle: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_yaml(text, file="bad.yml")
    assert needle in str(exc.value)
    assert str(exc.value).startswith("bad.yml")


@pytest.mark.parametrize("bad_date", ["2030-02-30", "2030-13-01"])
def test_impossible_dates_are_reported_by_the_model_with_their_line(bad_date: str) -> None:
    class Dated(BaseModel):
        name: str
        due: date

    doc = parse_yaml(f"name: a\ndue: {bad_date}\n", file="d.yml")
    assert doc.data["due"] == bad_date  # YAML does not resolve timestamps; the model does
    with pytest.raises(InputError) as exc:
        validate(Dated, doc.data, doc=doc)
    assert str(exc.value).startswith("d.yml:2, field 'due': ")
    assert f"(got '{bad_date}')" in str(exc.value)


def test_valid_dates_still_validate() -> None:
    class Dated(BaseModel):
        due: date

    doc = parse_yaml("due: 2030-02-28\n", file="d.yml")
    assert validate(Dated, doc.data, doc=doc).due == date(2030, 2, 28)


@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000, "a: " + "{b: " * 200 + "1" + "}" * 200])
def test_deep_nesting_is_refused(text: str) -> None:
    with pytest.raises(InputError, match=r"nesting is too deep \(more than 64 levels\)") as exc:
        parse_yaml(text, file="deep.yml")
    assert exc.value.location.line == 1


def test_nesting_at_the_limit_is_fine() -> None:
    doc = parse_yaml("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1), file="ok.yml")
    assert isinstance(doc.data["a"], list)


def test_malformed_yaml_names_the_line() -> None:
    with pytest.raises(InputError) as exc:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n", file="m.yml")
    assert exc.value.location.line is not None
    assert exc.value.location.line >= 2


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_yaml(tmp_path / "nope.yml")
    bad = tmp_path / "bin.yml"
    bad.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_yaml(bad)
    with pytest.raises(InputError, match="directory"):
        load_yaml(tmp_path)


def test_format_loc() -> None:
    assert format_loc(("risks", 3, "likelihood")) == "risks[3].likelihood"
    assert format_loc(()) == ""
