from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dayclose.seed import make_station

REPO = Path(__file__).resolve().parents[2]
PAST_DAY = "2026-11-18"  # days in the past relative to any run of this suite
NEXT_PAST_DAY = "2026-11-19"


@pytest.fixture
def station(tmp_path):
    st = make_station(tmp_path / "station")
    yield st
    st.close()


def cli_env(data_dir: Path | None = None, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTER_")}
    env["PYTHONPATH"] = str(REPO)
    if data_dir is not None:
        env["COUNTER_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def run_cli(*args: str, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "counter", *args], cwd=REPO, env=env or cli_env(),
                          capture_output=True, text=True, timeout=120, input=stdin)
