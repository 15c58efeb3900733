"""Benchmark: journal appends and `counter id check` start-up, each against a same-run baseline.

Run: python3 tests/bench/journal.py [--appends N] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

PAYLOAD = {"service": "residence_registration", "name": "阿依古丽·买买提", "masked_id": "650102********123X",
           "address": "辽宁省沈阳市和平区南京北街 12 号 3-2-1", "proofs": ["rental_contract"]}


def bench_appends(n: int, directory: Path) -> tuple[float, float]:
    from counter.station import Station
    from db.journal import canonical_json

    station = Station.init(directory / "st", "BENCH-1", "210102", "bench")
    start = time.perf_counter()
    for i in range(n):
        station.record("bench.note", {**PAYLOAD, "i": i}, clerk_id="c1")
    journal_rate = n / (time.perf_counter() - start)
    assert station.verify_journal().ok
    station.close()

    # Baseline: a plain INSERT + COMMIT per row with the same pragmas, no hashing or signing.
    conn = sqlite3.connect(directory / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    start = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (payload) VALUES (?)", (canonical_json({**PAYLOAD, "i": i}),))
        conn.execute("COMMIT")
    raw_rate = n / (time.perf_counter() - start)
    conn.close()
    return journal_rate, raw_rate


def bench_startup(runs: int) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def wall(cmd: list[str]) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=REPO)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    baseline = wall([sys.executable, "-c", "pass"])
    id_check = wall([sys.executable, "-m", "counter", "id", "check", "11010519491231002X"])
    return id_check, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        journal_rate, raw_rate = bench_appends(args.appends, Path(tmp))
    print(f"journal appends/s (synchronous=FULL, hash chain + signed head): {journal_rate:,.0f}")
    print(f"raw sqlite3 insert+commit/s (same pragmas):                     {raw_rate:,.0f}")
    print(f"journal / raw ratio: {journal_rate / raw_rate:.2f}")
    id_check, baseline = bench_startup(args.runs)
    print(f"counter id check wall time (median of {args.runs}): {id_check * 1000:.0f} ms")
    print(f"python -c pass wall time (median of {args.runs}):   {baseline * 1000:.0f} ms")
    print(f"id check / python start ratio: {id_check / baseline:.1f}")


if __name__ == "__main__":
    main()
