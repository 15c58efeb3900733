"""The CLI as a user types it: one clear line on errors, never a traceback."""

import json
import sqlite3

import pytest


def _init(cli, d):
    r = cli("init", "--data-dir", str(d), "--station-id", "S-01", "--district", "210102", "--office", "和平区大厅")
    assert r.returncode == 0, r.stderr
    return r


def test_init_creates_config_database_and_private_key(cli, tmp_path):
    d = tmp_path / "st"
    _init(cli, d)
    assert (d / "station.toml").is_file() and (d / "station.db").is_file()
    assert (d / "keys" / "station.key").stat().st_mode & 0o777 == 0o600
    assert (d / "keys" / "station.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_init_refuses_an_existing_station_with_exit_2(cli, tmp_path):
    d = tmp_path / "st"
    _init(cli, d)
    before = (d / "station.toml").read_bytes()
    r = cli("init", "--data-dir", str(d), "--station-id", "S-02", "--district", "210102", "--office", "x")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "already exists" in r.stderr
    assert (d / "station.toml").read_bytes() == before


def test_init_validates_the_district_code(cli, tmp_path):
    r = cli("init", "--data-dir", str(tmp_path / "st"), "--station-id", "S", "--district", "999999", "--office", "x")
    assert r.returncode == 2 and "GB/T 2260" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "st" / "station.toml").exists()


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--timezone", "Mars/Base", "error: --timezone Mars/Base is not a known time zone, e.g. Asia/Shanghai\n"),
    ("--timezone", "../etc", "error: --timezone ../etc is not a known time zone, e.g. Asia/Shanghai\n"),
    ("--lang", "fr", "error: --lang must be zh_CN or en, not fr\n"),
])
def test_init_names_a_bad_option_not_a_station_toml_that_does_not_exist(cli, tmp_path, option, value, message):
    r = cli("init", "--data-dir", str(tmp_path / "st"), "--station-id", "S", "--district", "210102", "--office", "x",
            option, value)
    assert r.returncode == 2 and r.stderr == message
    assert not (tmp_path / "st").exists()


def test_data_dir_comes_from_the_environment(cli, tmp_path):
    from tests.conftest import cli_env

    d = tmp_path / "envst"
    env = cli_env(COUNTER_DATA_DIR=str(d))
    r = cli("init", "--station-id", "S", "--district", "210102", "--office", "x", env=env)
    assert r.returncode == 0, r.stderr
    assert cli("journal", "verify", env=env).returncode == 0


def test_clerk_add_list_disable(cli, tmp_path):
    d = tmp_path / "st"
    _init(cli, d)
    r = cli("clerk", "add", "阿依古丽·买买提", "--role", "supervisor", "--pin-stdin", "--data-dir", str(d),
            input="246810\n")
    assert r.returncode == 0, r.stderr
    r = cli("clerk", "list", "--json", "--data-dir", str(d))
    clerks = json.loads(r.stdout)
    assert clerks[0]["name"] == "阿依古丽·买买提" and clerks[0]["role"] == "supervisor"
    # once there is a supervisor, changes need one's PIN (the last active supervisor cannot be disabled)
    sup = ("--supervisor", "阿依古丽·买买提", "--pin-stdin", "--data-dir", str(d))
    assert cli("clerk", "add", "𠮷田", *sup, input="246810\n135790\n").returncode == 0
    assert cli("clerk", "disable", "𠮷田", *sup, input="246810\n").returncode == 0
    listed = {c["name"]: c for c in json.loads(cli("clerk", "list", "--json", "--data-dir", str(d)).stdout)}
    assert listed["𠮷田"]["active"] is False and listed["阿依古丽·买买提"]["active"] is True
    # the PIN is stored only as an Argon2id hash, and never in the journal
    conn = sqlite3.connect(d / "station.db")
    (pin_hash,) = conn.execute("SELECT pin_hash FROM clerk_credentials").fetchone()
    assert pin_hash.startswith("$argon2id$") and "246810" not in pin_hash
    assert not conn.execute("SELECT count(*) FROM journal WHERE payload LIKE '%246810%'").fetchone()[0]


