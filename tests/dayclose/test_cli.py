"""`counter day close|show|report` and `counter export` as an operator runs them."""

from __future__ import annotations

import json

from tests.dayclose.conftest import PAST_DAY, cli_env, run_cli
from tests.dayclose.seed import SUPERVISOR, seed_day


def test_close_from_the_command_line(station, tmp_path):
    seed_day(station, PAST_DAY, 4, failed_prints=1)
    station.close()
    env = cli_env(station.data_dir)
    shown = run_cli("day", "show", "--date", PAST_DAY, "--json", env=env)
    assert json.loads(shown.stdout)["figures"]["transactions"] == 4
    refused = run_cli("export", "--date", PAST_DAY, "--out", str(tmp_path / "out"), env=env)
    assert refused.returncode == 2 and "is not closed" in refused.stderr and "--allow-open" in refused.stderr
    unconfirmed = run_cli("day", "close", "--date", PAST_DAY, "--supervisor", SUPERVISOR[0], "--pin-stdin",
                          env=env, stdin=SUPERVISOR[1] + "\n")
    assert unconfirmed.returncode == 2 and "pass --yes" in unconfirmed.stderr
    assert "1 print jobs failed" in unconfirmed.stderr and "not yet synced" in unconfirmed.stderr
    wrong = run_cli("day", "close", "--date", PAST_DAY, "--supervisor", SUPERVISOR[0], "--pin-stdin", "--yes",
                    env=env, stdin="0000\n")
    assert wrong.returncode == 1 and "wrong PIN" in wrong.stderr
    done = run_cli("day", "close", "--date", PAST_DAY, "--supervisor", SUPERVISOR[0], "--pin-stdin", "--yes",
                   env=env, stdin=SUPERVISOR[1] + "\n")
    assert done.returncode == 0, done.stderr
    assert f"day {PAST_DAY} closed" in done.stdout and "transactions                 4" in done.stdout
    twice = run_cli("day", "close", "--date", PAST_DAY, "--supervisor", SUPERVISOR[0], "--pin-stdin", "--yes",
                    env=env, stdin=SUPERVISOR[1] + "\n")
    assert twice.returncode == 2 and twice.stderr.strip() == (
        f"error: day {PAST_DAY} is already closed (journal seq {done.stdout.split('journal seq ')[1].split(')')[0]});"
        " a correction is a new entry on the current day")
    report = run_cli("day", "report", "--date", PAST_DAY, "--out", str(tmp_path / "r.pdf"), env=env)
    assert report.returncode == 0 and (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    exported = run_cli("export", "--date", PAST_DAY, "--out", str(tmp_path / "out"), "--json", "--no-encrypt",
                       env=env)
    assert exported.returncode == 0, exported.stderr
    info = json.loads(exported.stdout)
    assert info["closed"] is True
    verified = run_cli("export", "verify", info["file"], "--json", env=env)
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"] is True


def test_a_wrong_out_path_is_one_line_and_nothing_is_journaled(station, tmp_path):
    """`--out` naming a file for the export (or a directory for the report) used to crash (exit 70)."""
    seed_day(station, PAST_DAY, 2)
    station.close()
    env = cli_env(station.data_dir)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    head_before = run_cli("journal", "show", "--json", env=env).stdout.count("\n")
    export = run_cli("export", "--date", PAST_DAY, "--allow-open", "--no-encrypt", "--out", str(a_file), env=env)
    assert export.returncode == 2
    assert export.stderr == (f"error: --out {a_file} is not a directory; give the directory to write the bundle"
                             " into\n")
    report = run_cli("day", "report", "--date", PAST_DAY, "--out", str(tmp_path), env=env)
    assert report.returncode == 2 and report.stderr == f"error: {tmp_path} is a directory; give a file name\n"
    under_file = run_cli("day", "report", "--date", PAST_DAY, "--out", str(a_file / "r.pdf"), env=env)
    assert under_file.returncode == 2
    assert under_file.stderr == f"error: cannot write {a_file / 'r.pdf'}: {a_file} is not a directory\n"
    assert run_cli("journal", "show", "--json", env=env).stdout.count("\n") == head_before  # no day.exported
    assert a_file.read_text() == "x"


def test_close_without_a_supervisor_says_so_before_printing_the_figures(station):
    seed_day(station, PAST_DAY, 2)
    station.close()
    proc = run_cli("day", "close", "--date", PAST_DAY, "--pin-stdin", "--yes", env=cli_env(station.data_dir),
                   stdin=SUPERVISOR[1] + "\n")
    assert proc.returncode == 2
    assert proc.stderr == "error: name the supervisor with --supervisor NAME\n" and proc.stdout == ""


def test_a_day_that_has_not_begun_is_refused(station, tmp_path):
    """show and report used to present a future day as an empty open day (and write its 'report')."""
    current = station.business_day()
    station.close()
    env = cli_env(station.data_dir)
    for command in (["day", "show", "--date", "2999-01-01"],
                    ["day", "report", "--date", "2999-01-01", "--out", str(tmp_path / "r.pdf")]):
        r = run_cli(*command, env=env)
        assert r.returncode == 2
        assert r.stderr == f"error: 2999-01-01 has not begun: the current business day is {current}\n"
    assert not (tmp_path / "r.pdf").exists()
    assert run_cli("day", "show", "--date", current, env=env).returncode == 0


def test_a_badly_written_date_is_a_usage_error(station):
    station.close()
    env = cli_env(station.data_dir)
    for text, message in (("2026/11/21", "a day is written YYYY-MM-DD, e.g. 2026-11-21; got '2026/11/21'"),
                          ("2026-13-01", "2026-13-01 is not a calendar date")):
        for command in (["day", "show"], ["day", "close", "--supervisor", "x", "--pin-stdin", "--yes"],
                        ["export", "--out", "out", "--allow-open"]):
            r = run_cli(*command, "--date", text, env=env, stdin="")
            assert r.returncode == 2 and r.stderr == f"error: {message}\n", (command, r.stderr)
