"""`counter doctor` against a real pcscd (the suite's private one) with the vpcd driver's "Virtual PCD" reader."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import cli_env, run_cli
from tests.devices.pcscd import SOCKET_ENV

pytestmark = pytest.mark.pcsc


def doctor(data_dir, env=None):
    proc = run_cli("doctor", "--json", "--data-dir", str(data_dir), env=env)
    return proc, {c["name"]: c for c in json.loads(proc.stdout)["checks"]}


def init(directory, **options):
    from counter.station import Station

    Station.init(directory, "W1", "210102", "x", **options).close()
    return directory


def test_a_virtual_reader_on_a_production_station_is_an_error(stack, tmp_path):
    station = init(tmp_path / "prod")  # [reader] kind = "pcsc": a production station
    proc, checks = doctor(station)
    assert checks["pcscd"]["status"] == "ok"
    vpcd = checks["vpcd"]
    assert vpcd["status"] == "error" and "'Virtual PCD 00 00'" in vpcd["detail"]
    assert "apt-get purge vsmartcard-vpcd" in vpcd["fix"]
    assert proc.returncode == 1


def test_a_virtual_reader_on_a_demo_station_is_fine(stack, tmp_path):
    station = init(tmp_path / "demo", reader={"kind": "simulated"})
    proc, checks = doctor(station)
    assert checks["vpcd"]["status"] == "ok" and "demo" in checks["vpcd"]["detail"]
    assert checks["pcscd"]["status"] == "skip"


def test_pcscd_not_running_is_an_error_with_its_fix(stack, tmp_path):
    station = init(tmp_path / "prod")
    nowhere = cli_env(**{SOCKET_ENV: str(tmp_path / "no-pcscd" / "pcscd.comm")})
    proc, checks = doctor(station, env=nowhere)
    assert proc.returncode == 1
    assert checks["pcscd"]["status"] == "error" and "not running" in checks["pcscd"]["detail"]
    assert "pcscd" in checks["pcscd"]["fix"]
    assert os.environ[SOCKET_ENV] != nowhere[SOCKET_ENV]
