"""Benchmark: `counter journal show --json` masking, against printing the same entries unmasked.

A demo station is seeded (real services, real payloads with ID numbers, phones, addresses); both runs
read every entry and render it as JSON, one with counter.masking.mask_payload applied. Prints entries
per second for each and the ratio (masked / unmasked time).

Run: python3 tests/bench/journal_show.py [--count N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def render(station, masked: bool) -> tuple[int, float]:
    from counter.masking import mask_payload
    from db import journal

    start = time.perf_counter()
    n = 0
    for e in journal.entries(station.db):
        d = e.as_dict()
        d["payload"] = mask_payload(e.data) if masked else e.data
        json.dumps(d, ensure_ascii=False)
        n += 1
    return n, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300, help="transactions to seed")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from counter.station import Station
    from tests.conftest import run_cli

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "st"
        r = run_cli("demo", "seed", "--count", str(args.count), "--data-dir", str(d))
        if r.returncode:
            sys.exit(r.stderr)
        station = Station.open(d)
        plain, masked = [], []
        for _ in range(args.rounds):
            n, t = render(station, False)
            plain.append(t)
            _, t = render(station, True)
            masked.append(t)
        p, m = statistics.median(plain), statistics.median(masked)
        print(f"entries: {n}")
        print(f"unmasked (baseline): {n / p:,.0f} entries/s")
        print(f"masked:              {n / m:,.0f} entries/s")
        print(f"ratio masked/unmasked time: {m / p:.2f}")


if __name__ == "__main__":
    main()
