"""Every command answers --help, and the documented ones exist."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from socialcredit.cli import app

runner = CliRunner()


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.extend(_commands(command, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "socialcredit")
def test_every_command_has_help(words: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_the_documented_commands_exist() -> None:
    assert {("demo",), ("evaluate",), ("rulebook", "check"), ("rulebook", "list")} <= set(COMMANDS)
