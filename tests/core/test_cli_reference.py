"""The README command reference must match the real commands and options, and every option has help."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from counter.cli.tree import loaded_root

README = Path(__file__).resolve().parents[2] / "README.md"
# Shown once for all commands in the README ("Every command takes --data-dir DIR").
COMMON = {"--help", "--data-dir"}
# `devices simulate-card` lists its card data options as "[data options]".
DATA_OPTIONS = {"--doc-number", "--surname", "--given-names", "--nationality", "--td1", "--face", "--national-name",
                "--name", "--citizen-id", "--ethnicity", "--birthplace", "--sex", "--birth", "--expiry", "--host",
                "--port", "--pki-dir"}


def _walk(command, path):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


COMMANDS = dict(_walk(loaded_root(), ()))


def _options(command) -> set[str]:
    return {opt for p in command.params for opt in (*p.opts, *p.secondary_opts) if opt.startswith("--")}


def _readme_rows() -> list[tuple[tuple[str, ...], str]]:
    """(command path, its text in the first cell) for every `counter ...` in a reference table's first cell."""
    rows = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `counter "):
            continue
        first_cell = re.split(r"(?<!\\)\|", line)[1]
        for usage in re.findall(r"`(counter [^`]+)`", first_cell):
            words = usage.split()[1:]
            path: tuple[str, ...] = ()
            while words and (*path, words[0]) in COMMANDS:
                path = (*path, words.pop(0))
            rows.append((path, usage))
    return rows


ROWS = _readme_rows()


def test_the_reference_is_found():
    assert len(ROWS) > 40


@pytest.mark.parametrize(("path", "usage"), ROWS, ids=[u for _, u in ROWS])
def test_every_readme_option_exists(path, usage):
    assert path, f"README names a command that does not exist: {usage}"
    real = _options(COMMANDS[path])
    named = set(re.findall(r"--[a-z0-9][a-z0-9-]*", usage))
    assert named <= real, f"{usage}: not options of 'counter {' '.join(path)}': {sorted(named - real)}"


def test_every_command_and_option_is_in_the_readme():
    documented: dict[tuple[str, ...], set[str]] = {}
    for path, usage in ROWS:
        documented.setdefault(path, set()).update(re.findall(r"--[a-z0-9][a-z0-9-]*", usage))
        if "[data options]" in usage:
            documented[path] |= DATA_OPTIONS
    missing = []
    for path, command in COMMANDS.items():
        if not path or getattr(command, "commands", None) and not getattr(command, "invoke_without_command", False):
            continue  # a group that only holds subcommands
        if path not in documented:
            missing.append(f"counter {' '.join(path)} (the command)")
            continue
        for option in sorted(_options(command) - COMMON - documented[path]):
            missing.append(f"counter {' '.join(path)} {option}")
    assert not missing, "missing from the README command reference:\n" + "\n".join(missing)


def test_every_option_and_argument_has_help_that_rich_does_not_eat():
    problems = []
    for path, command in COMMANDS.items():
        if not (command.help or "").strip():
            problems.append(f"counter {' '.join(path)}: no help")
        elif "[" in command.help:
            problems.append(f"counter {' '.join(path)}: {command.help!r}")
        for param in command.params:
            text = getattr(param, "help", None)
            if param.name == "help":
                continue
            if not text:
                problems.append(f"counter {' '.join(path)} {param.opts}: no help")
            elif "[" in text:  # rich markup swallows "[reader]" and "[default: ...]"
                problems.append(f"counter {' '.join(path)} {param.opts}: {text!r}")
    assert not problems, "\n".join(problems)
