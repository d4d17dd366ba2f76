from __future__ import annotations

import subprocess
import sys

import pytest

import sectool.cli as cli
from sectool import __version__
from sectool.cli import main
from sectool.errors import InputError


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_command_is_usage_error() -> None:
    assert main(["no-such-command"]) == 2


def test_console_script_runs_as_module() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sectool", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0
    for group in ("risk", "audit", "traffic", "report"):
        assert group in proc.stdout


def _raising(exc: BaseException):  # type: ignore[no-untyped-def]
    def app(**_: object) -> None:
        raise exc

    return app


def test_unexpected_error_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SECTOOL_DEBUG", raising=False)
    monkeypatch.setattr(cli, "app", _raising(RuntimeError("boom")))
    assert main([]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom (set SECTOOL_DEBUG=1 for the traceback)" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECTOOL_DEBUG", "1")
    monkeypatch.setattr(cli, "app", _raising(RuntimeError("boom")))
    assert main([]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "app", _raising(KeyboardInterrupt()))
    assert main([]) == 130
    assert "interrupted" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("title \x1b]0;pwned\x07\x1b[31mRED", "title \\x1b]0;pwned\\x07\\x1b[31mRED"),
        ("nul \x00 and c1 \x9b", "nul \\x00 and c1 \\x9b"),
        ("admin\u202e txt.exe", "admin\\u202e txt.exe"),  # bidi override (Trojan Source)
        ("value x:smile: [bold]b[/bold]", "value x:smile: [bold]b[/bold]"),
    ],
)
def test_user_errors_are_printed_literally(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], message: str, shown: str
) -> None:
    monkeypatch.setattr(cli, "app", _raising(InputError(message, file="f.yml", line=3)))
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: f.yml:3: {shown}"
    assert "\x1b" not in err
