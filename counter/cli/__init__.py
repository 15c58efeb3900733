"""The `counter` command. Commands that need no UI never import textual."""

from __future__ import annotations

import sys

from counter.cli import clerk, journal, misc
from counter.cli.common import new_app
from counter.errors import CounterError

app = new_app("One-stop counter workstation for residence registration and residence permits.")
app.add_typer(clerk.app, name="clerk")
app.add_typer(journal.app, name="journal")
app.add_typer(misc.id_app, name="id")
misc.register(app)


def _register_areas() -> None:
    """Each area owns one module with a Typer app or a register(app) function."""
    import importlib

    for module_name, name in (
        ("counter.cli.devices", "devices"),
        ("counter.cli.printing", None),
        ("counter.cli.sync", "sync"),
        ("counter.cli.hq", "hq"),
        ("counter.cli.day", None),
        ("counter.cli.demo", None),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        if hasattr(module, "register"):
            module.register(app)
        else:
            app.add_typer(module.app, name=name)


_register_areas()


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, prog_name="counter", standalone_mode=True)
    except CounterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
