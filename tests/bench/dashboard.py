"""Benchmark: the dashboard's health page with 500 stations: time to first byte and full render in
Chromium (goal: <= 300 ms).

    python3 tests/bench/dashboard.py [--stations 500] [--runs 20]

HQ is the real `counter hq serve` on loopback over SQLite, with N stations (rows as enrolment leaves
them, some quarantined, some with alarms). A staff member signs in; then, median of the runs:
  - TTFB of GET /dash/health with httpx (response headers and first body chunk);
  - in Chromium (Debian's, through playwright), Navigation Timing's responseStart and loadEventEnd of
    the same page.
Baseline in the same run: TTFB of GET /v1/health (the API's bare answer), as a ratio.
Not a test: nothing asserts a speed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from counter.hq import admin, staff  # noqa: E402
from counter.hq.store import open_store  # noqa: E402
from tests.sync.fixtures import HQServer  # noqa: E402

PASSWORD = "correct horse battery"


def ttfb(client: httpx.Client, url: str) -> float:
    t = time.perf_counter()
    with client.stream("GET", url) as r:
        chunks = r.iter_raw()
        next(chunks)
        first = time.perf_counter() - t
        assert r.status_code == 200, r.status_code
        for _ in chunks:
            pass
    return first


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=500)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="counter-dash-bench-"))
    key, _ = admin.init_keys(root / "keys")
    url = f"sqlite:///{root / 'hq.db'}"
    store = open_store(url, key)
    store.init_schema()
    now = datetime.now(UTC)
    with store.transaction() as tx:
        for i in range(args.stations):
            contact = (now - timedelta(seconds=30 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            tx.execute("INSERT INTO hq_stations (station_id, cursor_seq, cursor_hash, quarantined, enrolled_at,"
                       " last_contact, last_clock_offset_s) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (f"S-{i:03d}", 1000 + i, "0" * 64, int(i % 97 == 0), contact, contact, (i % 7) - 3.0))
            if i % 13 == 0:
                tx.execute("INSERT INTO hq_alarms (station_id, kind, detail, created_at, count, last_at)"
                           " VALUES (?, 'clock', 'offset', ?, 2, ?)", (f"S-{i:03d}", contact, contact))
    staff.add_user(store, "bench", "viewer", PASSWORD)
    server = HQServer(url, root / "keys").start()
    try:
        client = httpx.Client(base_url=server.url)
        form = client.get("/dash/login")
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        r = client.post("/dash/login", data={"name": "bench", "password": PASSWORD, "csrf": csrf, "next": "/dash/health"})
        assert r.status_code == 303, r.status_code
        for _ in range(3):
            ttfb(client, "/dash/health")
            ttfb(client, "/v1/health")
        page_ttfb = statistics.median(ttfb(client, "/dash/health") for _ in range(args.runs))
        api_ttfb = statistics.median(ttfb(client, "/v1/health") for _ in range(args.runs))
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"{server.url}/dash/login")
            page.fill("#name", "bench")
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.click("#submit")
            assert page.locator("#health tbody tr").count() == args.stations
            first, full = [], []
            for _ in range(args.runs):
                page.goto(f"{server.url}/dash/health", wait_until="load")
                timing = page.evaluate("(() => { const t = performance.getEntriesByType('navigation')[0];"
                                       " return [t.responseStart - t.startTime, t.loadEventEnd - t.startTime]; })()")
                first.append(timing[0])
                full.append(timing[1])
            browser.close()
        print(f"health page, {args.stations} stations, median of {args.runs}")
        print(f"baseline GET /v1/health TTFB (httpx):    {api_ttfb * 1000:7.1f} ms")
        print(f"GET /dash/health TTFB (httpx):           {page_ttfb * 1000:7.1f} ms  ({page_ttfb / api_ttfb:.1f}x baseline)")
        print(f"Chromium time to first byte:             {statistics.median(first):7.1f} ms")
        print(f"Chromium full render (loadEventEnd):     {statistics.median(full):7.1f} ms  (goal <= 300 ms)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
