"""Benchmark: HQ's journal ingest (projection off) against a raw insert of the same rows (issue 15).

    python3 tests/bench/ingest.py [--persons 40000] [--stations 8] [--batch-size 500] [--rounds 2]
                                  [--only postgresql|sqlite]

Generates signed, hash-chained station journals with tests/bench/register.py's generator, then for
each backend ingests every batch through counter.hq.ingest.ingest_batch(project=False) (checkpoint
signature, chain recomputation, overlap/fork rules, business flags, insert, cursor, signed ack) into
a fresh HQ database, and in the same run writes the same journal rows into a plain table, one
transaction per batch: COPY on PostgreSQL (a private cluster), executemany on SQLite (same pragmas
as HQ's store). Prints entries/s of each and the ratio ingest time / baseline time; with --rounds N
each figure is the best of N (the machine is shared). Also prints a COPY into HQ's own hq_journal (its
hash partitions and primary key), which shows what the schema alone costs over the plain table. Not a test: nothing asserts a speed.
Goal on PostgreSQL: ingest <= 1.3x COPY (the journal half of issue 15's <= 2.5x with the projection).
"""

from __future__ import annotations

import argparse
import glob
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from counter.hq import admin  # noqa: E402
from counter.hq.store import JOURNAL_COLUMNS, open_store  # noqa: E402
from tests.bench.hq_load import open_enrolled, send_batches  # noqa: E402
from tests.bench.register import journals, make_batches  # noqa: E402
from tests.sync.fixtures import PgCluster  # noqa: E402

CPU: dict[str, float] = {}  # label -> this process's CPU seconds (best round): the client's own share
PLAIN_COLUMNS = ("station_id TEXT, seq BIGINT, uuid TEXT, business_day TEXT, device_time_utc TEXT,"
                 " monotonic_ns BIGINT, boot_id TEXT, clerk_id TEXT, kind TEXT, schema_ver INTEGER, payload TEXT,"
                 " prev_hash TEXT, hash TEXT, batch_id BIGINT, received_at TEXT, flags TEXT")


def _rows(b) -> list[tuple]:
    return [(b.station_id, e["seq"], e["uuid"], e["business_day"], e["device_time_utc"], e["monotonic_ns"],
             e["boot_id"], e["clerk_id"], e["kind"], e["schema_ver"], e["payload"], e["prev_hash"], e["hash"], 1,
             "2026-01-01T00:00:00.000000Z", None) for e in b.entries]


def ingest(url: str, key_dir: Path, keys: dict, batches: list, label: str) -> float:
    store = open_enrolled(url, key_dir, keys)
    cpu = time.process_time()
    seconds = send_batches(store, batches, label, project=False)
    CPU[label.split(",")[0]] = min(CPU.get(label.split(",")[0], 1e9), time.process_time() - cpu)
    with store.transaction() as tx:
        stored = tx.one("SELECT count(*) FROM hq_journal")[0]
    store.close()
    total = sum(len(b.entries) for b in batches)
    assert stored == total, f"HQ holds {stored} entries, expected {total}"
    return seconds


def pg_copy(url: str, batches: list, table: str = "plain_journal") -> float:
    """Seconds to COPY every batch's rows into `table`: the plain table (created here), or HQ's own hq_journal
    (partitioned, primary key) of a fresh HQ database: what the schema alone costs."""
    import psycopg

    cols = ", ".join(JOURNAL_COLUMNS)
    if table == "hq_journal":
        open_store(url).init_schema()
    with psycopg.connect(url, autocommit=True) as conn:
        if table == "plain_journal":
            conn.execute(f"CREATE TABLE plain_journal ({PLAIN_COLUMNS})")
        cpu = time.process_time()
        started = time.perf_counter()
        for b in batches:  # one transaction per batch, like ingest
            with conn.transaction(), conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                for row in _rows(b):
                    cp.write_row(row)
        seconds = time.perf_counter() - started
        if table == "plain_journal":
            CPU["PostgreSQL COPY"] = min(CPU.get("PostgreSQL COPY", 1e9), time.process_time() - cpu)
        return seconds


def sqlite_executemany(path: Path, batches: list) -> float:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"CREATE TABLE plain_journal ({PLAIN_COLUMNS})")
    sql = (f"INSERT INTO plain_journal ({', '.join(JOURNAL_COLUMNS)})"
           f" VALUES ({', '.join('?' * len(JOURNAL_COLUMNS))})")
    cpu = time.process_time()
    started = time.perf_counter()
    for b in batches:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, _rows(b))
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    CPU["SQLite executemany"] = min(CPU.get("SQLite executemany", 1e9), time.process_time() - cpu)
    conn.close()
    return seconds


def report(backend: str, baseline: str, total: int, ingest_s: float, base_s: float) -> None:
    print(f"{backend}: ingest (projection off) {total / ingest_s:9,.0f} entries/s ({ingest_s:.2f} s);"
          f" {baseline} {total / base_s:9,.0f} entries/s ({base_s:.2f} s); ingest / {baseline}: {ingest_s / base_s:.2f}x")
    mine, theirs = CPU[f"{backend} ingest"], CPU[f"{backend} {baseline}"]
    print(f"  this process's CPU per entry: ingest {mine / total * 1e6:.1f} us, {baseline} {theirs / total * 1e6:.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=40_000)
    parser.add_argument("--stations", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="counter-bench-ingest-"))
    key_dir = root / "hqkeys"
    admin.init_keys(key_dir)
    t0 = time.perf_counter()
    entries, _ = journals(args.persons, args.stations, random.Random(args.seed))
    keys, batches = make_batches(root, entries, args.batch_size)
    total = sum(len(b.entries) for b in batches)
    print(f"{total} entries from {args.stations} stations in {len(batches)} batches of {args.batch_size}"
          f" (generated in {time.perf_counter() - t0:.0f} s)")

    if args.only != "sqlite":
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise SystemExit("PostgreSQL server binaries are absent (/usr/lib/postgresql/*/bin/initdb)")
        cluster = PgCluster(Path(found[-1]).parent)
        cluster.start()
        try:
            ingest_s, copy_s, hq_copy_s = [], [], []
            for r in range(args.rounds):
                print(f"  PostgreSQL COPY, round {r + 1}", file=sys.stderr)
                copy_s.append(pg_copy(cluster.create_database(), batches))
                hq_copy_s.append(pg_copy(cluster.create_database(), batches, "hq_journal"))
                ingest_s.append(ingest(cluster.create_database(), key_dir, keys, batches,
                                       f"PostgreSQL ingest, round {r + 1}"))
            report("PostgreSQL", "COPY", total, min(ingest_s), min(copy_s))
            print(f"  COPY into HQ's own hq_journal (hash partitions, primary key): {total / min(hq_copy_s):,.0f}"
                  f" entries/s ({min(hq_copy_s):.2f} s), {min(hq_copy_s) / min(copy_s):.2f}x the plain COPY;"
                  f" ingest / that: {min(ingest_s) / min(hq_copy_s):.2f}x")
        finally:
            cluster.stop()

    if args.only != "postgresql":
        ingest_s, base_s = [], []
        for r in range(args.rounds):
            base_s.append(sqlite_executemany(root / f"plain-{r}.db", batches))
            ingest_s.append(ingest(f"sqlite:///{root / f'hq-{r}.db'}", key_dir, keys, batches,
                                   f"SQLite ingest, round {r + 1}"))
        report("SQLite", "executemany", total, min(ingest_s), min(base_s))


if __name__ == "__main__":
    main()
