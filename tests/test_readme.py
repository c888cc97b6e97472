"""The README documents every error code and every command; every command's --help has an example."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from datapkg.cli import cli
from datapkg.errors import CODES, README_BEGIN, README_END, code_table
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def _section(heading: str) -> str:
    start = README.index(heading)
    following = re.search(r"^## ", README[start + len(heading) :], re.MULTILINE)
    return README[start : start + len(heading) + following.start()] if following else README[start:]


def test_every_error_code_is_in_the_readme_table() -> None:
    section = _section("## Error codes")
    missing = [code for code in CODES if f"| `{code}` |" not in section]
    assert not missing, f"undocumented codes {missing}: run `python -m datapkg.errors --readme README.md`"


def test_error_code_table_is_up_to_date() -> None:
    """The table is generated from CODES (titles and hints too); regenerate it when CODES changes."""
    start, end = README.index(README_BEGIN), README.index(README_END) + len(README_END)
    assert README[start:end] == code_table(), "stale table: run `python -m datapkg.errors --readme README.md`"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_documented(name: str) -> None:
    assert f"### `datapkg {name}`" in _section("## Commands"), f"README has no section for `datapkg {name}`"


@pytest.mark.parametrize("args", [[], *[[name] for name in COMMANDS]])
def test_help_has_an_example(args: list[str]) -> None:
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert re.search(r"^\s+datapkg \S", result.output, re.MULTILINE), "the example shows a datapkg command line"


def test_commands_are_click_commands() -> None:
    assert COMMANDS and all(isinstance(c, click.Command) for c in cli.commands.values())
