"""counter/demo.sh: installs only when something it depends on changed, and refuses pipes."""

from __future__ import annotations

import subprocess

from tests.bench.demo_start import ROOT, run_demo

INSTALLING = b"installing the counter into .venv"


def test_a_second_start_does_not_install_and_reaches_the_sign_in_screen():
    run_demo()  # the first start may install (a fresh clone, or pyproject.toml changed)
    _seconds, seen = run_demo()
    assert INSTALLING not in seen and "演示柜员".encode() in seen
    stamp = (ROOT / ".venv" / ".counter-demo-installed").read_text()
    assert (ROOT / "pyproject.toml").exists() and "Python 3" in stamp


def test_demo_stations_reuse_the_cached_pin_hashes_and_the_pins_still_work(tmp_path, monkeypatch):
    import json

    from counter.services import clerks
    from counter.services.demo import DEMO_CLERK, DEMO_SUPERVISOR, PIN_HASH_CACHE, make_demo_station

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = make_demo_station(tmp_path / "one")
    cache = tmp_path / "cache" / "counter" / PIN_HASH_CACHE
    assert cache.stat().st_mode & 0o777 == 0o600 and cache.parent.stat().st_mode & 0o777 == 0o700
    second = make_demo_station(tmp_path / "two")
    stored = {r[0] for r in second.db.conn.execute("SELECT pin_hash FROM clerk_credentials")}
    assert stored == set(json.loads(cache.read_text()).values())  # reused, not hashed again
    for station in (first, second):
        assert clerks.sign_in(station, *DEMO_CLERK).clerk.name == DEMO_CLERK[0]
        assert clerks.sign_in(station, *DEMO_SUPERVISOR).clerk.role == "supervisor"
        station.close()


def test_pipes_are_refused_with_one_line_saying_why():
    proc = subprocess.run(["bash", "counter/demo.sh"], cwd=ROOT, input="", capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "real terminal" in lines[0] and "pipes" in lines[0]
    assert proc.stdout == ""


def _skeleton(tmp_path, pip_exit: int):
    """A checkout with demo.sh and a .venv whose python is a script: pip prints noise, then exits pip_exit."""
    import shutil

    root = tmp_path / "repo"
    (root / "counter").mkdir(parents=True)
    shutil.copy(ROOT / "counter" / "demo.sh", root / "counter" / "demo.sh")
    (root / "counter" / "system-packages.txt").write_text("")
    (root / "counter" / "install-system-packages.sh").write_text("exit 0\n")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text("#!/bin/sh\n"
                      'if [ "$1" = "--version" ]; then echo "Python 3.11.7"; exit 0; fi\n'
                      "echo \"WARNING: Location 'file:///opt/x' is ignored\" >&2\n"
                      f"exit {pip_exit}\n")
    counter = bin_dir / "counter"
    counter.write_text("#!/bin/sh\necho 演示柜员\nsleep 30\n")
    for script in (python, counter):
        script.chmod(0o755)
    return root


def test_pip_noise_stays_in_its_log_when_the_install_works(tmp_path):
    root = _skeleton(tmp_path, pip_exit=0)
    _seconds, seen = run_demo(root=root, timeout=60)
    assert b"is ignored" not in seen and INSTALLING in seen and "演示柜员".encode() in seen
    assert b"is ignored" in (root / ".venv" / "pip-install.log").read_bytes()


def test_a_failed_install_shows_pips_log_and_one_line_saying_so(tmp_path):
    import pytest

    root = _skeleton(tmp_path, pip_exit=1)
    with pytest.raises(SystemExit) as failed:  # the demo never reaches its sign-in screen
        run_demo(root=root, timeout=60)
    seen = str(failed.value)
    assert "is ignored" in seen and "installing the counter failed" in seen
