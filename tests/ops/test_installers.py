"""The installers, run for real into a temp prefix from the wheel the suite builds; units checked by systemd."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

import pytest

from tests.conftest import REPO

DEPLOY = REPO / "counter" / "deploy"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    (built,) = dist.glob("counter-*.whl")
    return built


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def run(script, *args, env=None):
    return subprocess.run(["bash", str(DEPLOY / script), *args], capture_output=True, text=True, timeout=900,
                          env=env or {k: v for k, v in os.environ.items() if not k.startswith(("COUNTER_", "VIRTUAL"))})


def test_a_dry_run_changes_nothing(tmp_path, wheel):
    prefix = tmp_path / "root"
    out = run("install-hq.sh", "--prefix", str(prefix), "--wheel", str(wheel), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "would run: python3 -m venv" in out.stdout and "counter-hq.service" in out.stdout
    assert not prefix.exists()
    bad = run("install-hq.sh", "--bogus")
    assert bad.returncode == 1 and bad.stderr.strip() == "error: unknown option --bogus; see --help"


def test_hq_and_station_install_into_a_prefix_and_the_units_verify(tmp_path, wheel):
    prefix = tmp_path / "root"
    hq = run("install-hq.sh", "--prefix", str(prefix), "--wheel", str(wheel))
    assert hq.returncode == 0, hq.stdout + hq.stderr
    counter = prefix / "opt" / "counter" / "bin" / "counter"
    version = subprocess.run([str(counter), "hq", "migrate", "--help"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and "schema" in version.stdout
    where = subprocess.run([str(prefix / "opt" / "counter" / "bin" / "python"), "-c",
                            "import counter; print(counter.__file__)"], capture_output=True, text=True,
                           cwd=tmp_path, env={"PATH": os.environ["PATH"]})
    assert where.stdout.startswith(str(prefix / "opt" / "counter")), where  # the wheel, not the checkout
    assert mode(prefix / "var" / "lib" / "counter-hq") == 0o700
    assert mode(prefix / "etc" / "counter-hq") == 0o700
    env_file = prefix / "etc" / "counter-hq" / "hq.env"
    assert mode(env_file) == 0o600 and "PGPASSFILE=" in env_file.read_text()
    from urllib.parse import urlparse

    db_line = next(line for line in env_file.read_text().splitlines() if line.startswith("COUNTER_HQ_DB="))
    assert urlparse(db_line.split("=", 1)[1]).password is None  # no password in the URL
    unit = prefix / "etc" / "systemd" / "system" / "counter-hq.service"
    text = unit.read_text()
    for setting in ("Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict",
                    "EnvironmentFile=/etc/counter-hq/hq.env", "User=counter-hq"):
        assert setting in text

    env_file.write_text("COUNTER_HQ_DB=sqlite:////var/lib/counter-hq/hq.db\n")
    again = run("install-hq.sh", "--prefix", str(prefix), "--wheel", str(wheel))  # an upgrade: same command
    assert again.returncode == 0 and "hq.env exists: kept" in again.stdout
    assert env_file.read_text() == "COUNTER_HQ_DB=sqlite:////var/lib/counter-hq/hq.db\n"

    station = run("install-station.sh", "--prefix", str(prefix), "--wheel", str(wheel))
    assert station.returncode == 0, station.stdout + station.stderr
    assert os.readlink(prefix / "usr" / "local" / "bin" / "counter") == "/opt/counter/bin/counter"
    assert mode(prefix / "var" / "lib" / "counter") == 0o700
    assert mode(prefix / "etc" / "counter" / "station.env") == 0o600
    pcsc = subprocess.run([str(prefix / "opt" / "counter" / "bin" / "python"), "-c", "import smartcard"],
                          capture_output=True, text=True)
    assert pcsc.returncode == 0, pcsc.stderr

    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is absent")
    # the units resolve against the prefix as their root: the binary, users aside (none exist there)
    for name in ("counter-hq.service", "counter-backup.service", "counter-backup.timer"):
        path = prefix / "etc" / "systemd" / "system" / name
        checked = subprocess.run(["systemd-analyze", f"--root={prefix}", "verify", str(path)],
                                 capture_output=True, text=True, timeout=60)
        problems = [line for line in (checked.stdout + checked.stderr).splitlines()
                    if name.split(".")[0] in line and "not executable" in line or "Unknown" in line
                    or "Invalid" in line or "Failed to parse" in line]
        assert not problems, problems
