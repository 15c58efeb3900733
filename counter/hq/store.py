"""HQ storage backends: embedded SQLite and PostgreSQL (psycopg 3), one schema for both.

A store hands out transactions (`with store.transaction() as tx:`); SQL is
written once with `?` placeholders. Nothing is cached between requests, so
several server processes can share one PostgreSQL database.

SQLite runs in rollback-journal mode (not WAL) with synchronous=FULL: HQ may
have a CLI and a server process writing the same file, and SQLite 3.40's
WAL-reset bug bites exactly when two connections write concurrently.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlparse

from counter.errors import ConfigError, CounterError
from counter.hq import migrations as _migrations
from db.sql_tx import SqliteTx

# The schema version this software needs: the newest migration in counter/hq/migrations.
SCHEMA_VERSION = _migrations.latest_version()
PARTITIONS = 8
JOURNAL_COLUMNS = ("station_id", "seq", "uuid", "business_day", "device_time_utc", "monotonic_ns", "boot_id",
                   "clerk_id", "kind", "schema_ver", "payload", "prev_hash", "hash", "batch_id", "received_at",
                   "flags")
# Batches at least this long go through COPY on PostgreSQL; shorter ones through executemany.
COPY_THRESHOLD = 200
_INSERT_ENTRIES = f"INSERT INTO hq_journal ({', '.join(JOURNAL_COLUMNS)}) VALUES ({', '.join('?' * len(JOURNAL_COLUMNS))})"
_COPY_ENTRIES = f"COPY hq_journal ({', '.join(JOURNAL_COLUMNS)}) FROM STDIN"
_INSERT_BATCH = ("INSERT INTO hq_batches (station_id, key_id, first_seq, last_seq, head_hash, signature, sent_at,"
                 " received_at, clock_offset_s, inserted, duplicates) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING batch_id")
# (cursor_seq, cursor_hash, last_contact, last_clock_offset_s, station_id)
CURSOR_UPDATE = ("UPDATE hq_stations SET cursor_seq = ?, cursor_hash = ?, last_contact = ?, last_clock_offset_s = ?"
                 " WHERE station_id = ?")


class StoreError(CounterError):
    pass


def schema_statements(dialect: str) -> list[str]:
    """The HQ schema at migrations.BASELINE_VERSION (a fresh database then runs every later migration);
    the same tables and columns on both backends, only the DDL dialect differs. Frozen: change the
    schema with a new migration, never here."""
    pg = dialect == "postgresql"
    identity = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT"
    real = "DOUBLE PRECISION" if pg else "REAL"
    statements = [
        "CREATE TABLE hq_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        f"""CREATE TABLE hq_stations (
            station_id TEXT PRIMARY KEY,
            cursor_seq BIGINT NOT NULL DEFAULT 0,
            cursor_hash TEXT NOT NULL,
            quarantined INTEGER NOT NULL DEFAULT 0,
            quarantine_reason TEXT,
            enrolled_at TEXT NOT NULL,
            last_contact TEXT,
            last_clock_offset_s {real}
        )""",
        """CREATE TABLE hq_station_keys (
            station_id TEXT NOT NULL REFERENCES hq_stations(station_id),
            key_id TEXT NOT NULL,
            public_key TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'rotated', 'revoked')),
            enrolled_at TEXT NOT NULL,
            retired_at TEXT,
            PRIMARY KEY (station_id, key_id)
        )""",
        f"""CREATE TABLE hq_batches (
            batch_id {identity},
            station_id TEXT NOT NULL,
            key_id TEXT NOT NULL,
            first_seq BIGINT NOT NULL,
            last_seq BIGINT NOT NULL,
            head_hash TEXT NOT NULL,
            signature TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            clock_offset_s {real} NOT NULL,
            inserted INTEGER NOT NULL,
            duplicates INTEGER NOT NULL
        )""",
        "CREATE INDEX hq_batches_station ON hq_batches(station_id, last_seq)",
        f"""CREATE TABLE hq_journal (
            station_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            uuid TEXT NOT NULL,
            business_day TEXT NOT NULL,
            device_time_utc TEXT NOT NULL,
            monotonic_ns BIGINT NOT NULL,
            boot_id TEXT NOT NULL,
            clerk_id TEXT,
            kind TEXT NOT NULL,
            schema_ver INTEGER NOT NULL,
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            batch_id BIGINT NOT NULL,
            received_at TEXT NOT NULL,
            flags TEXT,
            PRIMARY KEY (station_id, seq)
        ){" PARTITION BY HASH (station_id)" if pg else ""}""",
        f"""CREATE TABLE hq_alarms (
            alarm_id {identity},
            station_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL,
            created_at TEXT NOT NULL,
            count BIGINT NOT NULL DEFAULT 1,
            last_at TEXT NOT NULL
        )""",
        "CREATE INDEX hq_alarms_station ON hq_alarms(station_id, kind, last_at)",
    ]
    if pg:
        statements += [
            f"CREATE TABLE hq_journal_p{i} PARTITION OF hq_journal FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {i})"
            for i in range(PARTITIONS)
        ]
    statements.append(f"INSERT INTO hq_meta (key, value) VALUES ('schema_version', '{_migrations.BASELINE_VERSION}')")
    return statements


# Upgrades of an existing HQ database: counter/hq/migrations (one numbered module per version).


class Tx(SqliteTx):
    """One open transaction; `?` placeholders on both backends."""

    def lock_schema(self) -> None:
        """Serialise schema changes (SQLite: BEGIN IMMEDIATE already holds the write lock)."""

    def pipeline(self):
        """Statements sent without waiting for each result where the backend can (PostgreSQL)."""
        return nullcontext()

    def lock_station(self, station_id: str):
        """The station's row, locked until commit (SQLite: the whole database is, by BEGIN IMMEDIATE)."""
        return self.one("SELECT station_id, cursor_seq, cursor_hash, quarantined FROM hq_stations WHERE station_id = ?",
                        (station_id,))

    _LOCK_STATION_KEY = ("SELECT s.cursor_seq, s.cursor_hash, s.quarantined, s.last_clock_offset_s, k.public_key,"
                         " k.status FROM hq_stations s LEFT JOIN hq_station_keys k ON k.station_id = s.station_id"
                         " AND k.key_id = ? WHERE s.station_id = ?")

    def lock_station_key(self, station_id: str, key_id: str):
        """Ingest's first read, one round trip: (cursor_seq, cursor_hash, quarantined, last_clock_offset_s,
        public_key, key status) with the station's row locked as by lock_station; the key's two are None
        when it is not enrolled; None for an unknown station."""
        return self.one(self._LOCK_STATION_KEY, (key_id, station_id))

    def record_batch(self, batch: Sequence, cursor: Sequence) -> int:
        """Insert the hq_batches row (its columns in _INSERT_BATCH order) and advance the station's cursor
        (CURSOR_UPDATE's parameters); returns the batch_id."""
        batch_id = self.one(_INSERT_BATCH, batch)[0]
        self.execute(CURSOR_UPDATE, cursor)
        return batch_id

    def insert_rows(self, table: str, columns: Sequence[str], rows: list[Sequence]) -> None:
        """INSERT every row (values in `columns` order), as the backend does many rows fastest."""
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                         rows)

    def insert_entries(self, rows: Iterable[tuple], *, count: int | None = None, use_copy: bool | None = None) -> str:
        """Insert journal rows (JOURNAL_COLUMNS order), taken from `rows` as they are written (it may be a
        generator that checks each entry; `count` says how many when it is not a list); returns the path used."""
        self.conn.executemany(_INSERT_ENTRIES, rows)
        return "executemany"


