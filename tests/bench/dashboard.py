"""Benchmark: the dashboard's health page with 500 stations: time to first byte and full render in
Chromium (goal: <= 300 ms).

    python3 tests/bench/dashboard.py [--stations 500] [--runs 20] [--before DIR]

HQ is the real `counter hq serve` on loopback over SQLite, with N stations (rows as enrolment leaves
them, some quarantined, some with alarms). A staff member signs in; then, median of the runs:
  - TTFB of GET /dash/health with httpx (response headers and first body chunk);
  - in Chromium (Debian's, through playwright), Navigation Timing's responseStart and loadEventEnd of
    the same page.
Baseline in the same run: TTFB of GET /v1/health (the API's bare answer), as a ratio.
With --before DIR (an export of an earlier tree, e.g. `git archive main | tar -x -C DIR`), a second HQ
runs that tree's code on its own copy of the same stations, and the two are measured alternately.
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


def populate(root: Path, stations: int, tree: Path) -> tuple[str, Path]:
    """An HQ database made by `tree`'s own `counter hq init`, holding N stations and a staff account."""
    import sqlite3
    import subprocess

    from tests.sync.fixtures import cli_env

    url = f"sqlite:///{root / 'hq.db'}"

    def cli(*args: str, stdin: str | None = None) -> None:
        r = subprocess.run([sys.executable, "-m", "counter", "hq", *args], cwd=tree, env={**cli_env(), "PYTHONPATH": str(tree)}, input=stdin,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    cli("init", "--db", url, "--key-dir", str(root / "keys"))
    cli("user", "add", "bench", "--role", "viewer", "--db", url, "--password-stdin", stdin=PASSWORD + "\n")
    now = datetime.now(UTC)
    db = sqlite3.connect(root / "hq.db")
    with db:
        for i in range(stations):
            contact = (now - timedelta(seconds=30 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            db.execute("INSERT INTO hq_stations (station_id, cursor_seq, cursor_hash, quarantined, enrolled_at,"
                       " last_contact, last_clock_offset_s) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (f"S-{i:03d}", 1000 + i, "0" * 64, int(i % 97 == 0), contact, contact, (i % 7) - 3.0))
            if i % 13 == 0:
                db.execute("INSERT INTO hq_alarms (station_id, kind, detail, created_at, count, last_at)"
                           " VALUES (?, 'clock', 'offset', ?, 2, ?)", (f"S-{i:03d}", contact, contact))
    db.close()
    return url, root / "keys"


class Target:
    """One HQ server (a tree's code) with a signed-in httpx client and a signed-in browser page."""

    def __init__(self, label: str, tree: Path, stations: int):
        self.label = label
        url, keys = populate(Path(tempfile.mkdtemp(prefix="counter-dash-bench-")), stations, tree)
        self.server = HQServer(url, keys)
        self.server_cwd(tree)
        self.server.start()
        self.client = httpx.Client(base_url=self.server.url)
        form = self.client.get("/dash/login")
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        r = self.client.post("/dash/login", data={"name": "bench", "password": PASSWORD, "csrf": csrf,
                                                  "next": "/dash/health"})
        assert r.status_code == 303, r.status_code
        self.ttfb, self.api, self.first, self.full = [], [], [], []

    def server_cwd(self, tree: Path) -> None:
        import tests.sync.fixtures as fixtures

        original = fixtures.REPO
        start = self.server.start

        def start_in_tree():
            fixtures.REPO = tree  # HQServer starts `python -m counter` in REPO: this tree's code
            try:
                return start()
            finally:
                fixtures.REPO = original

        self.server.start = start_in_tree

    def open_page(self, browser) -> None:
        self.page = browser.new_page()
        self.page.goto(f"{self.server.url}/dash/login")
        self.page.fill("#name", "bench")
        self.page.fill("#password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("#submit")

    def measure(self) -> None:
        self.ttfb.append(ttfb(self.client, "/dash/health"))
        self.api.append(ttfb(self.client, "/v1/health"))
        self.page.goto(f"{self.server.url}/dash/health", wait_until="load")
        timing = self.page.evaluate("(() => { const t = performance.getEntriesByType('navigation')[0];"
                                    " return [t.responseStart - t.startTime, t.loadEventEnd - t.startTime]; })()")
        self.first.append(timing[0])
        self.full.append(timing[1])

    def report(self, stations: int) -> None:
        med = statistics.median
        size = len(self.client.get("/dash/health").content)
        print(f"[{self.label}] health page, {stations} stations, {size} bytes, median of {len(self.full)}")
        print(f"  baseline GET /v1/health TTFB (httpx):    {med(self.api) * 1000:7.1f} ms")
        print(f"  GET /dash/health TTFB (httpx):           {med(self.ttfb) * 1000:7.1f} ms"
              f"  ({med(self.ttfb) / med(self.api):.1f}x baseline)")
        print(f"  Chromium time to first byte:             {med(self.first):7.1f} ms")
        print(f"  Chromium full render (loadEventEnd):     {med(self.full):7.1f} ms  (goal <= 300 ms)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=500)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--before", type=Path, help="an earlier tree to measure alternately with this one")
    args = ap.parse_args()
    targets = [Target("this tree", REPO, args.stations)]
    if args.before:
        targets.insert(0, Target(f"before: {args.before}", args.before.resolve(), args.stations))
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for target in targets:
                target.open_page(browser)
                assert target.page.locator("#count-stations").inner_text() == str(args.stations)
                for _ in range(3):  # warm-up, not counted
                    target.measure()
                target.ttfb, target.api, target.first, target.full = [], [], [], []
            for _ in range(args.runs):
                for target in targets:
                    target.measure()
            browser.close()
        for target in targets:
            target.report(args.stations)
    finally:
        for target in targets:
            target.server.stop()


if __name__ == "__main__":
    main()
