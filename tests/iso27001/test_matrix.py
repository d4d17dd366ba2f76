from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from sectool.cli import main
from sectool.errors import InputError
from sectool.iso27001.matrix import ControlEffect, load_matrix

# The published 5x5 grid, written out independently of the data file: row = likelihood 1..5,
# column = impact 1..5 (L=low, M=medium, H=high, V=very_high).
GRID_5X5 = {
    1: "LLLMM",
    2: "LLMMH",
    3: "LMMHH",
    4: "MMHHV",
    5: "MHHVV",
}
_SHIPPED_3X3 = Path(__file__).parents[2] / "sectool/iso27001/data/matrix_3x3.yml"
NAMES = {"L": "low", "M": "medium", "H": "high", "V": "very_high"}


def _expected_3x3(likelihood: int, impact: int) -> str:
    score = likelihood * impact
    return "low" if score < 3 else "medium" if score < 6 else "high"


@pytest.mark.parametrize(("likelihood", "impact"), [(li, ii) for li in range(1, 6) for ii in range(1, 6)])
def test_every_cell_of_the_5x5_grid(likelihood: int, impact: int) -> None:
    m = load_matrix("5x5")
    assert m.level(likelihood, impact).name == NAMES[GRID_5X5[likelihood][impact - 1]]


@pytest.mark.parametrize(("likelihood", "impact"), [(li, ii) for li in range(1, 4) for ii in range(1, 4)])
def test_every_cell_of_the_3x3_formula(likelihood: int, impact: int) -> None:
    m = load_matrix("3x3")
    assert m.method == "formula"
    assert m.level(likelihood, impact).name == _expected_3x3(likelihood, impact)


def test_default_is_5x5_and_cached() -> None:
    assert load_matrix().name == "5x5"
    assert load_matrix() is load_matrix("5x5")


@pytest.mark.parametrize(
    ("axis", "raw", "value"),
    [
        ("likelihood", 3, 3),
        ("likelihood", "3", 3),
        ("likelihood", "almost_certain", 5),
        ("likelihood", "Almost certain", 5),
        ("impact", "catastrophic", 5),
        ("impact", 0, None),
        ("impact", 6, None),
        ("impact", "huge", None),
        ("impact", True, None),
        ("impact", 2.5, None),
        ("likelihood", "\u00b2", None),  # superscript two: isdigit() but not int()-able
        ("likelihood", "\u0663", None),  # Arabic-Indic three: a decimal digit, but not ASCII
        ("impact", "\uff13", None),  # full-width three
    ],
)
def test_resolve_levels(axis: str, raw: object, value: int | None) -> None:
    assert load_matrix().resolve(axis, raw) == value  # type: ignore[arg-type]


def _matrix_data() -> dict:
    return yaml.safe_load(
        (Path(__file__).parents[2] / "sectool/iso27001/data/matrix_5x5.yml").read_text("utf-8")
    )


def _broken(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = _matrix_data()
    mutate(data)
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["grid"].pop("likely"),
            "grid rows must be exactly the likelihood names; missing: likely",
        ),
        (lambda d: d["grid"]["rare"].pop(), "grid row 'rare' has 4 cells, expected 5"),
        (lambda d: d["grid"]["rare"].__setitem__(0, "extreme"), "unknown risk level 'extreme'"),
        (
            lambda d: d["grid"]["rare"].__setitem__(4, "low"),
            "not monotone: likelihood 1, impact 5 .* lower than at impact 4",
        ),
        (lambda d: d["grid"]["likely"].__setitem__(4, "medium"), "not monotone: likelihood 4, impact 5"),
        (lambda d: d["likelihood"][1].__setitem__("value", 7), "likelihood values must be 1..5"),
        (lambda d: d["risk_levels"][0].__setitem__("colour", "green"), "hex colour"),
        (
            lambda d: d["control_effect"].__setitem__("partially", 1.0),
            "partially implemented control must count less",
        ),
        (lambda d: d.__setitem__("method", "formula"), "method 'formula' needs 'thresholds'"),
        (lambda d: d.__setitem__("colour_scheme", "x"), "Extra inputs are not permitted"),
    ],
)
def test_invalid_matrix_is_rejected(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    path = _broken(tmp_path, mutate)
    with pytest.raises(InputError, match=message) as info:
        load_matrix(path)
    assert str(path) in str(info.value)


def test_unreachable_level_is_rejected(tmp_path: Path) -> None:
    def mutate(d: dict) -> None:
        for row in d["grid"].values():
            for i, cell in enumerate(row):
                if cell == "very_high":
                    row[i] = "high"

    with pytest.raises(InputError, match="never reached by the matrix: very_high"):
        load_matrix(_broken(tmp_path, mutate))


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        (
            [{"min_score": 2, "level": "low"}, {"min_score": 6, "level": "high"}],
            "first threshold must have min_score 1",
        ),
        (
            [
                {"min_score": 1, "level": "low"},
                {"min_score": 6, "level": "high"},
                {"min_score": 4, "level": "medium"},
            ],
            "thresholds must rise",
        ),
    ],
)
def test_invalid_thresholds(tmp_path: Path, thresholds: list, message: str) -> None:
    text = (Path(__file__).parents[2] / "sectool/iso27001/data/matrix_3x3.yml").read_text("utf-8")
    data = yaml.safe_load(text)
    data["thresholds"] = thresholds
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_matrix(path)


