"""Files holding personal data or keys are 0600 in 0700 directories, under umask 022 in an existing 0755 directory."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from counter import files
from tests.conftest import run_cli
from tests.dayclose.conftest import PAST_DAY, cli_env
from tests.dayclose.seed import SUPERVISOR, make_station, seed_day


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def umask_022():
    old = os.umask(0o022)  # the CLI subprocesses inherit it
    yield
    os.umask(old)


@pytest.fixture
def open_dir(tmp_path) -> Path:
    directory = tmp_path / "station"
    directory.mkdir()
    os.chmod(directory, 0o755)
    return directory


def test_init_into_an_open_directory_tightens_it_says_so_and_creates_every_file_private(open_dir):
    made = run_cli("init", "--data-dir", str(open_dir), "--station-id", "W1", "--district", "210102",
                   "--office", "x")
    assert made.returncode == 0, made.stderr
    said = [line for line in made.stdout.splitlines() if "readable by others" in line]
    assert said == [f"{open_dir} was readable by others (mode 755); now 0700: it holds personal data"]
    # Something written, so SQLite has its -wal and -shm.
    assert run_cli("clerk", "add", "王𠮷", "--role", "supervisor", "--pin-stdin", "--data-dir", str(open_dir),
                   input="4321\n").returncode == 0
    assert mode(open_dir) == 0o700 and mode(open_dir / "keys") == 0o700
    for name in ("station.db", "station.toml", "keys/station.key", "keys/station.pub"):
        assert mode(open_dir / name) == 0o600, name
    from counter.station import Station

    station = Station.open(open_dir)  # holds the database open, so -wal and -shm exist
    try:
        station.record("test.entry", {"n": 1})
        for name in ("station.db-wal", "station.db-shm"):
            assert mode(open_dir / name) == 0o600, name
    finally:
        station.close()
    again = run_cli("config", "show", "--data-dir", str(open_dir))
    assert "readable" not in again.stdout + again.stderr


def test_init_into_a_private_directory_says_nothing(tmp_path):
    directory = tmp_path / "st"
    directory.mkdir(mode=0o700)
    made = run_cli("init", "--data-dir", str(directory), "--station-id", "W1", "--district", "210102",
                   "--office", "x")
    assert made.returncode == 0 and "readable" not in made.stdout


def test_a_station_key_others_can_read_is_one_warning_line(open_dir):
    assert run_cli("init", "--data-dir", str(open_dir), "--station-id", "W1", "--district", "210102",
                   "--office", "x").returncode == 0
    key = open_dir / "keys" / "station.key"
    os.chmod(key, 0o644)
    shown = run_cli("journal", "verify", "--data-dir", str(open_dir))
    warnings = [line for line in shown.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {key} can be read by other users; run: chmod 600 {key}"]


def test_bundles_reports_and_certificates_are_private(tmp_path):
    station = make_station(tmp_path / "station")
    try:
        seed_day(station, PAST_DAY, 3)
    finally:
        station.close()
    env = cli_env(station.data_dir)
    out = tmp_path / "out"
    out.mkdir()
    os.chmod(out, 0o755)  # the operator's own directory: left as it is, the files in it private
    closed = run_cli("day", "close", "--date", PAST_DAY, "--supervisor", SUPERVISOR[0], "--pin-stdin", "--yes",
                     env=env, input=SUPERVISOR[1] + "\n")
    assert closed.returncode == 0, closed.stderr
    exported = run_cli("export", "--date", PAST_DAY, "--out", str(out), "--json", "--no-encrypt", env=env)
    assert exported.returncode == 0, exported.stderr
    assert mode(Path(json.loads(exported.stdout)["file"])) == 0o600
    report = run_cli("day", "report", "--date", PAST_DAY, "--out", str(out / "new" / "r.pdf"), env=env)
    assert report.returncode == 0, report.stderr
    assert mode(out / "new" / "r.pdf") == 0o600 and mode(out / "new") == 0o700
    cert = run_cli("cert", "sample", "--out", str(out / "c.pdf"), env=env)
    assert cert.returncode == 0, cert.stderr
    assert mode(out / "c.pdf") == 0o600
    printed = run_cli("print", "test", env=env)  # through the simulated printer: a job file with a name
    assert printed.returncode == 0, printed.stderr
    jobs = sorted((station.data_dir / "printer" / "simulated").glob("job-*.bin"))
    assert jobs and all(mode(job) == 0o600 for job in jobs)


def test_hq_database_and_keys_are_private(tmp_path):
    hq = tmp_path / "hq"
    hq.mkdir()
    os.chmod(hq, 0o755)
    made = run_cli("hq", "init", "--db", f"sqlite:///{hq}/hq.db", "--key-dir", str(hq / "keys"))
    assert made.returncode == 0, made.stderr
    assert mode(hq / "hq.db") == 0o600
    assert mode(hq / "keys") == 0o700 and mode(hq / "keys" / "hq.key") == 0o600


def test_crash_files_are_private():
    fd, path = files.crash_file()
    os.close(fd)
    try:
        assert mode(Path(path)) == 0o600 and mode(Path(path).parent) == 0o700
    finally:
        os.unlink(path)


def test_write_atomic_ignores_umask_and_replaces_whole(tmp_path):
    target = tmp_path / "a" / "b.bin"
    files.write_atomic(target, b"one")
    files.write_atomic(target, "𠮷·".encode())
    assert target.read_bytes() == "𠮷·".encode() and mode(target) == 0o600 and mode(target.parent) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["b.bin"]
