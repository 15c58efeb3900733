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
app.add_typer(misc.config_app, name="config")
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
    except Exception as exc:  # a bug: one line for the operator, the trace (no locals) in a file
        sys.exit(_report_crash(exc))


def _report_crash(exc: Exception) -> int:
    """Write the traceback without exception messages or locals: they may hold personal data."""
    import os
    import tempfile
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"{type(exc).__module__}.{type(exc).__qualname__}\n"]
    lines += [f"  {f.filename}:{f.lineno} in {f.name}\n" for f in frames]
    fd, path = tempfile.mkstemp(prefix="counter-crash-", suffix=".txt")
    with os.fdopen(fd, "w") as fh:
        fh.writelines(lines)
    print(f"error: internal error ({type(exc).__name__}); nothing was half-saved. Report {path} to IT.",
          file=sys.stderr)
    return 70
