"""The root command loads its sub-apps on first use, and says and does exactly what it did eagerly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

import sectool.cli as cli
from sectool._lazy_cli import LazyApp, LazyGroup, QuietHelpGroup, build_group
from sectool.cli import main
from sectool.playbook.cli import register as register_playbook_commands

SUB_APP_MODULES = {name: lazy.module for name, lazy in cli._Root.lazy_apps.items()}


def _eager_app() -> typer.Typer:
    """The root as it was built before the sub-apps became lazy (``add_typer`` of each)."""
    app = typer.Typer(
        name="sectool",
        help="Security toolkit for the Danish health sector.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name, lazy in cli._Root.lazy_apps.items():
        app.add_typer(lazy.load(), name=name, help=lazy.help)
    register_playbook_commands(app)
    app.callback()(cli._root)
    return app


def _every_command_line() -> list[list[str]]:
    """``[]`` and the path to every group and command of the eager tree."""
    root = typer.main.get_command(_eager_app())
    lines: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        lines.append(path)
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])

    walk(root, [])
    return lines


def _loaded_after(argv: list[str]) -> set[str]:
    """The sectool modules a fresh process has imported after ``main(argv)``."""
    code = (
        "import json, sys\n"
        "from sectool.cli import main\n"
        f"code = main({argv!r})\n"
        "print('@@' + json.dumps([code, sorted(m for m in sys.modules if m.startswith('sectool'))]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    marked = [line for line in proc.stdout.splitlines() if line.startswith("@@")]
    assert marked, proc.stderr
    code_, modules = json.loads(marked[-1][2:])
    assert code_ == 0, proc.stderr
    return set(modules)


@pytest.mark.parametrize("argv", _every_command_line(), ids=lambda a: " ".join(a) or "sectool")
@pytest.mark.parametrize("force_color", [False, True], ids=["plain", "color"])
def test_help_is_the_same_text_as_the_eager_tree(argv: list[str], force_color: bool) -> None:
    env = {"COLUMNS": "100", "FORCE_COLOR": "1" if force_color else None, "TERM": "xterm-256color"}
    runner = CliRunner()
    eager = runner.invoke(_eager_app(), [*argv, "--help"], env=env, prog_name="sectool")
    lazy = runner.invoke(cli.app, [*argv, "--help"], env=env, prog_name="sectool")
    assert eager.exit_code == 0, eager.output
    assert (lazy.exit_code, lazy.output) == (eager.exit_code, eager.output)
    assert ("\x1b[" in lazy.output) is force_color  # the styled rendering is compared too


def test_root_help_lists_every_sub_app_without_importing_one(capsys: pytest.CaptureFixture[str]) -> None:
    loaded = _loaded_after(["--help"])
    assert loaded.isdisjoint(SUB_APP_MODULES.values()), sorted(loaded & set(SUB_APP_MODULES.values()))
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    for name, lazy in cli._Root.lazy_apps.items():
        assert f" {name} " in listed
        assert lazy.help in listed


@pytest.mark.parametrize("name", list(SUB_APP_MODULES))
def test_entering_a_sub_app_imports_that_one_only(name: str) -> None:
    loaded = _loaded_after([name, "--help"])
    assert SUB_APP_MODULES[name] in loaded
    others = {m for n, m in SUB_APP_MODULES.items() if n != name}
    assert loaded.isdisjoint(others), sorted(loaded & others)


@pytest.mark.parametrize("name", list(SUB_APP_MODULES))
def test_the_placeholder_is_the_real_group_without_its_commands(name: str) -> None:
    lazy = cli._Root.lazy_apps[name]
    placeholder = build_group(name, typer.Typer(), lazy.help)
    real = build_group(name, lazy.load(), lazy.help)
    for attribute in (
        "name",
        "help",
        "short_help",
        "hidden",
        "deprecated",
        "rich_help_panel",
    ):  # what a commands list reads
        assert getattr(placeholder, attribute) == getattr(real, attribute), attribute
    assert placeholder.get_short_help_str(60) == real.get_short_help_str(60)
    assert not placeholder.commands
    assert real.commands


def test_get_command_swaps_in_the_real_group_once_and_keeps_the_order() -> None:
    root = typer.main.get_command(cli.app)
    assert isinstance(root, LazyGroup)
    ctx = root.make_context("sectool", ["traffic"], resilient_parsing=True)
    order = root.list_commands(ctx)
    first = root.get_command(ctx, "traffic")
    assert isinstance(first, TyperGroup)
    assert "detect" in first.commands
    assert root.get_command(ctx, "traffic") is first
    assert root.list_commands(ctx) == order
    assert root.get_command(ctx, "no-such-command") is None


def test_a_typo_suggests_the_lazy_sub_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trafic", "detect"]) == 2
    assert "Did you mean 'traffic'?" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("path", "incomplete", "expected"),
    [
        ([], "tr", ["traffic"]),
        ([], "r", ["run", "risk", "report"]),
        (["traffic"], "de", ["detect"]),
        (["risk"], "sc", ["score"]),
    ],
)
def test_shell_completion_reaches_into_lazy_sub_apps(
    path: list[str], incomplete: str, expected: list[str]
) -> None:
    command = typer.main.get_command(cli.app)
    ctx = command.make_context("sectool", [], resilient_parsing=True)
    for name in path:
        assert isinstance(command, TyperGroup)
        sub = command.get_command(ctx, name)
        assert sub is not None
        command = sub
        ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True)
    assert [item.value for item in command.shell_complete(ctx, incomplete)] == expected


def test_the_help_flag_of_a_group_defaults_to_false() -> None:
    # None would send it through Typer's pydantic coercion (and import pydantic) for nothing.
    group = build_group("traffic", cli._Root.lazy_apps["traffic"].load(), "x")
    assert isinstance(group, QuietHelpGroup)
    ctx = group.make_context("traffic", ["detect"], resilient_parsing=True)
    option = group.get_help_option(ctx)
    assert option is not None
    assert option.default is False
    assert group.get_help_option(ctx) is option


@pytest.mark.parametrize(
    ("lazy", "error", "match"),
    [
        (LazyApp("sectool.errors", "x", attribute="InputError"), TypeError, "is not a typer.Typer"),
        (LazyApp("sectool.no_such_module", "x"), ModuleNotFoundError, "sectool.no_such_module"),
        (LazyApp("sectool.traffic.cli", "x", attribute="nope"), AttributeError, "nope"),
    ],
)
def test_a_wrongly_wired_sub_app_fails_loudly(lazy: LazyApp, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        lazy.load()


def test_a_sub_app_that_fails_to_load_is_an_internal_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SECTOOL_DEBUG", raising=False)
    broken = {**cli._Root.lazy_apps, "report": LazyApp("sectool.no_such_module", "Reports.")}
    monkeypatch.setattr(cli._Root, "lazy_apps", broken)
    assert main(["--help"]) == 0  # listing needs no import
    capsys.readouterr()
    assert main(["report", "--help"]) == 1
    err = capsys.readouterr().err
    assert "internal error: ModuleNotFoundError" in err
    assert "Traceback" not in err
