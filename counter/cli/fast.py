"""The UI-free commands run often by clerks and scripts, dispatched without importing typer.

Typer (with rich and pydantic) costs about ten times Python's own start-up, so `counter --version`,
`counter --help`, `counter id check`, `counter journal verify` and the two commands that start the UI
(`counter run`, `counter demo`: a clerk waits for the sign-in screen) are parsed here when their arguments
have the plain shapes below; any other shape (another option, `--help` of a sub-command, `--` ...) goes
to the Typer tree, which parses it the same way and says what is wrong. The command bodies live here and
the Typer commands call them, so both paths run the same code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from counter.cli.catalog import ROOT, ROOT_HELP

# Narrower terminals than this get the Typer renderer, which squeezes columns its own way.
MIN_HELP_WIDTH = 60
ROOT_OPTIONS = (("--version", "Show the version and exit."), ("--help", "Show this message and exit."))


def dispatch(args: list[str]) -> int | None:
    """The exit code of a command run here, or None for the Typer tree to run it."""
    if args == ["--version"]:
        from counter import __version__

        print(f"counter {__version__}")
        return 0
    if args in ([], ["--help"]):
        text = root_help()
        if text is None:
            return None
        sys.stdout.write(text)
        return 0 if args else 2  # `counter` alone is a usage error, as Typer's no_args_is_help says
    if args[:2] == ["id", "check"]:
        parsed = _flags_and_one_argument(args[2:])
        return None if parsed is None else _without_collector(lambda: id_check(parsed[1], json_out=parsed[0]))
    if args[:2] == ["journal", "verify"]:
        parsed = _data_dir_and_json(args[2:])
        return None if parsed is None else _without_collector(lambda: journal_verify(parsed[0], json_out=parsed[1]))
    if args[:1] in (["run"], ["demo"]):
        from counter.config import ENV_DATA_DIR

        options = _options(args[1:], ("--data-dir", "--lang"))
        if options is None:
            return None
        if args[0] == "demo":
            return start_demo(options.get("--data-dir"), options.get("--lang"))
        return start_ui(options.get("--data-dir") or os.environ.get(ENV_DATA_DIR) or None, options.get("--lang"))
    return None


def _without_collector(command: Callable[[], int]) -> int:
    """Run a short UI-free command without pauses of Python's cyclic garbage collector.

    Its imports (typing, tomllib, cryptography, sqlite3) make tens of thousands of objects that live to
    the end, and the collector walks them all for nothing: in its full passes during start-up and in the
    interpreter's last pass at exit (about 10 ms of `counter journal verify`). These commands make no reference
    cycles worth collecting (the journal is walked in bounded batches of plain tuples, freed as they go), so
    the collector is off while they run, and at exit their objects are frozen (`gc.freeze`) out of that
    last pass; output is flushed and atexit handlers run as always. A caller that catches SystemExit
    gets the collector back on.
    """
    import atexit
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return command()
    finally:
        if enabled:
            gc.enable()
        atexit.register(gc.freeze)


def _options(rest: list[str], names: tuple[str, ...]) -> dict[str, str] | None:
    """`--name VALUE` / `--name=VALUE`, each of `names` at most once and nothing else, else None."""
    found: dict[str, str] = {}
    i = 0
    while i < len(rest):
        name, eq, value = rest[i].partition("=")
        if name not in names or name in found:
            return None
        if not eq:
            if i + 1 >= len(rest):
                return None
            i += 1
            value = rest[i]
        if value == "" or value.startswith("-"):
            return None  # let Typer say what is wrong with it
        found[name] = value
        i += 1
    return found


def _flags_and_one_argument(rest: list[str]) -> tuple[bool, str] | None:
    """(--json given, the one positional) for `[--json] VALUE [--json]`, else None."""
    positional = [a for a in rest if a != "--json"]
    if len(positional) != 1 or positional[0].startswith("-") or rest.count("--json") > 1:
        return None
    return "--json" in rest, positional[0]


def _data_dir_and_json(rest: list[str]) -> tuple[str | None, bool] | None:
    """(--data-dir or $COUNTER_DATA_DIR, --json given) for those two options in any order, else None."""
    from counter.config import ENV_DATA_DIR

    data_dir, json_out, seen = None, False, set()
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--json" and "--json" not in seen:
            json_out = True
            seen.add(arg)
        elif arg == "--data-dir" and i + 1 < len(rest) and "--data-dir" not in seen:
            data_dir = rest[i + 1]
            seen.add(arg)
            i += 1
        elif arg.startswith("--data-dir=") and "--data-dir" not in seen:
            data_dir = arg.removeprefix("--data-dir=")
            seen.add("--data-dir")
        else:
            return None
        i += 1
    if data_dir is not None and (data_dir == "" or data_dir.startswith("-")):
        return None  # let Typer say what is wrong with it
    if data_dir is None:
        data_dir = os.environ.get(ENV_DATA_DIR) or None  # Typer's envvar= ignores an empty variable too
    return data_dir, json_out


# --- the command bodies (the Typer commands call these) ------------------------------------------

def print_json(obj: object) -> None:
    import json

    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def id_check(number: str, json_out: bool = False) -> int:
    """Validate a citizen ID number and print what it encodes; 1 with the reason when invalid."""
    from counter.domain.citizen_id import parse_citizen_id
    from counter.errors import ValidationError

    try:
        cid = parse_citizen_id(number)
    except ValidationError as exc:
        if json_out:
            print_json({"valid": False, "reason": str(exc)})
        else:
            print(f"error: invalid ID number: {exc}", file=sys.stderr)
        return 1
    if json_out:
        print_json({"valid": True, **cid.as_dict()})
        return 0
    area = cid.area
    era = f" (historical code, used until {area.valid_until})" if area.historical else ""
    print(f"valid: {cid.number}")
    if cid.converted_from:
        print(f"converted from 15 digits: {cid.converted_from}")
    print(f"area: {area.code} {area.full_name}{era}")
    print(f"birth date: {cid.birth_date.isoformat()}")
    print(f"sex: {'male' if cid.sex == 'M' else 'female'} (order code {cid.order_code})")
    print(f"check character: {cid.check}")
    return 0


def journal_verify(data_dir: str | None, json_out: bool = False) -> int:
    """Check the whole chain; 1 naming the first bad seq and why."""
    from counter.config import resolve_data_dir
    from counter.journal_check import verify_station_journal

    directory = resolve_data_dir(data_dir)
    checked = verify_station_journal(directory)
    if checked is None:  # the station needs the writer's open first (migrations, a key rotation)
        from counter.station import Station
        from counter.sync.state import last_ack

        station = Station.open(directory)
        try:
            checked = station.verify_journal(acked=last_ack(station)), station.notices
        finally:
            station.close()
    result, notices = checked
    for notice in notices:
        print(f"warning: {notice}", file=sys.stderr)
    if json_out:
        print_json(result._asdict())
    elif result.ok:
        print(f"journal intact: {result.count} entries, head seq {result.head_seq} {result.head_hash[:16]}")
    else:
        print(f"journal broken at seq {result.bad_seq}: {result.reason}", file=sys.stderr)
    return 0 if result.ok else 1


def _check_lang(lang: str | None) -> int | None:
    """2 with one line when --lang is a language the UI does not have (as the Typer commands say)."""
    from counter.domain.language import LANGS

    if lang is not None and lang not in LANGS:
        print(f"error: --lang must be {' or '.join(LANGS)}, not {lang}", file=sys.stderr)
        return 2
    return None


def start_ui(data_dir: str | None, lang: str | None) -> int:
    """`counter run`: the TUI on this station."""
    if (bad := _check_lang(lang)) is not None:
        return bad
    from counter.config import resolve_data_dir
    from counter.station import Station

    station = Station.open(resolve_data_dir(data_dir))
    for notice in station.notices:
        print(f"warning: {notice}", file=sys.stderr)
    from screens.app import run_app  # the UI is imported only here

    run_app(station, lang=lang or station.config.lang, demo=False)
    return 0


def start_demo(data_dir: str | None, lang: str | None) -> int:
    """`counter demo`: the TUI on a demo station (a fresh one unless --data-dir keeps it)."""
    if (bad := _check_lang(lang)) is not None:
        return bad
    from counter.services.demo import open_demo_station

    station = open_demo_station(data_dir)
    from screens.app import run_app  # the UI is imported only here

    run_app(station, lang=lang or station.config.lang, demo=True)
    return 0


# --- `counter --help`, laid out as Typer's rich renderer does -------------------------------------

def _width() -> int | None:
    """The width rich would use: $TERMINAL_WIDTH (Typer's), $COLUMNS, the terminal on fd 0-2, else 80."""
    for name in ("TERMINAL_WIDTH", "COLUMNS"):
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    if os.environ.get("TERM", "").lower() in ("dumb", "unknown") and sys.stdout.isatty():
        return 80
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (OSError, ValueError):
            continue
    return 80


def _colour() -> bool:
    """Whether rich would style the output: a terminal, or Typer's forcing variables."""
    if os.environ.get("NO_COLOR") or os.environ.get("_TYPER_FORCE_DISABLE_TERMINAL"):
        return False
    if os.environ.get("GITHUB_ACTIONS") or os.environ.get("FORCE_COLOR") or os.environ.get("PY_COLORS"):
        return True
    return sys.stdout.isatty()


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


def root_help() -> str | None:
    """`counter --help` as Typer prints it, or None where only Typer's renderer gets it right."""
    width = _width()
    if width is None or width < MIN_HELP_WIDTH:
        return None
    colour = _colour()

    def style(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour and text.strip() else text

    def panel(title: str, rows: list[str]) -> list[str]:
        top = style("╭─", "2") + style(f" {title} ", "2") + style("─" * (width - len(title) - 5) + "╮", "2")
        body = [f"{style('│', '2')} {row} {style('│', '2')}" for row in rows]
        return [top, *body, style("╰" + "─" * (width - 2) + "╯", "2")]

    inner = width - 4
    usage = "counter [OPTIONS] COMMAND [ARGS]..."
    out = [" " * width, " " + style("Usage: ", "33") + usage + " " * (width - 8 - len(usage)), " " * width]
    out += [f" {line:<{width - 2}} " for line in _wrap(ROOT_HELP, width - 2)]
    out.append(" " * width)

    name_width = max(len(name) for name, _ in ROOT_OPTIONS)
    lead = name_width + 8 + len("<bool>") + 2
    rows = []
    for name, text in ROOT_OPTIONS:
        for i, line in enumerate(_wrap(text, inner - lead)):
            left = (style(name, "1;36") + " " * (name_width - len(name) + 8) + style("<bool>", "1;33") + "  "
                    if i == 0 else " " * lead)
            rows.append(left + f"{line:<{inner - lead}}")
    out += panel("Options", rows)

    name_width = max(len(entry.name) for entry in ROOT)
    lead = name_width + 2
    rows = []
    for entry in ROOT:
        for i, line in enumerate(_wrap(entry.help, inner - lead)):
            left = style(entry.name, "1;36") + " " * (lead - len(entry.name)) if i == 0 else " " * lead
            rows.append(left + f"{line:<{inner - lead}}")
    out += panel("Commands", rows)
    return "\n".join(out) + "\n\n"
