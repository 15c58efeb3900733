"""Open the station database: one writer connection, durable pragmas, checked at every open."""

from __future__ import annotations

import _thread
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# PRAGMA application_id marks a file as ours, so a foreign database is never touched.
APPLICATION_ID = 0x434E5452  # "CNTR"
BUSY_TIMEOUT_MS = 5000
SQLITE_HEADER = b"SQLite format 3\x00"


class Database:
    """The station database: its one sqlite3 connection, and sqlite-utils' table API built on first use.

    Importing sqlite-utils (which loads its plugins) costs more than all of `counter journal verify`,
    which only needs the connection.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._utils = None

    def execute(self, sql: str, parameters=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if self._utils is None:
            import sqlite_utils

            self._utils = sqlite_utils.Database(self.conn)
        return getattr(self._utils, name)

    def __getitem__(self, table_name: str):
        return self.table(table_name)


class DatabaseError(Exception):
    """A database that cannot be used; the message is one line for the operator."""


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _is_sqlite_file(path: Path) -> bool:
    """False for an empty file (a station being made); refuses a file that is not SQLite."""
    with path.open("rb") as fh:
        header = fh.read(16)
    if header and header != SQLITE_HEADER:
        raise DatabaseError(f"{path} is not a SQLite database; refusing to open it")
    return bool(header)


def _check_ours(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id != APPLICATION_ID and has_tables:
        raise DatabaseError(f"{path} belongs to another application; refusing to open it")


def _check_existing_file(path: Path) -> None:
    """Refuse a corrupt or foreign file, opening it read-only so it is never modified."""
    if not _is_sqlite_file(path):
        return
    try:
        ro = _read_only(path)
        try:
            _check_ours(ro, path)
            rows = [r[0] for r in ro.execute("PRAGMA quick_check(3)")]
            if rows != ["ok"]:
                detail = " ".join(" ".join(rows).split())[:160]
                raise DatabaseError(f"{path} failed its integrity check ({detail}); restore it from a backup")
        finally:
            ro.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is corrupt ({exc}); restore it from a backup") from None


def _set_and_check(conn: sqlite3.Connection, pragma: str, value: object, expect: object) -> None:
    conn.execute(f"PRAGMA {pragma}={value}")
    got = conn.execute(f"PRAGMA {pragma}").fetchone()[0]
    if str(got).lower() != str(expect).lower():
        raise DatabaseError(f"PRAGMA {pragma} is {got!r}, expected {expect!r}; is the data directory on a local disk?")


def open_database(path: str | Path, *, create: bool = False) -> Database:
    """Open (or create) the station database with the writer's pragmas asserted and migrations applied."""
    path = Path(path)
    if path.exists():
        _check_existing_file(path)
    elif not create:
        raise DatabaseError(f"no station database at {path}; run 'counter init' first")
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        _set_and_check(conn, "journal_mode", "WAL", "wal")
        _set_and_check(conn, "synchronous", "FULL", 2)
        _set_and_check(conn, "foreign_keys", "ON", 1)
        _set_and_check(conn, "busy_timeout", BUSY_TIMEOUT_MS, BUSY_TIMEOUT_MS)
        conn.execute("PRAGMA recursive_triggers=on")  # as sqlite-utils sets it on every connection it wraps
        if create and conn.execute("PRAGMA application_id").fetchone()[0] == 0:
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot open {path}: {exc}") from None
    db = Database(conn)
    migrate(db)
    return db


def open_read_only(path: str | Path) -> Database | None:
    """The station database opened read-only, for checks that read every row they need (`counter journal
    verify`): the same refusals of a foreign or missing file, but no integrity scan, no pragmas set and
    no migrations. None when its schema is older than this software, so the caller opens it for
    writing, which migrates it."""
    path = Path(path)
    if not path.exists():
        raise DatabaseError(f"no station database at {path}; run 'counter init' first")
    if not _is_sqlite_file(path):
        return None
    try:
        conn = _read_only(path)
        try:
            _check_ours(conn, path)
            current = conn.execute("PRAGMA user_version").fetchone()[0]
        except BaseException:
            conn.close()
            raise
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is corrupt ({exc}); restore it from a backup") from None
    latest = latest_schema_version()
    if current > latest:
        conn.close()
        raise DatabaseError(f"database schema {current} is newer than this software ({latest}); upgrade counter")
    if current < latest:
        conn.close()
        return None
    return Database(conn)


_locks: dict = {}
# threading is imported by the first write, not by a read-only open (`counter journal verify`)
_locks_guard = _thread.allocate_lock()


def _lock_for(db: Database):
    import threading

    with _locks_guard:
        return _locks.setdefault(id(db.conn), threading.RLock())


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """BEGIN IMMEDIATE ... COMMIT, serialised across threads; nested use joins the outer transaction."""
    lock = _lock_for(db)
    with lock:
        if db.conn.in_transaction:
            yield db
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")


@contextmanager
def savepoint(db: Database, name: str) -> Iterator[Database]:
    """A nested part of the open write transaction that an exception undoes alone (then re-raised)."""
    if not db.conn.in_transaction:
        raise RuntimeError("a savepoint belongs inside write_transaction")
    db.conn.execute(f"SAVEPOINT {name}")
    try:
        yield db
    except BaseException:
        db.conn.execute(f"ROLLBACK TO {name}")
        db.conn.execute(f"RELEASE {name}")
        raise
    db.conn.execute(f"RELEASE {name}")


def _is_migration(name: str) -> bool:
    return name.endswith(".sql") and name[:4].isdigit()


def latest_schema_version() -> int:
    """The number of the last migration shipped, from the names alone (read-only opens never run one)."""
    import os

    import db.migrations

    folder = db.migrations.__path__[0]  # the wheel ships the .sql files as files
    return max((int(name[:4]) for name in os.listdir(folder) if _is_migration(name)), default=0)


def migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every db/migrations/NNNN_name.sql, in order."""
    from importlib import resources

    scripts = []
    for item in resources.files("db.migrations").iterdir():
        name = item.name
        if _is_migration(name):
            scripts.append((int(name[:4]), name, item.read_text(encoding="utf-8")))
    return sorted(scripts)


def migrate(db: Database) -> int:
    """Apply forward migrations past PRAGMA user_version, each in its own transaction."""
    current = db.conn.execute("PRAGMA user_version").fetchone()[0]
    scripts = migration_scripts()
    latest = scripts[-1][0] if scripts else 0
    if current > latest:
        raise DatabaseError(f"database schema {current} is newer than this software ({latest}); upgrade counter")
    for version, _name, sql in scripts:
        if version <= current:
            continue
        with write_transaction(db):
            for statement in _split_sql(sql):
                db.conn.execute(statement)
            db.conn.execute(f"PRAGMA user_version={version}")
        current = version
    return current


def _split_sql(sql: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    statements, buf = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements
