"""The `counter` command. Commands that need no UI never import textual.

The UI-free commands a clerk or a script runs often (`--version`, `--help`, `id check`, `journal verify`)
go through counter/cli/fast.py, which never imports typer; everything else is the Typer tree of
counter/cli/tree.py, whose commands are listed in counter/cli/catalog.py and imported only when run.
"""

from __future__ import annotations

import sys

from counter.errors import CounterError


def __getattr__(name: str):
    if name == "app":  # the Typer root, for tests and tools that walk the tree
        from counter.cli.tree import app

        return app
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    bad = _first_non_utf8(args)
    if bad is not None:
        # Python decodes such bytes to lone surrogates, which crash the first encode: refuse them up front
        # (without echoing them: they may be part of a name or an ID number)
        print(f"error: argument {bad} is not valid UTF-8 text; retype it in a UTF-8 terminal", file=sys.stderr)
        sys.exit(2)
    try:
        from counter.cli import fast

        code = fast.dispatch(args)
        if code is None:
            code = _run_tree(args)
    except CounterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except ModuleNotFoundError as exc:
        code = _missing_extra(exc)
    except Exception as exc:  # a bug: one line for the operator, the trace (no locals) in a file
        code = _report_crash(exc)
    sys.exit(code)


def _run_tree(args: list[str]) -> int:
    import typer
    from typer._click import exceptions as click_errors

    from counter.cli.tree import app

    try:
        # Not standalone: usage errors come back here and are printed as one line, like every other error
        # (Typer would draw a multi-line box).
        result = app(args=args, prog_name="counter", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click_errors.NoArgsIsHelpError as exc:  # `counter clerk` alone: its help, as before
        exc.show()
        return exc.exit_code
    except click_errors.ClickException as exc:
        print(f"error: {_usage_error_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except typer.Abort:  # end of input at a prompt
        print("error: aborted; nothing was changed", file=sys.stderr)
        return 1


def _missing_extra(exc: ModuleNotFoundError) -> int:
    """An optional dependency that is not installed: one line naming the extra; anything else is a bug."""
    from counter.cli.catalog import missing_extra

    message = missing_extra(exc)
    if message is None:
        return _report_crash(exc)
    print(f"error: {message}", file=sys.stderr)
    return 3


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
