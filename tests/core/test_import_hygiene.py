"""Commands that need no UI never import textual: the point is fast start."""

import subprocess
import sys

import pytest

from tests.conftest import REPO, cli_env

PROBE = """
import sys
from counter.cli import main
try:
    main({args!r})
except SystemExit:
    pass
bad = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual.") or m == "screens" or m.startswith("screens."))
print("UI-MODULES:" + ",".join(bad))
"""

NO_UI_COMMANDS = [
    ["id", "check", "11010519491231002X"],
    ["journal", "verify", "--data-dir", "{d}"],
    ["journal", "show", "--data-dir", "{d}"],
    ["clerk", "list", "--data-dir", "{d}"],
    ["config", "show", "--data-dir", "{d}"],
    ["--help"],
]
# Every area's command group.
AREA_COMMANDS = [
    ("counter.cli.sync", ["sync", "--help"]),
    ("counter.cli.hq", ["hq", "--help"]),
    ("counter.cli.day", ["export", "--help"]),
    ("counter.cli.devices", ["devices", "--help"]),
    ("counter.cli.printing", ["print", "--help"]),
    ("counter.cli.hq", ["hq", "status", "--db", "sqlite:///{d}/hq.db"]),
    ("counter.cli.day", ["day", "show", "--date", "2026-11-21", "--data-dir", "{d}"]),
    ("counter.cli.devices", ["devices", "read", "--simulated", "sscard-ji", "--json", "--data-dir", "{d}"]),
    ("counter.cli.sync", ["sync", "status", "--data-dir", "{d}"]),
    ("counter.cli.doctor", ["doctor", "--data-dir", "{d}"]),
    ("counter.cli.ops", ["backup", "--out", "{d}/../b.tar", "--no-encrypt", "--data-dir", "{d}"]),
    ("counter.cli.ops", ["restore", "--help"]),
    ("counter.cli.hq", ["hq", "migrate", "--db", "sqlite:///{d}/hq.db", "--dry-run"]),
]


@pytest.fixture(scope="module")
def station_dir(tmp_path_factory):
    from counter.station import Station

    d = tmp_path_factory.mktemp("hyg") / "st"
    Station.init(d, "H-1", "210102", "x").close()
    return d


def _ui_modules(args, d):
    args = [a.format(d=d) for a in args]
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True,
                         env=cli_env(), cwd=REPO, timeout=60)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("UI-MODULES:")]
    assert line, out.stderr
    return line[0].removeprefix("UI-MODULES:")


@pytest.mark.parametrize("args", NO_UI_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_no_ui_import(args, station_dir):
    assert _ui_modules(args, station_dir) == ""


@pytest.mark.parametrize("module, args", AREA_COMMANDS, ids=lambda a: a if isinstance(a, str) else " ".join(a))
def test_area_commands_do_not_import_the_ui(module, args, station_dir):
    import importlib

    importlib.import_module(module)  # every area is part of the build
    assert _ui_modules(args, station_dir) == ""


def test_lower_layers_never_import_the_ui():
    """db/, devices/ and printing/ import neither textual nor screens (static check of the sources)."""
    import re

    pattern = re.compile(r"^\s*(from|import)\s+(textual|screens)\b", re.M)
    offenders = [str(p.relative_to(REPO)) for room in ("db", "devices", "printing")
                 for p in (REPO / room).rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_devices_and_printing_do_not_import_db_or_counter():
    import re

    pattern = re.compile(r"^\s*(from|import)\s+(db|counter|screens)\b", re.M)
    offenders = [str(p.relative_to(REPO)) for room in ("devices", "printing")
                 for p in (REPO / room).rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


SIGN_IN_PROBE = """
import asyncio, sys
from counter.cli import fast
from counter.services.demo import open_demo_station
from screens.app import CounterApp
from screens.signin import SignInScreen

station = open_demo_station(None)

async def main():
    app = CounterApp(station, demo=True)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        print("MODULES:" + ",".join(sorted(sys.modules)))

asyncio.run(main())
"""
# what the sign-in screen has no use for: the CLI framework, the form engine and its documents, the
# screens behind the sign-in, the catalogue reader, the devices (their workers start after the first paint)
NOT_FOR_SIGN_IN = ("typer", "pydantic", "click", "babel", "sqlite_utils", "reportlab", "PIL", "pypinyin",
                   "escpos", "counter.services.engine", "counter.services.documents", "counter.services.devices",
                   "printing", "devices", "screens.home", "screens.person", "screens.wizard", "screens.commands")
# the configuration checks [printer] kind against the list of printer transports (devices/printer_kinds.py, no code)
NEEDED_FOR_CONFIG = {"devices", "devices.printer_kinds"}


def test_the_sign_in_screen_loads_only_what_it_needs(tmp_path):
    out = subprocess.run([sys.executable, "-c", SIGN_IN_PROBE], capture_output=True, text=True,
                         env=cli_env(XDG_CACHE_HOME=str(tmp_path)), cwd=REPO, timeout=120)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("MODULES:")]
    assert line, out.stderr
    modules = set(line[0].removeprefix("MODULES:").split(","))
    loaded = sorted(m for m in modules - NEEDED_FOR_CONFIG
                    if any(m == n or m.startswith(n + ".") for n in NOT_FOR_SIGN_IN))
    assert loaded == []


@pytest.mark.parametrize("args", [["demo", "--lang", "fr"], ["run", "--lang=fr"]])
def test_the_ui_commands_refuse_a_language_in_one_line_without_typer(args):
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True,
                         env=cli_env(), cwd=REPO, timeout=60)
    assert out.stderr.strip().splitlines() == ["error: --lang must be zh_CN or en, not fr"]
    assert "UI-MODULES:\n" in out.stdout or out.stdout.strip() == "UI-MODULES:"
