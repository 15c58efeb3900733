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
