"""Shared test helpers: a fresh station, and the CLI run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.devices.pcscd import isolate

REPO = Path(__file__).resolve().parent.parent
# PC/SC clients of the suite talk only to the suite's own pcscd, never to one of the machine's.
isolate()

# HQ on both backends (a fresh SQLite or PostgreSQL database per test, the suite's own PostgreSQL cluster
# on loopback) and real `counter hq serve` processes, for every area: declared once, here, so that one
# cluster serves the whole session.
from tests.sync.fixtures import (  # noqa: E402, F401
    backend,
    hq_key_dir,
    hq_server,
    hq_url,
    pg_cluster,
    server_factory,
    store,
)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "COUNTER_DATA_DIR"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_cli(*args: str, input: str | None = None, env: dict | None = None, timeout: float = 120,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m counter ARGS` in a subprocess, as a user would type it."""
    return subprocess.run([sys.executable, "-m", "counter", *args], input=input, capture_output=True,
                          text=True, env=env or cli_env(), timeout=timeout, cwd=cwd or REPO)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def station_dir(tmp_path) -> Path:
    return tmp_path / "station"


@pytest.fixture
def station(station_dir):
    from counter.station import Station

    st = Station.init(station_dir, "T-01", "210102", "和平区政务服务中心")
    yield st
    st.close()
