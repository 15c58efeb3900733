"""Benchmark: export one closed day of 5,000 transactions, against writing the same JSONL plainly.

    python3 tests/bench/export.py [--count 5000] [--repeat 5]

The day is made through the services area's real engine (counter.services.perform) with
print jobs journaled in the printing area's kinds (tests/dayclose/seed.py), because
`counter demo seed` is not on this branch yet. Seeding runs in one transaction with
synchronous=OFF (test data only) and is not timed.

Baseline (same run): read the same journal segment and write it as canonical JSONL to a
file with fsync: no chain check, gzip, report, signature, archive or rename.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from counter.services import (
    dayclose,
    export,  # noqa: E402
)
from counter.sync import bundle as day_bundle  # noqa: E402
from db import journal  # noqa: E402
from db.connection import write_transaction  # noqa: E402
from tests.dayclose.seed import SUPERVISOR, make_station, seed_day  # noqa: E402

DAY = "2026-11-18"


def baseline(station, first: int, last: int, path: Path) -> None:
    with open(path, "wb") as fh:
        for e in journal.entries(station.db, first - 1, last):
            fh.write(journal.canonical_json(dict(vars(e))).encode() + b"\n")
        fh.flush()
        os.fsync(fh.fileno())


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="counter-bench-export-"))
    station = make_station(root / "station")
    t0 = time.perf_counter()
    station.db.conn.execute("PRAGMA synchronous=OFF")
    with write_transaction(station.db):
        seed_day(station, DAY, args.count, failed_prints=12)
    station.db.conn.execute("PRAGMA synchronous=FULL")
    seed_s = time.perf_counter() - t0
    dayclose.close_day(station, DAY, *SUPERVISOR)
    first, last, _ = export.segment(station, DAY, allow_open=False)
    print(f"day {DAY}: {args.count} transactions, journal seq {first}-{last} ({last - first + 1} entries);"
          f" seeded in {seed_s:.1f} s (services engine, not timed)")

    out = root / "out"
    export.export_day(station, DAY, out)  # warm-up: fonts, imports
    from printing.report import render_day_report

    report = dayclose.report_data(dayclose.reconcile(station, DAY))
    base_ms, export_ms, verify_ms, report_ms = [], [], [], []
    for _ in range(args.repeat):
        base_ms.append(timed(lambda: baseline(station, first, last, root / "plain.jsonl")))
        export_ms.append(timed(lambda: export.export_day(station, DAY, out)))
        data = next(out.glob("*.tar")).read_bytes()
        verify_ms.append(timed(lambda data=data: day_bundle.verify_bundle(data, station.key.public)))
        report_ms.append(timed(lambda: render_day_report(report)))
    plain = (root / "plain.jsonl").stat().st_size
    size = len(data)
    b, x = statistics.median(base_ms), statistics.median(export_ms)
    print(f"baseline  plain JSONL write+fsync: {b:8.1f} ms  ({plain / 1e6:.2f} MB)")
    print(f"export    signed bundle:           {x:8.1f} ms  ({size / 1e6:.2f} MB)  ratio {x / b:.1f}x baseline")
    print(f"  report PDF render alone:         {statistics.median(report_ms):8.1f} ms")
    print(f"verify    every byte + chain:      {statistics.median(verify_ms):8.1f} ms")
    print(f"median of {args.repeat} runs")
    station.close()


if __name__ == "__main__":
    main()