def test_bad_pin_and_bad_role_are_one_line_errors(cli, tmp_path):
    d = tmp_path / "st"
    _init(cli, d)
    r = cli("clerk", "add", "x", "--pin-stdin", "--data-dir", str(d), input="12\n")
    assert r.returncode != 0 and "4 to 12 digits" in r.stderr and "Traceback" not in r.stderr
    r = cli("clerk", "add", "x", "--role", "boss", "--pin-stdin", "--data-dir", str(d), input="1234\n")
    assert r.returncode != 0 and "clerk or supervisor" in r.stderr and "Traceback" not in r.stderr


def test_journal_verify_exit_codes_and_first_bad_seq(cli, tmp_path):
    d = tmp_path / "st"
    _init(cli, d)
    for name in ("甲", "乙", "丙"):
        cli("clerk", "add", name, "--pin-stdin", "--data-dir", str(d), input="1234\n")
    r = cli("journal", "verify", "--data-dir", str(d))
    assert r.returncode == 0 and "4 entries" in r.stdout
    conn = sqlite3.connect(d / "station.db", isolation_level=None)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("UPDATE journal SET payload = replace(payload, '乙', '丁') WHERE seq = 3")
    conn.close()
    r = cli("journal", "verify", "--data-dir", str(d))
    assert r.returncode == 1 and "seq 3" in r.stderr and "edited" in r.stderr


def test_journal_show_json(cli, tmp_path):
    d = tmp_path / "st"
    _init(cli, d)
    cli("clerk", "add", "𠮷田", "--pin-stdin", "--data-dir", str(d), input="1234\n")
    lines = cli("journal", "show", "--json", "--since", "1", "--data-dir", str(d)).stdout.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["seq"] == 2 and entry["kind"] == "clerk.added" and entry["payload"]["name"] == "𠮷田"


def test_journal_rebuild_keeps_projections_identical(cli, tmp_path):
    d = tmp_path / "st"
    _init(cli, d)
    cli("clerk", "add", "甲", "--pin-stdin", "--data-dir", str(d), input="1234\n")
    cli("clerk", "disable", "甲", "--data-dir", str(d))
    r = cli("journal", "rebuild", "--data-dir", str(d))
    assert r.returncode == 0 and "identical" in r.stdout


@pytest.mark.parametrize("number", ["11010519491231002x", "110105491231002"])
def test_id_check_valid(cli, number):
    r = cli("id", "check", number, "--json")
    assert r.returncode == 0
    out = json.loads(r.stdout)
    assert out["valid"] and out["number"] == "11010519491231002X" and out["sex"] == "F"


def test_id_check_invalid_names_the_reason(cli):
    r = cli("id", "check", "110105194912310021")
    assert r.returncode == 1
    assert r.stderr.strip() == "error: invalid ID number: check character is 1, expected X: a digit was mistyped"


def test_commands_without_a_station_say_what_to_do(cli, tmp_path):
    r = cli("journal", "verify", "--data-dir", str(tmp_path / "none"))
    assert r.returncode == 2 and "counter init" in r.stderr and "Traceback" not in r.stderr


def test_a_foreign_database_is_refused_in_one_line(cli, tmp_path):
    d = tmp_path / "st"
    _init(cli, d)
    (d / "station.db").unlink()
    (d / "station.db").write_bytes(b"not a database" * 100)
    r = cli("journal", "verify", "--data-dir", str(d))
    assert r.returncode == 1 and "not a SQLite database" in r.stderr and "Traceback" not in r.stderr


def test_unknown_config_key_is_refused(cli, tmp_path):
    d = tmp_path / "st"
    _init(cli, d)
    with open(d / "station.toml", "a") as fh:
        fh.write("\n[policy]\nextension_window_dayz = 10\n")
    r = cli("config", "show", "--data-dir", str(d))
    assert r.returncode == 2 and "unknown key extension_window_dayz" in r.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["id", "check", "11010519491231002X", "--data-dir", "x"],
     "error: No such option: --data-dir (see 'counter id check --help')\n"),
    (["day", "show"], "error: Missing option '--date'. (see 'counter day show --help')\n"),
    (["nosuch"], "error: No such command 'nosuch'. (see 'counter --help')\n"),
    (["journal", "show", "--since", "-5"],
     "error: Invalid value for '--since': Input should be greater than or equal to 0"
     " (see 'counter journal show --help')\n"),
    (["hq", "serve", "--db", "sqlite:///x.db", "--key-dir", "k", "--port", "70000"],
     "error: Invalid value for '--port': Input should be less than or equal to 65535"
     " (see 'counter hq serve --help')\n"),
    (["journal", "show", "--limit", "many"],
     "error: Invalid value for '--limit': Input should be a valid integer, unable to parse string as an integer"
     " (see 'counter journal show --help')\n"),
])
def test_usage_errors_are_one_line_too(cli, args, message):
    """Typer drew a multi-line box for these."""
    r = cli(*args)
    assert r.returncode == 2 and r.stderr == message and r.stdout == ""


def test_a_group_alone_still_shows_its_help(cli):
    r = cli("clerk")
    assert r.returncode == 2 and "Usage: counter clerk" in r.stderr + r.stdout and "error:" not in r.stderr


def test_pin_without_a_terminal_asks_for_pin_stdin(cli, tmp_path):
    _init(cli, tmp_path / "st")
    r = cli("clerk", "add", "王芳", "--data-dir", str(tmp_path / "st"), input="")
    assert r.returncode == 2
    assert r.stderr == "error: cannot ask for the PIN: standard input is not a terminal; pass --pin-stdin\n"


@pytest.mark.parametrize("command", [
    ["init", "--station-id", "S", "--district", "210102", "--office", "x"],
    ["demo", "seed", "--count", "3"],
])
def test_a_file_in_place_of_the_data_dir_is_one_line(cli, tmp_path, command):
    """Was an internal error (FileExistsError) with a crash report."""
    in_the_way = tmp_path / "station"
    in_the_way.write_text("not a directory")
    r = cli(*command, "--data-dir", str(in_the_way))
    assert r.returncode == 2
    assert r.stderr == f"error: cannot create the data directory {in_the_way}: a file of that name is in the way\n"
    assert in_the_way.read_text() == "not a directory"


def test_clerk_list_on_a_new_station_says_what_to_do(cli, tmp_path):
    _init(cli, tmp_path / "st")
    r = cli("clerk", "list", "--data-dir", str(tmp_path / "st"))
    assert r.returncode == 0
    assert r.stdout == "no clerks yet; add a supervisor: counter clerk add NAME --role supervisor\n"
    assert cli("clerk", "list", "--json", "--data-dir", str(tmp_path / "st")).stdout.strip() == "[]"


@pytest.mark.parametrize("command", [
    ["devices", "check", "--clerk-id", "nobody"],
    ["print", "test", "--clerk", "nobody"],
    ["print", "retry", "anyjob", "--clerk", "nobody"],
])
def test_an_unknown_clerk_id_is_refused_before_anything_is_journaled(cli, tmp_path, command):
    """These recorded 'nobody' as the clerk of journal entries."""
    d = tmp_path / "st"
    _init(cli, d)
    before = cli("journal", "show", "--json", "--data-dir", str(d)).stdout
    r = cli(*command, "--data-dir", str(d))
    assert r.returncode == 2
    assert r.stderr == "error: no clerk with id 'nobody' at this station; the ids are in 'counter clerk list'\n"
    assert cli("journal", "show", "--json", "--data-dir", str(d)).stdout == before


@pytest.mark.parametrize("command", [["run"], ["demo"]])
def test_an_unknown_ui_language_is_one_line_before_the_ui_starts(cli, tmp_path, command):
    """The TUI raised ValueError for --lang fr: an internal error with a crash report."""
    _init(cli, tmp_path / "st")
    r = cli(*command, "--lang", "fr", "--data-dir", str(tmp_path / "st"), input="")
    assert r.returncode == 2 and r.stderr == "error: --lang must be zh_CN or en, not fr\n"
