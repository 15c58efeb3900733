import sqlite3

import pytest

from db.connection import APPLICATION_ID, DatabaseError, migration_scripts, open_database


def test_pragmas_are_set_and_asserted(tmp_path):
    db = open_database(tmp_path / "s.db", create=True)
    conn = db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.isolation_level is None


def test_migrations_set_user_version(tmp_path):
    db = open_database(tmp_path / "s.db", create=True)
    latest = migration_scripts()[-1][0]
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == latest
    db.conn.close()
    # reopening applies nothing twice
    db = open_database(tmp_path / "s.db")
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == latest


def test_missing_database_is_not_created_implicitly(tmp_path):
    with pytest.raises(DatabaseError, match="counter init"):
        open_database(tmp_path / "nope.db")
    assert not (tmp_path / "nope.db").exists()


def test_foreign_sqlite_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="another application"):
        open_database(path)
    assert path.read_bytes() == before


def test_non_sqlite_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "station.db"
    path.write_bytes(b"this is not a database at all" * 10)
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="not a SQLite database"):
        open_database(path)
    assert path.read_bytes() == before


def test_corrupt_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "station.db"
    db = open_database(path, create=True)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    # garbage over the second page (a table's b-tree page)
    data[page: 2 * page] = b"\xa5" * page
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match="integrity check|corrupt") as err:
        open_database(path)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == bytes(data)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.db"
    db = open_database(path, create=True)
    db.conn.execute("PRAGMA user_version=9999")
    db.conn.close()
    with pytest.raises(DatabaseError, match="newer than this software"):
        open_database(path)
