"""`counter doctor` against a real HQ server process: reachable, clock offset, and what a station gets wrong."""

from __future__ import annotations

import json
import os

from tests.sync.fixtures import free_port, fresh_hq, make_station, run_cli


def doctor(data_dir, *extra: str):
    proc = run_cli("doctor", "--json", "--data-dir", str(data_dir), *extra)
    return proc, {c["name"]: c for c in json.loads(proc.stdout)["checks"]}


def test_doctor_reaches_a_real_hq_and_reads_its_clock(tmp_path, hq_key_dir, server_factory):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    fresh_hq(url, hq_key_dir).close()
    server = server_factory(url)
    station = make_station(tmp_path, "S1", server.url, hq_key_dir)
    station.close()
    proc, checks = doctor(station.data_dir)
    assert checks["hq"]["status"] == "ok" and server.url in checks["hq"]["detail"]
    assert checks["clock"]["status"] == "ok" and checks["clock"]["detail"].endswith("s against HQ")
    assert abs(int(checks["clock"]["detail"].split()[0])) <= 2  # same machine, same clock
    assert checks["permissions"]["status"] == "ok" and checks["disk"]["status"] == "ok"
    lines = run_cli("doctor", "--data-dir", str(station.data_dir)).stdout.splitlines()
    assert len(lines) == len(checks)  # one line per check
    assert any(line.startswith("ok    hq ") for line in lines)


def test_doctor_names_each_fault_with_its_fix_and_exits_non_zero(tmp_path, hq_key_dir):
    station = make_station(tmp_path, "S1", f"http://127.0.0.1:{free_port()}", hq_key_dir)  # nobody listens
    station.close()
    os.chmod(station.data_dir, 0o755)
    os.chmod(station.data_dir / "keys" / "station.key", 0o644)
    proc, checks = doctor(station.data_dir)
    assert proc.returncode == 1 and json.loads(proc.stdout)["ok"] is False
    assert checks["hq"]["status"] == "error" and "does not answer" in checks["hq"]["detail"]
    assert checks["hq"]["fix"]
    assert checks["clock"]["status"] == "skip"
    perms = checks["permissions"]
    assert perms["status"] == "error"
    assert f"chmod 700 {station.data_dir}" in perms["fix"]
    assert f"chmod 600 {station.data_dir / 'keys' / 'station.key'}" in perms["fix"]
    text = run_cli("doctor", "--data-dir", str(station.data_dir))
    assert text.returncode == 1 and "Traceback" not in text.stderr
    hq_line = [line for line in text.stdout.splitlines() if line.startswith("error hq ")]
    assert len(hq_line) == 1 and "; fix: " in hq_line[0]


def test_doctor_on_a_missing_station_is_one_error_line(tmp_path):
    proc = run_cli("doctor", "--data-dir", str(tmp_path / "nowhere"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert [line for line in proc.stdout.splitlines() if line.startswith("error station")] == [
        f"error station      no station in {tmp_path / 'nowhere'}; fix: counter init, or give --data-dir"]
