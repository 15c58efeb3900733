"""PostgreSQL specifics: hash partitions, synchronous_commit, COPY vs executemany."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from counter.hq import admin
from counter.hq.ingest import ingest_batch
from counter.hq.store import PARTITIONS, StoreError, open_store
from tests.sync.fixtures import enroll_station, fill, hq_rows, make_station, raw_batch

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(pg_cluster, hq_key_dir):
    url = pg_cluster.create_database()
    store = open_store(url, admin.load_key(hq_key_dir))
    store.init_schema()
    yield store
    store.close()


def test_journal_is_hash_partitioned_by_station(pg_store, tmp_path):
    with pg_store.transaction() as tx:
        strategy, key = tx.one(
            "SELECT p.partstrat, pg_get_partkeydef(p.partrelid) FROM pg_partitioned_table p"
            " WHERE p.partrelid = 'hq_journal'::regclass")
        parts = tx.one("SELECT count(*) FROM pg_inherits WHERE inhparent = 'hq_journal'::regclass")[0]
    assert (strategy, key, parts) == ("h", "HASH (station_id)", PARTITIONS)
    for n in range(6):
        st = make_station(tmp_path, f"P-{n}")
        fill(st, 4)
        enroll_station(pg_store, st)
        ingest_batch(pg_store, raw_batch(st, 1, 5))
        st.close()
    with pg_store.transaction() as tx:
        used = tx.one("SELECT count(DISTINCT tableoid) FROM hq_journal")[0]
        total = tx.one("SELECT count(*) FROM hq_journal")[0]
    assert total == 30 and used > 1  # rows land in several partitions


def test_synchronous_commit_is_on_and_asserted(pg_store, pg_cluster):
    assert pg_store.synchronous_commit() == "on"
    url = pg_cluster.create_database()
    dbname = url.rsplit("/", 1)[1]
    with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {dbname} SET synchronous_commit = off")
    with pytest.raises(StoreError, match="synchronous_commit is 'off'.*requires 'on'"):
        open_store(url).init_schema()


def test_copy_and_executemany_paths_store_identical_rows(pg_cluster, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "CP-1")
    fill(st, 599)
    batches = [raw_batch(st, 1, 250), raw_batch(st, 251, 600)]
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    rows, paths = {}, {}
    for use_copy in (True, False):
        store = open_store(pg_cluster.create_database(), admin.load_key(hq_key_dir))
        store.init_schema()
        enroll_station(store, st)
        for b in batches:
            ingest_batch(store, b, now=now, use_copy=use_copy)
        with store.transaction() as tx:
            rows[use_copy] = tx.all("SELECT * FROM hq_journal ORDER BY station_id, seq")
        paths[use_copy] = hq_rows(store, "CP-1")
        assert admin.verify_station(store, "CP-1").ok
        store.close()
    assert len(rows[True]) == 600
    assert rows[True] == rows[False]
    assert paths[True] == paths[False]
    st.close()


def test_default_path_choice_by_batch_size(pg_store):
    from counter.hq.store import COPY_THRESHOLD, JOURNAL_COLUMNS

    row = ("X", 1, "u", "2026-01-01", "t", 1, "b", None, "k.k", 1, "{}", "0" * 64, "1" * 64, 1, "t", None)
    assert len(row) == len(JOURNAL_COLUMNS)
    with pg_store.transaction() as tx:
        small = tx.insert_entries([row])
        big = tx.insert_entries([("X", i, *row[2:]) for i in range(2, 2 + COPY_THRESHOLD)])
        tx.execute("DELETE FROM hq_journal WHERE station_id = 'X'")
    assert (small, big) == ("executemany", "copy")


def test_both_backends_have_the_same_tables_and_columns(pg_store, tmp_path):
    import sqlite3

    lite = open_store(f"sqlite:///{tmp_path / 'hq.db'}")
    lite.init_schema()
    conn = sqlite3.connect(tmp_path / "hq.db")
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'hq_%'"
                                         " ORDER BY name")]
    sqlite_cols = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    with pg_store.transaction() as tx:
        pg_tables = [r[0] for r in tx.all("SELECT c.relname FROM pg_class c WHERE c.relname LIKE 'hq\\_%'"
                                          " AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1")]
        pg_cols = {t: [r[0] for r in tx.all("SELECT column_name FROM information_schema.columns"
                                            " WHERE table_name = ? ORDER BY ordinal_position", (t,))]
                   for t in pg_tables}
    assert tables == pg_tables
    assert {"hq_alarms", "hq_batches", "hq_journal", "hq_meta", "hq_request_nonces", "hq_station_keys",
            "hq_stations"} <= set(tables)
    assert sqlite_cols == pg_cols


def test_hq_init_cli_on_postgresql(pg_cluster, tmp_path):
    from tests.sync.fixtures import run_cli

    url = pg_cluster.create_database()
    out = run_cli("hq", "init", "--db", url, "--key-dir", str(tmp_path / "k"), check=True).stdout
    assert out.startswith(f"schema created in {url}")
    assert "already present" in run_cli("hq", "init", "--db", url, "--key-dir", str(tmp_path / "k"), check=True).stdout
    assert run_cli("hq", "status", "--db", url, check=True).stdout.strip() == "no stations enrolled"
    down = run_cli("hq", "status", "--db", f"postgresql://postgres@127.0.0.1:{pg_cluster.port + 1}/x")
    assert down.returncode == 1 and "cannot connect to PostgreSQL at postgresql://postgres@" in down.stderr
    assert "Traceback" not in down.stderr and len(down.stderr.strip().splitlines()) == 1
    # a password on the command line (where ps shows it) is refused before any connection, and not echoed
    argv = run_cli("hq", "status", "--db", f"postgresql://postgres:secret@127.0.0.1:{pg_cluster.port + 1}/x")
    assert argv.returncode == 2 and "secret" not in argv.stderr and "Traceback" not in argv.stderr


def test_postgres_going_down_under_a_running_hq_is_one_line_everywhere(hq_key_dir, tmp_path):
    """HQ used to answer 500 with psycopg's traceback in its log, and the station said 'not a counter HQ'."""
    import glob
    from pathlib import Path

    from counter.sync.client import sync_once, sync_status
    from tests.sync.fixtures import HQServer, PgCluster, fresh_hq, local_rows

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL server binaries are absent")
    cluster = PgCluster(Path(found[-1]).parent)  # a private one: this test stops it
    cluster.start()
    server = None
    try:
        url = cluster.url()
        hq = fresh_hq(url, hq_key_dir)
        st = make_station(tmp_path, "PGD-1", "", hq_key_dir)
        enroll_station(hq, st)
        hq.close()
        server = HQServer(url, hq_key_dir).start()
        st.config.section("sync")["hq_url"] = server.url
        st.config.save()
        fill(st, 3)
        assert sync_once(st).ok
        cluster.stop_server()
        fill(st, 2)
        result = sync_once(st)
        assert not result.ok and result.pending == 2
        assert result.error == (f"HQ at {server.url} failed (HTTP 503): HQ's database is unavailable; nothing was"
                                " stored, retry later; entries stay queued")
        assert sync_status(st)["error"] == result.error
        log = server.log_text()
        assert "Traceback" not in log and "HQ database error (" in log
        cluster.start_server()
        again = sync_once(st)
        assert again.ok and again.acked_seq == 6, again.error
        check = open_store(url)
        assert hq_rows(check, "PGD-1") == local_rows(st)
        check.close()
        st.close()
    finally:
        if server is not None:
            server.stop()
        cluster.stop()
