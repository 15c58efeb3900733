"""Station ids matched whole, station.toml range-checked at load, argv that is not UTF-8 refused in one line."""

import sqlite3

import pytest


def _init(cli, d, station_id="S-01"):
    return cli("init", "--data-dir", str(d), "--station-id", station_id, "--district", "210102", "--office", "x")


def test_the_one_station_id_check():
    from counter.domain.station_id import is_station_id

    assert is_station_id("S-01") and is_station_id("A" * 32)
    for bad in ("S1\n", "S1\r\n", "\nS1", "-S1", "A" * 33, "", "S 1", "Ｓ1", "S1\u200f", None, 7):
        assert not is_station_id(bad), repr(bad)


@pytest.mark.parametrize("station_id", ["S1\n", "S-01\n"])
def test_init_refuses_a_station_id_with_a_trailing_newline(cli, tmp_path, station_id):
    d = tmp_path / "st"
    r = _init(cli, d, station_id)
    assert r.returncode == 2 and r.stderr.startswith("error: station id") and r.stderr.count("\n") == 1
    assert not (d / "station.toml").exists()


def test_hq_enroll_refuses_a_station_id_with_a_trailing_newline(cli, tmp_path):
    d = tmp_path / "st"
    assert _init(cli, d).returncode == 0
    db = tmp_path / "hq.db"
    url = f"sqlite:///{db}"
    assert cli("hq", "init", "--db", url, "--key-dir", str(tmp_path / "hqkeys")).returncode == 0
    r = cli("hq", "enroll", "--db", url, "--station-id", "S-01\n", "--public-key", str(d / "keys" / "station.pub"))
    assert r.returncode == 2 and r.stderr.startswith("error: station id") and r.stderr.count("\n") == 1
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM hq_stations").fetchone()[0] == 0
    conn.close()
    r = cli("hq", "enroll", "--db", url, "--station-id", "S-01", "--public-key", str(d / "keys" / "station.pub"))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(("section", "line", "key"), [
    ("security", "pin_lockout_minutes = -1", "pin_lockout_minutes"),
    ("security", "max_failed_pins = 0", "max_failed_pins"),
    ("security", "idle_lock_minutes = -5", "idle_lock_minutes"),
    ("sync", "interval_seconds = -30", "interval_seconds"),
    ("sync", "batch_size = 0", "batch_size"),
    ("sync", 'hq_url = "ftp://hq"', "hq_url"),
    ("printer", "timeout_seconds = 0", "timeout_seconds"),
    ("printer", 'kind = "usbb"', "kind"),
    ("reader", 'kind = "pcsx"', "kind"),
    ("policy", "registration_deadline_days = -7", "registration_deadline_days"),
    ("policy", "permit_validity_years = [1, -2]", "permit_validity_years"),
    ("policy", "holidays = [2026-10-01]", "holidays"),
    ("export", 'age_recipient = "hello"', "age_recipient"),
])
def test_station_toml_values_are_range_checked_at_load(cli, tmp_path, section, line, key):
    d = tmp_path / "st"
    assert _init(cli, d).returncode == 0
    toml = d / "station.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f"\n[{section}]\n{line}\n", encoding="utf-8")
    for args in (("config", "show"), ("journal", "verify")):
        r = cli(*args, "--data-dir", str(d))
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stderr.startswith(f"error: {toml}: [{section}] {key} ") and r.stderr.count("\n") == 1


def test_station_toml_station_id_is_matched_whole(cli, tmp_path):
    d = tmp_path / "st"
    assert _init(cli, d).returncode == 0
    toml = d / "station.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('id = "S-01"', 'id = "S-01\\n"'), encoding="utf-8")
    r = cli("config", "show", "--data-dir", str(d))
    assert r.returncode == 2 and r.stderr.startswith(f"error: {toml}: [station] id ")


@pytest.mark.parametrize(("section", "key", "lowest", "below"), [
    ("security", "idle_lock_minutes", "0", "-1"),  # 0 = never lock, as documented
    ("security", "max_failed_pins", "1", "0"),
    ("security", "pin_lockout_minutes", "1", "0"),
    ("sync", "batch_size", "1", "0"),
    ("policy", "holidays", '["2026-10-01"]', '["2026-13-01"]'),
])
def test_the_lowest_allowed_value_loads_and_the_one_below_does_not(cli, tmp_path, section, key, lowest, below):
    d = tmp_path / "st"
    assert _init(cli, d).returncode == 0
    toml = d / "station.toml"
    original = toml.read_text(encoding="utf-8")
    toml.write_text(original + f"\n[{section}]\n{key} = {lowest}\n", encoding="utf-8")
    r = cli("config", "show", "--data-dir", str(d))
    assert r.returncode == 0, r.stderr
    toml.write_text(original + f"\n[{section}]\n{key} = {below}\n", encoding="utf-8")
    r = cli("config", "show", "--data-dir", str(d))
    assert r.returncode == 2 and r.stderr.startswith(f"error: {toml}: [{section}] {key} ")


@pytest.mark.parametrize("args", [
    ("id", "check", b"\xff"),
    ("clerk", "add", b"\xe5\x90", "--pin-stdin"),
    ("init", "--station-id", b"S\xff1", "--district", "210102", "--office", "x"),
])
def test_argv_that_is_not_utf8_is_one_error_line_with_exit_2(cli, tmp_path, args):
    r = cli(*args, "--data-dir", str(tmp_path / "st"), input="1234\n")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: argument ") and "not valid UTF-8" in r.stderr and r.stderr.count("\n") == 1
    assert not list(tmp_path.glob("st/*"))


def test_hq_import_matches_the_bundle_station_id_whole():
    """The station id a bundle's manifest names, read before its signature is checked, is matched whole."""
    from counter.hq.bundle_import import _unverified_manifest
    from counter.sync.bundle import BundleError

    good = _unverified_manifest({"manifest.json": b'{"station_id": "S-01", "key_id": "k1"}'})
    assert good == {"station_id": "S-01", "key_id": "k1"}
    for bad in (b'"S-01\\n"', b'"S-01\\r"', b"7", b'"S-01\\u202e"'):
        with pytest.raises(BundleError, match="no valid station id"):
            _unverified_manifest({"manifest.json": b'{"station_id": ' + bad + b', "key_id": "k1"}'})
