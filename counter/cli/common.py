"""What every command shares: --data-dir, opening the station, one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from counter.config import ENV_DATA_DIR, resolve_data_dir

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar=ENV_DATA_DIR, help="Station data directory (default: ~/.local/share/counter)",
                 show_default=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text")]


def new_app(help_text: str) -> typer.Typer:
    # Locals in tracebacks would leak personal data: keep pretty exceptions off.
    return typer.Typer(help=help_text, no_args_is_help=True, pretty_exceptions_enable=False,
                       pretty_exceptions_show_locals=False, add_completion=False)


def fail(message: str, code: int = 1) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def open_station(data_dir: Path | None):
    from counter.station import Station

    station = Station.open(resolve_data_dir(data_dir))
    for notice in station.notices:
        print(f"warning: {notice}", file=sys.stderr)
    return station


def print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def check_lang(lang: str | None) -> str | None:
    """--lang must be a language the UI has (the TUI raised ValueError, a crash report)."""
    from counter.i18n import LANGS

    if lang is not None and lang not in LANGS:
        fail(f"--lang must be {' or '.join(LANGS)}, not {lang}", 2)
    return lang


def known_clerk(station, clerk_id: str | None) -> str | None:
    """The --clerk id when it names a clerk of this station: the journal must not record an unknown one."""
    if clerk_id is None:
        return None
    from counter.services import clerks

    if clerk_id not in {c.clerk_id for c in clerks.list_clerks(station)}:
        fail(f"no clerk with id {clerk_id!r} at this station; the ids are in 'counter clerk list'", 2)
    return clerk_id


def read_pin(prompt: str = "PIN", from_stdin: bool = False) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():  # getpass would warn in three lines and read the PIN visibly
        fail("cannot ask for the PIN: standard input is not a terminal; pass --pin-stdin", 2)
    import getpass

    return getpass.getpass(f"{prompt}: ")
