"""The command tree: explicit, lazy, with a fast path that prints what the Typer tree would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata

import pytest

from counter.cli.catalog import ROOT
from tests.conftest import REPO, cli_env, run_cli

ANSI = re.compile(r"\x1b\[[0-9;]*m")
VALID = "11010519491231002X"

PROBE = """
import json, sys
{setup}
from counter.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print("MODULES:" + json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _probe(args: list[str], setup: str = "", env: dict | None = None) -> tuple[subprocess.CompletedProcess, set]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args, setup=setup)], capture_output=True,
                         text=True, env=env or cli_env(), cwd=REPO, timeout=120)
    line = [ln for ln in out.stderr.splitlines() if ln.startswith("MODULES:")]
    assert line, out.stderr
    return out, set(json.loads(line[0].removeprefix("MODULES:")))


def _tops(modules: set, *names: str) -> set:
    return {n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)}


@pytest.fixture(scope="module")
def station_dir(tmp_path_factory):
    from counter.station import Station

    d = tmp_path_factory.mktemp("tree") / "st"
    Station.init(d, "T-1", "210102", "x").close()
    return d


def _typer_root_help(width: int, colour: bool) -> str:
    """The root help as Typer renders it, with every command loaded."""
    env = cli_env(COLUMNS=str(width), **({"FORCE_COLOR": "1"} if colour else {}))
    code = ("from counter.cli.tree import loaded_root\n"
            "loaded_root().main(['--help'], prog_name='counter', standalone_mode=False)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("width", [60, 80, 97, 120, 200])
def test_fast_help_is_what_typer_prints(width):
    fast = run_cli("--help", env=cli_env(COLUMNS=str(width)))
    assert fast.returncode == 0
    assert fast.stdout == _typer_root_help(width, colour=False)


def test_fast_help_in_colour_has_typers_layout():
    fast = run_cli("--help", env=cli_env(COLUMNS="90", FORCE_COLOR="1"))
    assert "\x1b[" in fast.stdout
    assert ANSI.sub("", fast.stdout) == ANSI.sub("", _typer_root_help(90, colour=True))


def test_counter_alone_prints_help_and_exits_2():
    bare = run_cli(env=cli_env(COLUMNS="80"))
    assert bare.returncode == 2
    assert bare.stdout == _typer_root_help(80, colour=False)


def test_narrow_terminal_falls_back_to_typer():
    out, modules = _probe(["--help"], env=cli_env(COLUMNS="50"))
    assert "typer" in modules
    assert "Usage: counter" in out.stdout


def test_catalog_names_every_command_with_its_own_help():
    from counter.cli.tree import loaded_root

    root = loaded_root()
    ctx = root.make_context("counter", [], resilient_parsing=True)
    assert [e.name for e in ROOT] == root.list_commands(ctx)
    for entry in ROOT:
        command = root.get_command(ctx, entry.name)
        shown = command.short_help or (command.help or "").split("\n\n")[0]
        assert " ".join(shown.split()) == entry.help, entry.name


def test_version_matches_the_distribution():
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout == f"counter {metadata.version('counter')}\n"


def test_version_through_typer_too():
    out = run_cli("--version", "clerk")  # not the fast path's shape: the Typer callback answers
    assert out.returncode == 0
    assert out.stdout == f"counter {metadata.version('counter')}\n"


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["id", "check", VALID],
                                  ["id", "check", "--json", VALID], ["journal", "verify", "--data-dir", "{d}"],
                                  ["journal", "verify", "--json", "--data-dir={d}"]],
                         ids=lambda a: " ".join(a[:3]))
def test_fast_commands_import_neither_typer_nor_the_known_costs(args, station_dir):
    out, modules = _probe([a.format(d=station_dir) for a in args])
    assert "Traceback" not in out.stderr
    assert _tops(modules, "typer", "click", "rich", "pydantic", "stdnum", "sqlite_utils", "textual") == set()


def test_a_sub_app_is_imported_only_when_its_command_runs():
    out, modules = _probe(["clerk", "--help"])
    assert "typer" in modules and "counter.cli.clerk" in modules
    others = {e.target.partition(":")[0] for e in ROOT} - {"counter.cli.clerk"}
    assert others & modules == set()


@pytest.mark.parametrize("number", [VALID, "110105194912310021", "11010519491331002X", "999999194912310021",
                                    "110105491231002"])
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_id_check_fast_and_typer_paths_agree(number, json_flag):
    fast = run_cli("id", "check", *json_flag, number)
    typer_path = run_cli("id", "check", *json_flag, "--", number)  # `--`: not a fast-path shape
    assert (fast.returncode, fast.stdout, fast.stderr) == (typer_path.returncode, typer_path.stdout,
                                                           typer_path.stderr)


def test_journal_verify_fast_and_typer_paths_agree(station_dir):
    fast = run_cli("journal", "verify", "--data-dir", str(station_dir))
    # two --json flags are not a fast-path shape; Typer takes the last
    slow_json = run_cli("journal", "verify", "--json", "--json", "--data-dir", str(station_dir))
    fast_json = run_cli("journal", "verify", "--json", "--data-dir", str(station_dir))
    assert fast.returncode == 0 and fast.stdout.startswith("journal intact: 1 entries")
    assert (fast_json.returncode, fast_json.stdout) == (slow_json.returncode, slow_json.stdout)
    assert json.loads(fast_json.stdout)["ok"] is True


def test_journal_verify_reads_the_data_dir_from_the_environment(station_dir):
    out = run_cli("journal", "verify", env=cli_env(COUNTER_DATA_DIR=str(station_dir)))
    assert out.returncode == 0 and out.stdout.startswith("journal intact")


def test_journal_verify_of_a_missing_station_is_one_line(tmp_path):
    out = run_cli("journal", "verify", "--data-dir", str(tmp_path / "none"))
    assert out.returncode != 0
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ")


def test_a_typo_still_gets_a_suggestion():
    out = run_cli("jornal", "verify")
    assert out.returncode == 2
    assert "Did you mean 'journal'?" in out.stderr


def test_a_missing_optional_dependency_names_its_extra():
    """pyscard made unimportable (None in sys.modules): the real ModuleNotFoundError path."""
    out, _ = _probe(["devices", "readers"], setup="sys.modules['smartcard'] = None")
    lines = [ln for ln in out.stderr.splitlines() if not ln.startswith("MODULES:")]
    assert lines == ["error: this needs pyscard, which is not installed; install it with: pip install"
                     " 'counter[pcsc]'"]


def test_an_unexpected_missing_module_is_still_an_internal_error():
    """Only the optional dependencies are explained; a missing required one is a bug (crash report)."""
    out, _ = _probe(["clerk", "--help"], setup="sys.modules['counter.cli.clerk'] = None")
    assert "internal error (ModuleNotFoundError)" in out.stderr
