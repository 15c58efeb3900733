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
    # An isolated environment: the wheel and the dependencies its metadata names, nothing from the
    # system site or from .venv. pip's cache (and the index, for what it lacks) supplies them.
    venv.EnvBuilder(system_site_packages=False, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                                "--disable-pip-version-check", str(wheel)],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COUNTER_DATA_DIR")}
    where = subprocess.run([str(py), "-c", "import counter, templates, typer; "
                            "print(counter.__file__, templates.__file__, typer.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, check=True)
    # The package and its dependencies both come from the fresh environment.
    assert where.stdout.split() and all(path.startswith(str(env_dir)) for path in where.stdout.split())
    assert str(REPO) not in where.stdout

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
