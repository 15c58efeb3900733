"""The command tree: every top-level command in one table, its module imported only when it runs.

`counter --help` and the fast path (counter/cli/fast.py) list the commands from this table without
importing any of them; tests/core/test_cli_tree.py checks the table against the loaded commands.
"""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from typing import Annotated

import typer
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from counter import __version__
from counter.cli.catalog import ROOT, ROOT_HELP, TopCommand
from counter.cli.common import new_app


def load(entry: TopCommand):
    """The click command for one table entry: a Typer sub-app becomes a group, a function a command."""
    module_name, _, attr = entry.target.partition(":")
    target = getattr(importlib.import_module(module_name), attr)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    elif attr == "register":  # a module whose register(app) adds top-level commands: take this one
        holder = new_app("")
        target(holder)
        command = typer.main.get_group(holder).commands[entry.name]
    else:
        holder = new_app("")
        holder.command(entry.name)(target)
        command = typer.main.get_command(holder)
    command.name = entry.name
    return command


class LazyGroup(TyperGroup):
    """The root group: lists the table; imports a command's module only when that command is resolved."""

    def list_commands(self, ctx) -> list[str]:
        return [entry.name for entry in ROOT]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands:
            entry = next((e for e in ROOT if e.name == cmd_name), None)
            if entry is None:
                return None
            self.commands[cmd_name] = load(entry)
        return self.commands[cmd_name]

    def resolve_command(self, ctx, args):
        # TyperGroup suggests from the commands loaded so far, which on a typo is none of them
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            if args and "Did you mean" not in exc.message:
                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    suggestions = ", ".join(f"{m!r}" for m in matches)
                    exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise


def _show_version(value: bool) -> None:
    if value:
        print(f"counter {__version__}")
        raise typer.Exit(0)


app = new_app(ROOT_HELP, cls=LazyGroup)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", help="Show the version and exit.", callback=_show_version, is_eager=True)] = False,
) -> None:
    pass


def loaded_root():
    """The root click group with every command loaded (for tests and the README reference)."""
    root = typer.main.get_command(app)
    ctx = root.make_context("counter", [], resilient_parsing=True)
    for name in root.list_commands(ctx):
        root.get_command(ctx, name)
    return root

