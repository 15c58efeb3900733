"""Real components for sync tests: a private PostgreSQL cluster, HQ servers on loopback, stations.

PostgreSQL refuses to run as root, so the cluster runs as the `postgres`
system user in a temp dir that user owns (see shared PITFALLS).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from counter.hq import admin
from counter.hq.store import open_store
from counter.station import Station
from db.connection import write_transaction

REPO = Path(__file__).resolve().parents[2]
NAMES = ["𠮷", "䶮", "阿依古丽·买买提", "张三"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTER_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def run_cli(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "counter", *args], cwd=REPO, env=env or cli_env(),
                          capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"counter {' '.join(args)} failed: {proc.stderr}")
    return proc


# --- PostgreSQL ------------------------------------------------------------------------


class PgCluster:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="counter-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        os.chmod(self.base, 0o700)

    def _run(self, *cmd: str) -> None:
        proc = subprocess.run([*self.as_postgres, *cmd], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {proc.stdout}{proc.stderr}")

    def stop_server(self) -> None:
        """Stop PostgreSQL but keep its data (start_server brings it back)."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def start_server(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c max_connections=300",
                  "start")

    def start(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-instructions")
        self.start_server()

    def stop(self) -> None:
        subprocess.run([*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                        "stop"], capture_output=True, timeout=120)
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def pg_cluster():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL server binaries are absent (/usr/lib/postgresql/*/bin/initdb); CI installs postgresql-15")
    cluster = PgCluster(Path(found[-1]).parent)
    cluster.start()
    yield cluster
    cluster.stop()


# --- HQ ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hq_key_dir(tmp_path_factory) -> Path:
    key_dir = tmp_path_factory.mktemp("hqkeys")
    admin.init_keys(key_dir / "k")
    return key_dir / "k"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def hq_url(backend, tmp_path, request) -> str:
    """A fresh, initialised HQ database on the parametrised backend."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'hq.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database()
    store = open_store(url)
    store.init_schema()
    store.close()
    return url


@pytest.fixture
def store(hq_url, hq_key_dir):
    s = open_store(hq_url, admin.load_key(hq_key_dir))
    yield s
    s.close()


class HQServer:
    """`python -m counter hq serve` as a real subprocess on a free loopback port."""

    def __init__(self, db_url: str, key_dir: Path, fault: str | None = None, workers: int = 1,
                 tls: tuple[Path, Path] | None = None, extra_args: tuple[str, ...] = ()):
        self.db_url, self.key_dir, self.fault, self.workers = db_url, key_dir, fault, workers
        self.extra_args = extra_args
        self.port = free_port()
        self.tls = tls
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkdtemp(prefix="counter-hq-log-")) / "server.log"

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def start(self) -> HQServer:
        env = cli_env(**({"COUNTER_HQ_FAULT": self.fault} if self.fault else {}))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "counter", "hq", "serve", "--db", self.db_url, "--key-dir", str(self.key_dir),
             "--port", str(self.port), "--workers", str(self.workers),
             *(("--tls-cert", str(self.tls[0]), "--tls-key", str(self.tls[1])) if self.tls else ()), *self.extra_args],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=self.log_path.open("wb"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"HQ server exited: {self.log_text()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=1, verify=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("HQ server did not come up within 30 s")

    def wait_dead(self, timeout: float = 20) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def server_factory(hq_key_dir):
    """Start HQ servers on any database URL; all are stopped at test end."""
    servers: list[HQServer] = []

    def start(url: str, fault: str | None = None, workers: int = 1, extra_args: tuple[str, ...] = ()) -> HQServer:
        server = HQServer(url, hq_key_dir, fault, workers, extra_args=extra_args).start()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def hq_server(hq_url, server_factory):
    """Start HQ servers on this test's (parametrised) HQ database."""
    return lambda fault=None, workers=1: server_factory(hq_url, fault, workers)


def fresh_hq(url: str, hq_key_dir: Path):
    store = open_store(url, admin.load_key(hq_key_dir))
    store.init_schema()
    return store


# --- stations -------------------------------------------------------------------------------


def make_station(root: Path, station_id: str, hq_url_value: str = "", hq_key_dir: Path | None = None,
                 batch_size: int | None = None) -> Station:
    station = Station.init(root / station_id, station_id, "110101", "测试服务大厅")
    if hq_key_dir is not None:
        section = station.config.section("sync")
        shutil.copy(hq_key_dir / "hq.pub", station.data_dir / "keys" / "hq.pub")
        section["hq_public_key"] = "keys/hq.pub"
        section["hq_url"] = hq_url_value
        if batch_size:
            section["batch_size"] = batch_size
        station.config.save()
    return station


def fill(station: Station, count: int, kind: str = "test.entry", now: datetime | None = None,
         fast: bool = True) -> None:
    """Record `count` entries in one transaction (synchronous=OFF while filling: test data only)."""
    if fast:
        station.db.conn.execute("PRAGMA synchronous=OFF")
    try:
        with write_transaction(station.db):
            for i in range(count):
                station.record(kind, {"n": i, "name": NAMES[i % len(NAMES)], "note": "测试"}, now=now)
    finally:
        if fast:
            station.db.conn.execute("PRAGMA synchronous=FULL")


def served_station(tmp_path: Path, hq_key_dir: Path, server_factory, entries: int, *, station_id: str = "HP-01",
                   server_args: tuple[str, ...] = (), batch_size: int | None = None, sync_now: bool = True):
    """A new SQLite HQ at tmp_path/hq.db served, and one enrolled station holding `entries` entries,
    synced unless `sync_now` is False: (db_url, store, server, station)."""
    from counter.sync import client as sync_client

    db_url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = fresh_hq(db_url, hq_key_dir)
    server = server_factory(db_url, extra_args=server_args)
    station = make_station(tmp_path, station_id, server.url, hq_key_dir, batch_size=batch_size)
    enroll_station(store, station)
    fill(station, entries)
    if sync_now:
        assert sync_client.sync_once(station).ok
    return db_url, store, server, station


def enroll_station(store, station: Station) -> str:
    return admin.enroll(store, station.station_id, station.key.public_pem())


def hq_rows(store, station_id: str) -> list[tuple]:
    with store.transaction() as tx:
        return tx.all("SELECT seq, uuid, business_day, device_time_utc, monotonic_ns, boot_id, clerk_id, kind,"
                      " schema_ver, payload, prev_hash, hash FROM hq_journal WHERE station_id = ? ORDER BY seq",
                      (station_id,))


def local_rows(station: Station) -> list[tuple]:
    return [tuple(r) for r in station.db.conn.execute(
        "SELECT seq, uuid, business_day, device_time_utc, monotonic_ns, boot_id, clerk_id, kind, schema_ver,"
        " payload, prev_hash, hash FROM journal ORDER BY seq").fetchall()]


def now_utc() -> datetime:
    return datetime.now(UTC)


def raw_batch(station: Station, first: int, last: int, *, key=None, sent_at: datetime | None = None,
              rows: list[dict] | None = None):
    """A batch straight from the station's rows (no local verification), signed by `key` (default: the station's)."""
    from counter.sync.protocol import Batch, checkpoint_message, utc_now_text
    from db import journal

    if rows is None:
        rows = [e.as_dict() for e in journal.entries(station.db, since=first - 1, until=last)]
    key = key or station.key
    return Batch(station_id=station.station_id, key_id=key.key_id, first_seq=rows[0]["seq"], last_seq=rows[-1]["seq"],
                 prev_hash=rows[0]["prev_hash"], head_hash=rows[-1]["hash"],
                 signature=key.sign(checkpoint_message(station.station_id, rows[-1]["seq"], rows[-1]["hash"])),
                 sent_at=utc_now_text(sent_at), entries=rows)


def signed_post(url: str, station: Station, body: bytes, *, key=None, now: datetime | None = None,
                headers_extra: dict | None = None, **kwargs) -> httpx.Response:
    """POST `body` to HQ at `url` (a full URL), signed as the station's sync client signs (RFC 9421)."""
    from counter.request_signing import sign_request

    key = key or station.key
    headers = {"content-type": "application/json", **(headers_extra or {}),
               **sign_request(key.private, key.key_id, "POST", url, body, now=now or datetime.now(UTC))}
    return httpx.post(url, content=body, headers=headers, **kwargs)


def signed_get(url: str, station: Station, *, key=None, now: datetime | None = None, **kwargs) -> httpx.Response:
    from counter.request_signing import sign_request

    key = key or station.key
    return httpx.get(url, headers=sign_request(key.private, key.key_id, "GET", url, b"", now=now or datetime.now(UTC)),
                     **kwargs)


def clone_station(station: Station, dest: Path, keep_until: int) -> Station:
    """A copy of the station (same id and key) whose journal ends at keep_until: a restored old backup."""
    import sqlite3

    from db import journal

    dest.mkdir(parents=True)
    shutil.copy(station.data_dir / "station.toml", dest / "station.toml")
    shutil.copytree(station.data_dir / "keys", dest / "keys")
    target = sqlite3.connect(dest / "station.db")
    station.db.conn.backup(target)
    target.execute("DROP TRIGGER journal_no_delete")
    target.execute("DELETE FROM journal WHERE seq > ?", (keep_until,))
    head_hash = target.execute("SELECT hash FROM journal WHERE seq = ?", (keep_until,)).fetchone()[0]
    target.execute("UPDATE journal_head SET seq = ?, hash = ?, signature = ?",
                   (keep_until, head_hash, station.key.sign(journal.head_message(station.station_id, keep_until,
                                                                                  head_hash))))
    target.execute("""CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
                      BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""")
    target.execute("DELETE FROM sync_state")
    target.commit()
    target.close()
    return Station.open(dest)
