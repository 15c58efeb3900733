"""schemathesis against a real `counter hq serve` (issue 10, item 3): every check, zero failures.

Bounded for a 2-core machine: at most FUZZ_EXAMPLES cases per operation and FUZZ_SECONDS in all
(COUNTER_FUZZ_EXAMPLES / COUNTER_FUZZ_SECONDS raise them for a longer run). The run's figures are
printed: `pytest tests/sync/test_fuzz.py -s`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from counter.hq import admin
from counter.hq.store import open_store
from tests.sync.fixtures import enroll_station, fill, make_station, raw_batch

FUZZ_EXAMPLES = int(os.environ.get("COUNTER_FUZZ_EXAMPLES", "40"))
FUZZ_SECONDS = int(os.environ.get("COUNTER_FUZZ_SECONDS", "75"))


def test_schemathesis_finds_nothing_against_the_real_server(tmp_path, hq_key_dir, server_factory):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url, admin.load_key(hq_key_dir))
    store.init_schema()
    # one real station with entries at HQ, so the server holds data while it is fuzzed
    st = make_station(tmp_path, "FZ-1")
    fill(st, 9)
    enroll_station(store, st)
    from counter.hq.ingest import ingest_batch

    ingest_batch(store, raw_batch(st, 1, 10))
    server = server_factory(url, extra_args=("--rate-limit", "1000000/minute"))
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    assert cli, "schemathesis is in the test extra: pip install -e '.[test]'"
    report = tmp_path / "report"
    proc = subprocess.run(
        [cli, "run", f"{server.url}/openapi.json", "--checks", "all", "--max-examples", str(FUZZ_EXAMPLES),
         "--max-time", str(FUZZ_SECONDS), "--workers", "1", "--seed", "10", "--report", "json",
         "--report-dir", str(report), "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=FUZZ_SECONDS + 120,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    found = list(report.glob("*.json"))
    assert found, proc.stdout[-3000:] + proc.stderr[-2000:]
    result = json.loads(found[0].read_text())
    cases = result["test_cases"]
    print(f"\nschemathesis {result['schemathesis_version']}: {cases['generated']} cases, "
          f"{cases['unique_failures']} failures, {len(result['errors'])} errors, "
          f"{result['running_time']:.0f} s ({result['stop_reason']})")
    assert result["operations"]["tested"] == 9  # batches, cursor, journal, health, health/live, health/ready,
    # register search, open, permit
    assert cases["generated"] > 100
    assert (result["failures"], result["errors"], cases["unique_failures"]) == ([], [], 0), proc.stdout[-6000:]
    assert proc.returncode == 0, proc.stdout[-6000:]
    log = server.log_text()
    assert "Traceback" not in log and "Exception in ASGI" not in log
    # what HQ held before the fuzzing is untouched
    assert admin.verify_station(store, "FZ-1").ok
    assert {s["station_id"]: s["quarantined"] for s in admin.status(store)} == {"FZ-1": False}
    st.close()
    store.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
