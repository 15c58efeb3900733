"""Benchmark: station -> HQ sync throughput, and PostgreSQL ingest against a raw COPY.

    python3 tests/bench/sync.py [--stations 4] [--entries 5000] [--batch-size 500] [--only signing]

Prints, for each backend, entries/s synced end to end (station SQLite -> httpx
-> uvicorn -> ingest -> HQ database, with HQ's signed ack stored back), and for
PostgreSQL the in-process ingest time of the same rows against a raw COPY into
a plain table (same-run baseline, as a ratio).

Request signing (issue 10 item 4): HQ's in-process ingest rate of the same
batches with each request signed and authenticated (RFC 9421 verification and
the nonce row) against plain ingest_batch on a fresh database of the same
backend, as a ratio; and the time to verify one signed request against one bare
Ed25519 verification. `--only signing` runs just these, on SQLite.
Not a test: nothing asserts a speed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from counter.hq import admin  # noqa: E402
from counter.hq.ingest import ingest_batch  # noqa: E402
from counter.hq.store import JOURNAL_COLUMNS, open_store  # noqa: E402
from counter.sync.client import _build_batch, sync_once  # noqa: E402
from db import journal  # noqa: E402
from tests.sync.fixtures import HQServer, PgCluster, enroll_station, fill, make_station  # noqa: E402


def make_stations(root: Path, count: int, entries: int, key_dir: Path, prefix: str):
    stations = []
    for n in range(count):
        st = make_station(root, f"{prefix}-{n}", "", key_dir)
        fill(st, entries - 1)
        stations.append(st)
    return stations


def end_to_end(url: str, key_dir: Path, stations, batch_size: int) -> float:
    store = open_store(url, admin.load_key(key_dir))
    store.init_schema()
    for st in stations:
        enroll_station(store, st)
    server = HQServer(url, key_dir).start()
    try:
        for st in stations:
            st.config.section("sync")["hq_url"] = server.url
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(stations)) as pool:
            results = list(pool.map(lambda s: sync_once(s, batch_size=batch_size), stations))
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
        store.close()
    bad = [r.error for r in results if not r.ok]
    if bad:
        raise SystemExit(f"sync failed: {bad[0]}")
    return sum(r.pushed for r in results) / elapsed


def ingest_vs_copy(cluster: PgCluster, key_dir: Path, stations, batch_size: int) -> tuple[float, float, int]:
    """Seconds for ingest_batch of every batch vs a raw COPY of the same rows into a plain table."""
    import psycopg

    batches = []
    for st in stations:
        cursor, digest = 0, journal.GENESIS_HASH
        head, _ = journal.head(st.db)
        while cursor < head:
            b = _build_batch(st, cursor, digest, batch_size, lambda: datetime.now(UTC))
            batches.append(b)
            cursor, digest = b.last_seq, b.head_hash
    total = sum(len(b.entries) for b in batches)

    store = open_store(cluster.create_database(), admin.load_key(key_dir))
    store.init_schema()
    for st in stations:
        enroll_station(store, st)
    started = time.perf_counter()
    for b in batches:
        ingest_batch(store, b)
    ingest_s = time.perf_counter() - started
    store.close()

    rows = []
    for b in batches:
        for e in b.entries:
            rows.append((b.station_id, e["seq"], e["uuid"], e["business_day"], e["device_time_utc"], e["monotonic_ns"],
                         e["boot_id"], e["clerk_id"], e["kind"], e["schema_ver"], e["payload"], e["prev_hash"],
                         e["hash"], 1, "2026-01-01T00:00:00.000000Z", None))
    url = cluster.create_database()
    cols = ", ".join(JOURNAL_COLUMNS)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE plain_journal (station_id TEXT, seq BIGINT, uuid TEXT, business_day TEXT,"
                     " device_time_utc TEXT, monotonic_ns BIGINT, boot_id TEXT, clerk_id TEXT, kind TEXT,"
                     " schema_ver INTEGER, payload TEXT, prev_hash TEXT, hash TEXT, batch_id BIGINT,"
                     " received_at TEXT, flags TEXT)")
        started = time.perf_counter()
        for i in range(0, len(rows), batch_size):  # one transaction per batch, like ingest
            with conn.transaction(), conn.cursor() as cur, cur.copy(f"COPY plain_journal ({cols}) FROM STDIN") as cp:
                for row in rows[i:i + batch_size]:
                    cp.write_row(row)
        copy_s = time.perf_counter() - started
    return ingest_s, copy_s, total


def _batches(stations, batch_size: int) -> list:
    batches = []
    for st in stations:
        cursor, digest = 0, journal.GENESIS_HASH
        head, _ = journal.head(st.db)
        while cursor < head:
            b = _build_batch(st, cursor, digest, batch_size, lambda: datetime.now(UTC))
            batches.append(b)
            cursor, digest = b.last_seq, b.head_hash
    return batches


def signing_overhead(url_factory, key_dir: Path, stations, batch_size: int) -> tuple[float, float, int]:
    """Seconds to ingest every batch plainly, and with each request signed then authenticated first."""
    from counter.hq import auth
    from counter.request_signing import sign_request

    batches = _batches(stations, batch_size)
    keys = {st.station_id: st.key for st in stations}
    timings = []
    for signed in (False, True):
        store = open_store(url_factory(), admin.load_key(key_dir))
        store.init_schema()
        auth.ensure_schema(store)
        for st in stations:
            enroll_station(store, st)
        started = time.perf_counter()
        for b in batches:
            if signed:
                body = b.to_json().encode()
                key = keys[b.station_id]
                url = "https://hq.example/v1/batches"
                headers = sign_request(key.private, key.key_id, "POST", url, body, now=datetime.now(UTC))
                auth.authenticate(store, "POST", url, list(headers.items()), body)
            ingest_batch(store, b)
        timings.append(time.perf_counter() - started)
        store.close()
    return timings[0], timings[1], sum(len(b.entries) for b in batches)


def verify_cost(rounds: int = 2000) -> tuple[float, float]:
    """Microseconds to verify one signed request (no database) and one bare Ed25519 signature."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from counter.request_signing import sign_request, verify_request

    key = Ed25519PrivateKey.generate()
    body = b'{"entries": []}' * 2000  # ~30 kB, a typical batch body
    url = "https://hq.example/v1/batches"
    requests = [list(sign_request(key, "K1", "POST", url, body, now=datetime.now(UTC)).items()) for _ in range(rounds)]
    public = key.public_key()
    started = time.perf_counter()
    for headers in requests:
        verify_request("POST", url, headers, body, lookup=lambda _kid: public, now=datetime.now(UTC))
    request_s = (time.perf_counter() - started) / rounds
    message, signature = b"x" * 200, key.sign(b"x" * 200)
    started = time.perf_counter()
    for _ in range(rounds):
        public.verify(signature, message)
    bare_s = (time.perf_counter() - started) / rounds
    return request_s * 1e6, bare_s * 1e6