class PgTx(Tx):
    dialect = "postgresql"

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence = ()):
        # no parameters: pass None so a literal % in the SQL is not taken for a placeholder
        return self.conn.execute(self._sql(sql), tuple(params) or None)

    def lock_schema(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(7012017)")  # any fixed number: HQ schema changes
    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(self._sql(sql), rows)

    def pipeline(self):
        # psycopg's pipeline mode: one network round trip per sync point instead of one per statement
        return self.conn.pipeline()

    def lock_station(self, station_id: str):
        return self.one("SELECT station_id, cursor_seq, cursor_hash, quarantined FROM hq_stations"
                        " WHERE station_id = ? FOR UPDATE", (station_id,))

    _LOCK_STATION_KEY = Tx._LOCK_STATION_KEY + " FOR UPDATE OF s"

    def record_batch(self, batch: Sequence, cursor: Sequence) -> int:
        # one statement, one round trip: the cursor update rides along as a data-modifying CTE
        return self.one(f"WITH cursor_update AS ({CURSOR_UPDATE}) {_INSERT_BATCH}", (*cursor, *batch))[0]

    def insert_rows(self, table: str, columns: Sequence[str], rows: list[Sequence]) -> None:
        """One COPY: psycopg writes its rows in C, the server parses and plans nothing per row (an INSERT ...
        SELECT FROM unnest spends longer in psycopg's Python array dumper). Not inside a pipeline."""
        if len(rows) < 2:
            return super().insert_rows(table, columns, rows)
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def insert_entries(self, rows: Iterable[tuple], *, count: int | None = None, use_copy: bool | None = None) -> str:
        if use_copy is None:
            use_copy = (len(rows) if count is None else count) >= COPY_THRESHOLD  # type: ignore[arg-type]
        with self.conn.cursor() as cur:
            if use_copy:
                # one COPY per batch, each row sent as it comes: the server inserts while the next are checked
                with cur.copy(_COPY_ENTRIES) as copy:
                    write = copy.write_row
                    for row in rows:
                        write(row)
                return "copy"
            cur.executemany(_INSERT_ENTRIES.replace("?", "%s"), rows)
            return "executemany"


class Store:
    """Base: `hq_key` is HQ's SigningKey (needed to sign acks), `url` where the data lives."""

    dialect = ""

    # identical alarms within this many seconds are one row with a count (`hq serve --alarm-window`)
    alarm_window_s = 3600.0

    def __init__(self, url: str, hq_key=None):
        self.url = url
        self.hq_key = hq_key

    def transaction(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def is_initialized(self) -> bool:
        raise NotImplementedError

    def init_schema(self) -> bool:
        """Create the newest schema if absent (or migrate an older one); False when it was already there."""
        if self.is_initialized():
            self.migrate()
            return False
        with self.transaction() as tx:
            tx.lock_schema()
            if tx.one(self._TABLE_EXISTS, ("hq_meta",)) is not None:  # another process won the race
                created = False
            else:
                for statement in schema_statements(self.dialect):
                    tx.execute(statement)
                for migration in _migrations.all_migrations():
                    if migration.version > _migrations.BASELINE_VERSION:
                        migration.upgrade(tx)
                tx.execute("UPDATE hq_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
                created = True
        if not created:
            self.migrate()
        return created

    _TABLE_EXISTS = ""  # per backend: one row when the named table exists

    def schema_version(self) -> int | None:
        """The database's schema version; None without a schema. Raises StoreError on a foreign value."""
        if not self.is_initialized():
            return None
        with self.transaction() as tx:
            row = tx.one("SELECT value FROM hq_meta WHERE key = 'schema_version'")
        if row is None or not str(row[0]).isdigit():
            raise StoreError("HQ database at {url} has no readable schema version ({got}); it is not an HQ"
                             " database this software made", url=redact(self.url), got=row[0] if row else "none")
        return int(row[0])

    def pending_migrations(self) -> list:
        """The migrations this database still needs; refuses a database newer than the software."""
        version = self.schema_version()
        if version is None:
            raise StoreError("the HQ database at {url} has no schema; run 'counter hq init' first",
                             url=redact(self.url))
        if version > SCHEMA_VERSION:
            raise StoreError("HQ database schema {got} is newer than this software ({want}); upgrade the software"
                             " (counter {soft} is too old), never migrate backwards", got=version,
                             want=SCHEMA_VERSION, soft=_software_version())
        return [m for m in _migrations.all_migrations() if m.version > version]

    def migrate(self, progress=None) -> list:
        """Apply every pending migration, each in its own transaction with its version bump; returns them.

        On PostgreSQL an advisory lock makes concurrent migrators (two workers starting) wait and then
        find nothing left to do; SQLite's BEGIN IMMEDIATE does the same."""
        done = []
        for migration in self.pending_migrations():
            with self.transaction() as tx:
                tx.lock_schema()
                current = int(tx.one("SELECT value FROM hq_meta WHERE key = 'schema_version'")[0])
                if current >= migration.version:
                    continue  # another process applied it meanwhile
                if current != migration.version - 1:
                    raise StoreError("HQ database schema {got} cannot take migration {want:04d}", got=current,
                                     want=migration.version)
                migration.upgrade(tx)
                tx.execute("UPDATE hq_meta SET value = ? WHERE key = 'schema_version'", (str(migration.version),))
            done.append(migration)
            if progress:
                progress(migration)
        return done

    def _check_version(self) -> None:
        version = self.schema_version()
        if version is None:
            raise StoreError("the HQ database at {url} has no schema; run 'counter hq init' first",
                             url=redact(self.url))
        if version > SCHEMA_VERSION:
            self.pending_migrations()  # raises: newer than the software
        if version < SCHEMA_VERSION:
            raise StoreError("HQ database schema {got} is older than this software ({want}); run"
                             " 'counter hq migrate' (back it up first: see the README's upgrade steps)",
                             got=version, want=SCHEMA_VERSION)

    def require_schema(self) -> None:
        if not self.is_initialized():
            raise StoreError("the HQ database at {url} has no schema; run 'counter hq init' first",
                             url=redact(self.url))
        self._check_version()

    def close(self) -> None:
        pass


class SqliteStore(Store):
    dialect = "sqlite"
    _TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"

    def __init__(self, url: str, hq_key=None):
        super().__init__(url, hq_key)
        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise ConfigError("sqlite URL {url} names no file; use sqlite:///path/to/hq.db", url=url)
        self.path = Path(path)
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if not self.path.parent.exists():
            raise StoreError("directory {dir} for the HQ database does not exist", dir=self.path.parent)
        from counter import files

        files.private_file(self.path)  # every full ID number of the district: 0600, its -journal too
        conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA synchronous=FULL")
        if conn.execute("PRAGMA synchronous").fetchone()[0] != 2:
            raise StoreError("SQLite refused synchronous=FULL for {path}", path=self.path)
        conn.execute("PRAGMA foreign_keys=ON")
        self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def is_initialized(self) -> bool:
        if not self.path.exists():
            # Connecting would create an empty file: a mistyped --db must not leave one behind.
            if not self.path.parent.exists():
                raise StoreError("directory {dir} for the HQ database does not exist", dir=self.path.parent)
            return False
        conn = self._connect()
        return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'hq_meta'").fetchone() is not None


class PostgresStore(Store):
    dialect = "postgresql"
    _TABLE_EXISTS = "SELECT 1 WHERE to_regclass(?::text) IS NOT NULL"

    def __init__(self, url: str, hq_key=None, pool_size: int = 8):
        super().__init__(url, hq_key)
        self._pool: queue.LifoQueue = queue.LifoQueue()
        self._pool_size = pool_size

    def _connect(self):
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError("cannot connect to PostgreSQL at {url}: {why}", url=redact(self.url), why=first) from None
        # Durability: an ack must never be sent for a commit that a crash could lose.
        setting = conn.execute("SHOW synchronous_commit").fetchone()[0]
        if setting != "on":
            conn.close()
            raise StoreError("PostgreSQL synchronous_commit is {value!r} at {url}; HQ requires 'on'",
                             value=setting, url=redact(self.url))
        return conn

    @contextmanager
    def connection(self):
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        healthy = True
        try:
            yield conn
        except BaseException:
            healthy = not conn.closed and conn.info.transaction_status == 0  # IDLE
            raise
        finally:
            if healthy and not conn.closed and self._pool.qsize() < self._pool_size:
                self._pool.put(conn)
            else:
                conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.connection() as conn, conn.transaction():
            yield PgTx(conn)

    def is_initialized(self) -> bool:
        with self.connection() as conn:
            return conn.execute("SELECT to_regclass('hq_meta')").fetchone()[0] is not None

    def synchronous_commit(self) -> str:
        with self.connection() as conn:
            return conn.execute("SHOW synchronous_commit").fetchone()[0]

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


def _software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("counter")
    except PackageNotFoundError:
        return "?"


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url


def open_store(url: str, hq_key=None) -> Store:
    if url.startswith("sqlite:"):
        return SqliteStore(url, hq_key)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url, hq_key)
    raise ConfigError("database URL {url} is not supported; use sqlite:///path or postgresql://...", url=redact(url))


def iter_chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
