"""Benchmark: the operations figures of issue 17.

    python3 tests/bench/ops.py [--entries 100000] [--transactions 2000] [--workers 2] [--pg-entries 20000]

Prints:
- station disk per 10,000 service transactions (seeded through the service layer; measured on
  --transactions and scaled), the database file after a checkpoint;
- HQ RSS per worker: `counter hq serve --workers N` on PostgreSQL, each worker's VmRSS after it
  ingested a station's journal, against the same interpreter idle (`python -c` sleeping);
- disk per million entries on PostgreSQL: pg_total_relation_size of HQ's tables after ingesting
  --pg-entries entries (scaled to 1,000,000), against the entries' own payload bytes;
- restore-from-HQ time of a station with --entries entries (fetch, verify every hash and
  signature, write, rebuild projections) against `counter journal verify` of the same journal
  on the station (a ratio);
- `counter backup` time of the live station against `sqlite3 .backup` of the same file (a ratio).
Not a test: nothing asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from counter import clerks, sync  # noqa: E402
from counter.hq import admin  # noqa: E402
from counter.hq.store import open_store  # noqa: E402
from tests.sync.fixtures import HQServer, PgCluster, cli_env, fill, make_station  # noqa: E402


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def workers_of(pid: int) -> list[int]:
    """uvicorn's worker processes (multiprocessing spawn children), not its resource tracker."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


def station_disk(root: Path, transactions: int) -> None:
    from counter.services.seed import seed

    st = make_station(root, "DISK-01")
    clerks.add_clerk(st, "王芳", "supervisor", "2468")
    seed(st, transactions, clerk=clerks.find_clerk(st, "王芳"))
    st.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    entries = st.db.conn.execute("SELECT count(*) FROM journal").fetchone()[0]
    size = sum(p.stat().st_size for p in st.data_dir.rglob("*") if p.is_file())
    st.close()
    per = size * 10_000 / transactions
    print(f"station disk: {size / 1e6:.1f} MB for {transactions} transactions ({entries} journal entries)"
          f" -> {per / 1e6:.0f} MB per 10,000 transactions")


def hq_figures(root: Path, key_dir: Path, workers: int, pg_entries: int) -> None:
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        print("HQ figures: skipped (no PostgreSQL server binaries)")
        return
    cluster = PgCluster(Path(found[-1]).parent)
    cluster.start()
    try:
        url = cluster.create_database()
        store = open_store(url, admin.load_key(key_dir))
        store.init_schema()
        st = make_station(root, "PG-01", "", key_dir)
        fill(st, pg_entries - 1)
        admin.enroll(store, st.station_id, st.key.public_pem())
        server = HQServer(url, key_dir, workers=workers).start()
        try:
            st.config.section("sync")["hq_url"] = server.url
            assert sync.sync_once(st, batch_size=1000).ok
            pids = workers_of(server.proc.pid)
            time.sleep(0.5)
            worker_rss = [rss_kib(p) for p in pids]
        finally:
            server.stop()
        idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
        time.sleep(0.5)
        idle_rss = rss_kib(idle.pid)
        idle.wait()
        print(f"HQ RSS per worker ({workers} workers, PostgreSQL, after ingest): "
              + ", ".join(f"{r / 1024:.0f} MiB" for r in worker_rss)
              + f" (bare python: {idle_rss / 1024:.0f} MiB)")
        with store.transaction() as tx:
            total = float(tx.one("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                                 " WHERE c.relname LIKE 'hq\\_%' AND c.relkind IN ('r', 'p')")[0])
            payload = float(tx.one("SELECT sum(octet_length(payload)) FROM hq_journal")[0])
        entries = pg_entries
        print(f"HQ disk on PostgreSQL: {total / 1e6:.1f} MB for {entries} entries -> "
              f"{total * 1_000_000 / entries / 1e9:.2f} GB per million entries"
              f" ({total / payload:.1f}x the payload bytes)")
        st.close()
        store.close()
    finally:
        cluster.stop()


def restore_and_backup(root: Path, key_dir: Path, entries: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{root / 'hq.db'}"
    store = open_store(db_url, admin.load_key(key_dir))
    store.init_schema()
    st = make_station(root, "BIG-01", "", key_dir)
    fill(st, entries - 1)
    admin.enroll(store, st.station_id, st.key.public_pem())
    server = HQServer(db_url, key_dir).start()
    env = cli_env()
    try:
        st.config.section("sync")["hq_url"] = server.url
        st.config.save()
        assert sync.sync_once(st, batch_size=2000).ok
        started = time.perf_counter()
        verify = subprocess.run([sys.executable, "-m", "counter", "journal", "verify", "--data-dir",
                                 str(st.data_dir)], capture_output=True, text=True, env=env, cwd=REPO)
        verify_s = time.perf_counter() - started
        assert verify.returncode == 0, verify.stderr

        new_dir = root / "new-pc"
        args = [sys.executable, "-m", "counter", "init", "--restore-from-hq", server.url, "--station-id",
                st.station_id, "--hq-public-key", str(key_dir / "hq.pub"), "--data-dir", str(new_dir)]
        subprocess.run(args, capture_output=True, env=env, cwd=REPO, check=True)
        admin.rekey(store, st.station_id, (new_dir / "keys" / "station.pub").read_bytes(), reason="bench",
                    approved_by="bench")
        started = time.perf_counter()
        restored = subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO)
        restore_s = time.perf_counter() - started
        assert restored.returncode == 0, restored.stderr
        print(f"restore from HQ, {entries} entries: {restore_s:.1f} s; journal verify of the same journal:"
              f" {verify_s:.1f} s (ratio {restore_s / verify_s:.1f}x)")
    finally:
        server.stop()

    import pyrage

    recipient = str(pyrage.x25519.Identity.generate().to_public())
    out = root / "b.tar.age"
    started = time.perf_counter()
    made = subprocess.run([sys.executable, "-m", "counter", "backup", "--out", str(out), "--encrypt-to", recipient,
                           "--data-dir", str(st.data_dir)], capture_output=True, text=True, env=env, cwd=REPO)
    backup_s = time.perf_counter() - started
    assert made.returncode == 0, made.stderr
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(st.data_dir / "station.db"), f".backup {root / 'plain.db'}"], check=True)
    plain_s = time.perf_counter() - started
    size = (st.data_dir / "station.db").stat().st_size
    print(f"counter backup of the live station ({size / 1e6:.0f} MB db, encrypted, with process start):"
          f" {backup_s:.2f} s; sqlite3 .backup: {plain_s:.2f} s (ratio {backup_s / plain_s:.1f}x)")
    st.close()
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-entries", type=int, default=20_000)
    parser.add_argument("--only", choices=("disk", "hq", "restore"))
    args = parser.parse_args()
    os.environ.pop("COUNTER_DATA_DIR", None)
    from counter.hq.admin import init_keys

    with tempfile.TemporaryDirectory(prefix="counter-bench-ops-") as tmp:
        root = Path(tmp)
        key_dir = root / "hqkeys"
        init_keys(key_dir)
        if args.only in (None, "disk"):
            station_disk(root / "disk", args.transactions)
        if args.only in (None, "hq"):
            hq_figures(root / "hq", key_dir, args.workers, args.pg_entries)
        if args.only in (None, "restore"):
            restore_and_backup(root / "restore", key_dir, args.entries)


if __name__ == "__main__":
    main()
