"""Every command and option of `python -m figures` is documented in README.md, as sqlite-utils
checks its CLI reference: the parser in figures/cli.py is introspected, so a command or an
option added without its usage line in the README fails here, and so does a README line
naming an option the command no longer has."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from figures.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
COMMAND_LINE = re.compile(r"^python -m figures ([a-z][a-z-]*[a-z])(?![\w-])(.*)$")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def commands() -> dict[str, argparse.ArgumentParser]:
    """The subcommands of the CLI's parser, by name."""
    [subparsers] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(subparsers.choices)


def usage_lines(text: str) -> dict[str, list[str]]:
    """The README's usage lines per command: inside code fences, each line that starts with
    `python -m figures COMMAND` with the indented lines that continue it, joined."""
    found: dict[str, list[str]] = {}
    in_fence, current = False, None
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence, current = not in_fence, None
            continue
        if not in_fence:
            continue
        match = COMMAND_LINE.match(line)
        if match:
            current = found.setdefault(match.group(1), [])
            current.append(match.group(2))
        elif current is not None and line[:1].isspace():
            current[-1] += " " + line.strip()
        else:
            current = None
    return found


def documented(word: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]


def positionals(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not a.option_strings]


USAGE = usage_lines(README.read_text(encoding="utf-8"))
COMMANDS = commands()


def test_the_readme_reader_finds_usage_lines_and_their_continuations():
    text = ("```\npython -m figures one A... [--x N]\n                  [--y]\n"
            "python -m figures two --z\n  described here --not-an-option-of-two\nother --w\n```\n"
            "python -m figures three --outside-a-fence\n")
    assert usage_lines(text) == {"one": [" A... [--x N] [--y]"],
                                 "two": [" --z described here --not-an-option-of-two"]}
    assert OPTION.findall("[--max-file-mb N] --db=URL a-b --c2") == ["--max-file-mb", "--db", "--c2"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_usage_line(command: str):
    assert command in USAGE, f"README.md has no `python -m figures {command} ...` line in a code block"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_and_choice_is_in_the_commands_usage(command: str):
    text = " ".join(USAGE.get(command, []))
    for action in options(COMMANDS[command]):
        assert any(documented(flag, text) for flag in action.option_strings), (command, action.option_strings)
        for choice in action.choices or ():
            assert documented(str(choice), text), (command, action.option_strings, choice)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_positional_argument_has_a_placeholder(command: str):
    """`extract PATH...`, `compare-facts FACTS.csv [CLAIMS...]`: the words after the command,
    before its first option, name the positional arguments in order, with `...` when one
    takes several values."""
    leads = [leading_words(line) for line in USAGE.get(command, [])]
    for place, action in enumerate(positionals(COMMANDS[command])):
        many = action.nargs in ("+", "*")
        assert any(len(words) > place and words[place].endswith("...") == many for words in leads), \
            (command, action.dest, leads)


def leading_words(line: str) -> list[str]:
    """The words of a usage line before its first option, brackets taken off."""
    words = []
    for word in line.split():
        word = word.strip("[]")
        if not word or word.startswith("-"):
            break
        words.append(word)
    return words


@pytest.mark.parametrize("command", sorted(USAGE))
def test_the_readme_names_only_options_the_command_has(command: str):
    assert command in COMMANDS, f"README.md documents `python -m figures {command}`, which does not exist"
    known = {flag for action in options(COMMANDS[command]) for flag in action.option_strings}
    named = {flag for line in USAGE[command] for flag in OPTION.findall(line)}
    assert named <= known, (command, sorted(named - known))