def test_unknown_matrix_name() -> None:
    with pytest.raises(InputError, match=r"unknown matrix .*'4x4'.*5x5, 3x3"):
        load_matrix("4x4")


@pytest.mark.parametrize(
    ("total", "levels"), [(0, 0), (0.5, 0), (1, 1), (1.5, 1), (0.1 + 0.2 + 0.7, 1), (7, 2)]
)
def test_control_effect_levels_round_down_and_cap(total: float, levels: int) -> None:
    assert ControlEffect().levels(total) == levels


@pytest.mark.parametrize("level", ["\u00b2", "\u0663"])
def test_non_ascii_digit_level_is_a_user_error(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str], level: str
) -> None:
    path = write(f'risks:\n  - {{id: R1, title: t, likelihood: "{level}", impact: 1}}\n')
    assert main(["risk", "score", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"register.yml:2, field 'risks[0].likelihood': level outside the matrix (got '{level}')" in err


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (
            "/etc/passwd",
            "field 'matrix': the register's matrix must be a shipped matrix or a .yml/.yaml file",
        ),
        ("../../../../../../../../../../../../etc/hostname", "(resolved: /etc/hostname)"),
        ("huge", "(resolved: "),
    ],
)
def test_register_matrix_must_be_shipped_or_yaml(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str], matrix: str, message: str
) -> None:
    path = write(f"matrix: {matrix}\nrisks: []\n")
    assert main(["risk", "score", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "root:" not in err


def test_register_matrix_is_resolved_against_the_register_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "m.yml").write_text("- secret first line\n- b\n", "utf-8")
    register = tmp_path / "sub" / "reg.yml"
    register.write_text("matrix: m.yml\nrisks: []\n", "utf-8")
    assert main(["risk", "score", str(register)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'sub' / 'm.yml'}:1: a matrix file must be a YAML mapping" in err
    assert "secret" not in err


def test_register_matrix_shipped_copy_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine.yaml").write_text(_SHIPPED_3X3.read_text("utf-8"), "utf-8")
    (tmp_path / "reg.yml").write_text(
        "matrix: mine.yaml\nrisks: [{id: R1, title: t, likelihood: 3, impact: 3}]\n", "utf-8"
    )
    assert main(["risk", "validate", str(tmp_path / "reg.yml")]) == 0
    assert f"matrix 3x3 from {tmp_path / 'mine.yaml'};" in capsys.readouterr().out


def test_hostile_text_in_a_matrix_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _SHIPPED_3X3.read_text("utf-8")
    data = yaml.safe_load(text)
    data["risk_levels"][0]["label"]["en"] = "\x1b]0;pwned\x07Low"
    (tmp_path / "m.yml").write_text(yaml.safe_dump(data), "utf-8")
    (tmp_path / "reg.yml").write_text("risks: []\n", "utf-8")
    assert main(["risk", "score", str(tmp_path / "reg.yml"), "--matrix", str(tmp_path / "m.yml")]) == 2
    err = capsys.readouterr().err
    assert "field 'risk_levels[0].label.en': contains a control character U+001B at position 1" in err