def print_signing(root: Path, key_dir: Path, stations, batch_size: int, url_factory, backend: str) -> None:
    plain_s, signed_s, total = signing_overhead(url_factory, key_dir, stations, batch_size)
    print(f"{backend} ingest, plain:                  {total / plain_s:9.0f} entries/s ({plain_s:.2f} s)")
    print(f"{backend} ingest, signed requests:        {total / signed_s:9.0f} entries/s ({signed_s:.2f} s)")
    print(f"{backend} signed / plain ingest rate ratio: {plain_s / signed_s:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--only", choices=("signing",), help="run only the request-signing figures (SQLite)")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="counter-bench-"))
    key_dir = root / "hqkeys"
    admin.init_keys(key_dir)
    print(f"{args.stations} stations x {args.entries} entries, batch size {args.batch_size}")

    stations = make_stations(root / "a", args.stations, args.entries, key_dir, "SQ")
    request_us, bare_us = verify_cost()
    print(f"verify one signed request (30 kB body): {request_us:7.1f} us; bare Ed25519 verify {bare_us:5.1f} us"
          f" (ratio {request_us / bare_us:.1f}x)")
    counter = iter(range(1000))
    print_signing(root, key_dir, stations, args.batch_size,
                  lambda: f"sqlite:///{root / f'sign-{next(counter)}.db'}", "SQLite")
    if args.only == "signing":
        return
    rate_sqlite = end_to_end(f"sqlite:///{root / 'hq.db'}", key_dir, stations, args.batch_size)
    print(f"end to end, HQ on SQLite:     {rate_sqlite:9.0f} entries/s")

    cluster = PgCluster(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])
    cluster.start()
    try:
        stations_pg = make_stations(root / "b", args.stations, args.entries, key_dir, "PG")
        rate_pg = end_to_end(cluster.create_database(), key_dir, stations_pg, args.batch_size)
        print(f"end to end, HQ on PostgreSQL: {rate_pg:9.0f} entries/s")
        ingest_s, copy_s, total = ingest_vs_copy(cluster, key_dir, stations_pg, args.batch_size)
        print(f"PostgreSQL in-process ingest_batch: {total / ingest_s:9.0f} entries/s ({ingest_s:.2f} s)")
        print(f"PostgreSQL raw COPY, plain table:   {total / copy_s:9.0f} entries/s ({copy_s:.2f} s)")
        print(f"ingest / raw COPY time ratio: {ingest_s / copy_s:.1f}x")
        print_signing(root, key_dir, stations_pg, args.batch_size, cluster.create_database, "PostgreSQL")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
