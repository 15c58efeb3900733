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
        ("counter.cli.keys", "keys"),
        ("counter.cli.day", None),
        ("counter.cli.service", "service"),
        ("counter.cli.demo", None),
        ("counter.cli.doctor", None),
        ("counter.cli.ops", None),
        ("counter.cli.person", "person"),
        ("counter.cli.stats", None),
        ("counter.cli.permits", "permits"),
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
    import typer
    from typer._click import exceptions as click_errors

    bad = _first_non_utf8(sys.argv[1:] if argv is None else argv)
    if bad is not None:
        # Python decodes such bytes to lone surrogates, which crash the first encode: refuse them up front
        # (without echoing them: they may be part of a name or an ID number)
        print(f"error: argument {bad} is not valid UTF-8 text; retype it in a UTF-8 terminal", file=sys.stderr)
        sys.exit(2)
    try:
        # Not standalone: usage errors come back here and are printed as one line, like every other error
        # (Typer would draw a multi-line box).
        result = app(args=argv, prog_name="counter", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except click_errors.NoArgsIsHelpError as exc:  # `counter clerk` alone: its help, as before
        exc.show()
        code = exc.exit_code
    except click_errors.ClickException as exc:
        print(f"error: {_usage_error_line(exc)}", file=sys.stderr)
        code = exc.exit_code
    except typer.Abort:  # end of input at a prompt
        print("error: aborted; nothing was changed", file=sys.stderr)
        code = 1
    except CounterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # a bug: one line for the operator, the trace (no locals) in a file
        code = _report_crash(exc)
    sys.exit(code)


def _first_non_utf8(args: list[str]) -> int | None:
    """The 1-based position of the first argument that is not UTF-8 (undecodable bytes, lone surrogates)."""
    for position, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return position
    return None


def _usage_error_line(exc) -> str:
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message


def _report_crash(exc: Exception) -> int:
    """Write the traceback without exception messages or locals: they may hold personal data."""
    import os
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"{type(exc).__module__}.{type(exc).__qualname__}\n"]
    lines += [f"  {f.filename}:{f.lineno} in {f.name}\n" for f in frames]
    from counter import files

    fd, path = files.crash_file()
    with os.fdopen(fd, "w") as fh:
        fh.writelines(lines)
    print(f"error: internal error ({type(exc).__name__}); nothing was half-saved. Report {path} to IT.",
          file=sys.stderr)
    return 70
