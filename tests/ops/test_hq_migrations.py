"""HQ schema migrations: a fresh database and a migrated one end up the same; newer ones are refused."""

from __future__ import annotations

import sqlite3

import pytest

from counter.hq import migrations
from counter.hq.store import SCHEMA_VERSION, StoreError, open_store, schema_statements
from tests.sync.fixtures import cli_env, run_cli


def columns(store) -> dict[str, list[tuple]]:
    """table -> sorted (column, type-ish, notnull) on either backend."""
    with store.transaction() as tx:
        if store.dialect == "sqlite":
            tables = [r[0] for r in tx.all("SELECT name FROM sqlite_master WHERE type = 'table'"
                                           " AND name NOT LIKE 'sqlite_%'")]
            return {t: sorted((r[1], r[2].upper(), r[3]) for r in tx.all(f"PRAGMA table_info({t})")) for t in tables}
        rows = tx.all("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
                      " WHERE table_schema = current_schema() AND table_name NOT LIKE 'hq_journal_p%'")
    out: dict[str, list[tuple]] = {}
    for table, column, kind, nullable in rows:
        out.setdefault(table, []).append((column, kind, nullable))
    return {t: sorted(c) for t, c in out.items()}


def indexes(store) -> set[str]:
    with store.transaction() as tx:
        if store.dialect == "sqlite":
            return {r[0] for r in tx.all("SELECT name FROM sqlite_master WHERE type = 'index'"
                                         " AND name NOT LIKE 'sqlite_%'")}
        return {r[0] for r in tx.all("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                                     " AND tablename NOT LIKE 'hq_journal_p%'")}


def make_version_1(store) -> None:
    """What the first HQ release created: no alarm count, no nonce table, schema_version 1."""
    with store.transaction() as tx:
        for statement in schema_statements(store.dialect):
            tx.execute(statement)
        tx.execute("DROP TABLE hq_alarms")
        identity = ("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" if store.dialect == "postgresql"
                    else "INTEGER PRIMARY KEY AUTOINCREMENT")
        tx.execute(f"CREATE TABLE hq_alarms (alarm_id {identity}, station_id TEXT NOT NULL, kind TEXT NOT NULL,"
                   " detail TEXT NOT NULL, created_at TEXT NOT NULL)")
        tx.execute("CREATE INDEX hq_alarms_station ON hq_alarms(station_id)")
        tx.execute("INSERT INTO hq_alarms (station_id, kind, detail, created_at) VALUES ('W1', 'fork', 'x', 't')")
        tx.execute("UPDATE hq_meta SET value = '1'")


@pytest.fixture
def empty_url(backend, tmp_path, request) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'hq.db'}"
    return request.getfixturevalue("pg_cluster").create_database()


def test_the_migration_set_is_numbered_from_2_without_gaps():
    found = migrations.all_migrations()
    assert [m.version for m in found] == list(range(2, SCHEMA_VERSION + 1))
    assert all(m.summary and callable(m.upgrade) for m in found)
    assert migrations.BASELINE_VERSION <= SCHEMA_VERSION


def test_a_fresh_database_is_the_newest_version_and_equals_a_migrated_version_1(empty_url, backend, tmp_path,
                                                                                   request):
    fresh = open_store(empty_url)
    assert fresh.init_schema() is True
    assert fresh.schema_version() == SCHEMA_VERSION
    assert fresh.pending_migrations() == []
    fresh.require_schema()

    old_url = (f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite"
               else request.getfixturevalue("pg_cluster").create_database())
    old = open_store(old_url)
    make_version_1(old)
    with pytest.raises(StoreError, match="older than this software .*counter hq migrate"):
        old.require_schema()
    assert [m.version for m in old.pending_migrations()] == list(range(2, SCHEMA_VERSION + 1))
    done = old.migrate()
    assert [m.version for m in done] == list(range(2, SCHEMA_VERSION + 1))
    assert old.schema_version() == SCHEMA_VERSION
    old.require_schema()
    assert columns(old) == columns(fresh)
    assert indexes(old) == indexes(fresh)
    with old.transaction() as tx:  # the data survived
        assert tx.all("SELECT station_id, kind, count, last_at FROM hq_alarms") == [("W1", "fork", 1, "t")]
    assert old.migrate() == []  # idempotent
    fresh.close()
    old.close()


def test_hq_migrate_cli_lists_applies_and_refuses_a_newer_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url)
    make_version_1(store)
    store.close()
    env = cli_env()
    dry = run_cli("hq", "migrate", "--db", url, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert f"schema 1; this software needs {SCHEMA_VERSION}" in dry.stdout
    assert "0002 hq_alarms.count" in dry.stdout
    assert open_store(url).schema_version() == 1  # a dry run changes nothing

    refused = run_cli("hq", "status", "--db", url, env=env)
    assert refused.returncode == 1
    assert "counter hq migrate" in refused.stderr and "Traceback" not in refused.stderr

    done = run_cli("hq", "migrate", "--db", url, env=env)
    assert done.returncode == 0, done.stderr
    assert f"schema 1 -> {SCHEMA_VERSION}" in done.stdout and "0002" in done.stdout
    again = run_cli("hq", "migrate", "--db", url, env=env)
    assert "nothing to do" in again.stdout
    assert run_cli("hq", "status", "--db", url, env=env).returncode == 0

    conn = sqlite3.connect(tmp_path / "hq.db")
    conn.execute("UPDATE hq_meta SET value = ?", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    for args in (("hq", "migrate", "--db", url), ("hq", "status", "--db", url), ("hq", "init", "--db", url,
                                                                                   "--key-dir", str(tmp_path / "k"))):
        newer = run_cli(*args, env=env)
        assert newer.returncode != 0, args
        lines = newer.stderr.strip().splitlines()
        assert len(lines) == 1 and "newer than this software" in lines[0], newer.stderr
    assert open_store(url).schema_version() == SCHEMA_VERSION + 1  # untouched


def test_a_failing_migration_leaves_the_last_completed_version(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url)
    make_version_1(store)
    real = migrations.all_migrations()

    def broken(tx):
        tx.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("disk full")

    faulty = [real[0], migrations.Migration(3, "0003_broken", "broken", broken), *real[2:]]
    monkeypatch.setattr(migrations, "all_migrations", lambda: faulty)
    with pytest.raises(RuntimeError):
        store.migrate()
    assert store.schema_version() == 2
    with store.transaction() as tx:
        assert tx.one("SELECT 1 FROM sqlite_master WHERE name = 'half_done'") is None
    store.close()
