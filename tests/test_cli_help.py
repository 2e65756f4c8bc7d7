"""Every command's --help shows its texts as written: no bracketed word is taken for Rich markup."""

from __future__ import annotations

import inspect
import re
import typing

import pytest
from typer.models import ParameterInfo
from typer.testing import CliRunner

from workgym.cli import app

BRACKETED = re.compile(r"\[[^\[\]\n]+\]")
WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400", "NO_COLOR": "1"}
"""A terminal wide enough that no help line wraps (a wrapped word would not be found whole)."""


def help_texts(callback: typing.Callable[..., object]) -> list[str]:
    """The command's docstring and the help of each of its arguments and options, as written."""
    texts = [inspect.getdoc(callback) or ""]
    hints = typing.get_type_hints(callback, include_extras=True)
    for name, parameter in inspect.signature(callback).parameters.items():
        found = [m for m in getattr(hints.get(name), "__metadata__", ()) if isinstance(m, ParameterInfo)]
        if isinstance(parameter.default, ParameterInfo):
            found.append(parameter.default)
        texts += [info.help for info in found if info.help]
    return texts


COMMANDS = {
    info.name or (info.callback.__name__ if info.callback else ""): info for info in app.registered_commands
}


def test_when_the_help_texts_are_read_then_they_hold_bracketed_words_to_check() -> None:
    words = {
        w
        for info in COMMANDS.values()
        if info.callback
        for w in BRACKETED.findall(" ".join(help_texts(info.callback)))
    }
    assert {"[ray]", "[anonymize]", "[link]"} <= words  # else the test below checks nothing


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_when_a_command_s_help_is_rendered_then_every_bracketed_word_survives(name: str) -> None:
    info = COMMANDS[name]
    assert info.callback is not None
    result = CliRunner().invoke(app, [name, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    for text in help_texts(info.callback):
        for word in BRACKETED.findall(text):
            assert word in result.output, f"{name} --help lost {word!r}"
    assert "\\[" not in result.output  # the escaping itself never shows


def test_when_the_app_s_help_is_rendered_then_each_command_s_summary_is_whole() -> None:
    result = CliRunner().invoke(app, ["--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    for name, info in COMMANDS.items():
        assert info.callback is not None
        first = (inspect.getdoc(info.callback) or "").split("\n\n")[0].replace("\n", " ")
        assert name in result.output and first[:60] in result.output
