"""templates/ ships inside the wheel and is found at run time, away from the checkout."""

import os
import subprocess
import sys
import venv

from tests.conftest import REPO


def test_wheel_installs_and_reads_templates_outside_the_checkout(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(dist), str(REPO)], check=True, capture_output=True, timeout=300)
    (wheel,) = dist.glob("counter-*.whl")
    env_dir = tmp_path / "venv"
    # Dependencies come from the system site; the package itself only from the wheel.
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COUNTER_DATA_DIR")}
    where = subprocess.run([str(py), "-c", "import counter, templates; print(counter.__file__, templates.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, check=True)
    assert str(env_dir) in where.stdout and str(REPO) not in where.stdout

    def counter(*args):
        return subprocess.run([str(env_dir / "bin" / "counter"), *args], capture_output=True, text=True,
                              cwd=elsewhere, env=env, timeout=120)

    listing = counter("config", "templates")
    assert listing.returncode == 0, listing.stderr
    assert "policy/default.toml" in listing.stdout
    station = tmp_path / "st"
    assert counter("init", "--data-dir", str(station), "--station-id", "W1", "--district", "210102",
                   "--office", "x").returncode == 0
    shown = counter("config", "show", "--json", "--data-dir", str(station))
    assert shown.returncode == 0, shown.stderr
    assert '"extension_window_days": 30' in shown.stdout  # read from the shipped template
