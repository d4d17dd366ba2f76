from __future__ import annotations

import os
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


_LOGS_A_RETRY = """
import logging, sys
import sectool.cli as cli

def app(args, prog_name):
    try:
        raise ConnectionError("refused \\x1b[31m\\nby the peer")
    except ConnectionError as exc:
        logging.getLogger("elastic_transport.transport").warning(
            "Retrying request after failure (attempt %d of %d)", 0, 2, exc_info=exc
        )
    logging.getLogger("elastic_transport.node_pool").info("Resurrected node")

cli.app = app
sys.exit(cli.main([]))
"""


@pytest.mark.parametrize("debug", [False, True])
def test_library_warnings_are_one_line_unless_debugging(debug: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECTOOL_DEBUG"}
    if debug:
        env["SECTOOL_DEBUG"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", _LOGS_A_RETRY],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    if debug:  # Python's default: the warning with its traceback
        assert "Traceback (most recent call last)" in proc.stderr
    else:
        assert proc.stderr.splitlines() == [
            "warning: elastic_transport.transport: Retrying request after failure (attempt 0 of 2): "
            "ConnectionError: refused \\x1b[31m by the peer"
        ]
