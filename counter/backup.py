"""Station backups (`counter backup`, `counter restore`) and HQ's SQLite backup (`counter hq backup`).

A station backup is one tar, encrypted to the district's age key: `backup.json` (what it holds),
`station.db` (a consistent copy made with SQLite's online backup API while the station runs),
`station.toml`, the public keys, and the private station keys only when asked (`--include-keys`).

Restoring never forks: a backup is a prefix of the journal HQ holds, so `counter restore`
asks HQ for its signed cursor and fetches, verifies and appends what HQ holds beyond the
backup (counter.restore.fetch_into) before the station records anything.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from counter import __version__, files
from counter.errors import ConfigError, CounterError

FORMAT = "counter-station-backup"
PUBLIC_KEYS = ("keys/station.pub", "keys/hq.pub", "keys/hq-ca.pem")
PAGES_PER_STEP = 4096  # pages per online-backup step (16 MiB at 4 KiB pages): progress, and a bounded step


class BackupError(CounterError):
    pass


def sqlite_online_backup(source: sqlite3.Connection, target: Path,
                         progress: Callable[[int, int], None] | None = None) -> None:
    """Copy a live database with SQLite's backup API into `target` (0600), then check the copy."""
    files.private_file(target)
    dest = sqlite3.connect(str(target))
    try:
        def step(_status: int, remaining: int, total: int) -> None:
            if progress:
                progress(total - remaining, total)

        # sleep=0: Python's default pauses 250 ms between steps; WAL readers never block the writer anyway
        source.backup(dest, pages=PAGES_PER_STEP, progress=step, sleep=0)
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if dest.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("the backup copy of the database failed its integrity check; nothing was written")
    finally:
        dest.close()


@dataclass
class BackupMade:
    path: Path
    bytes: int
    head_seq: int
    includes_keys: bool
    encrypted: bool


def backup_station(station, out: Path, *, recipient: str | None, include_keys: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> BackupMade:
    from counter.sync.bundle import encrypt, write_atomic
    from db import journal
    from db.connection import Database, write_transaction

    out = Path(out)
    if out.is_dir():
        raise ConfigError("--out {out} is a directory; give the backup's file name", out=out)
    with tempfile.TemporaryDirectory(prefix="counter-backup-") as tmp:
        copy = Path(tmp) / "station.db"
        with write_transaction(station.db):  # the head read and the copy see the same committed state
            head_seq, head_hash = journal.head(station.db)
        sqlite_online_backup(station.db.conn, copy, progress)
        check = sqlite3.connect(str(copy))
        copied_seq, copied_hash = journal.head(Database(check))  # what the copy holds, read from the copy
        check.close()
        members: list[tuple[str, bytes]] = []
        names = ["station.toml", *PUBLIC_KEYS]
        if include_keys:
            names.append("keys/station.key")
            retired = station.data_dir / "keys" / "retired"
            if retired.is_dir():
                names += [f"keys/retired/{p.name}" for p in sorted(retired.iterdir()) if p.suffix in (".key", ".pub")]
        for name in names:
            path = station.data_dir / name
            if path.is_file():
                members.append((name, path.read_bytes()))
        manifest = {
            "format": FORMAT, "format_version": 1, "station_id": station.station_id,
            "head_seq": copied_seq, "head_hash": copied_hash,
            "includes_keys": include_keys, "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "software": __version__, "members": [n for n, _ in members] + ["station.db"],
        }
        assert copied_seq >= head_seq, (copied_seq, head_seq)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, data in [("backup.json", json.dumps(manifest, indent=2).encode()), *members]:
                _add(tar, name, data)
            info = tarfile.TarInfo("station.db")
            info.size, info.mode = copy.stat().st_size, 0o600
            with copy.open("rb") as fh:
                tar.addfile(info, fh)
    data = buf.getvalue()
    if recipient:
        data = encrypt(data, recipient)
    write_atomic(out, data)
    return BackupMade(out, len(data), manifest["head_seq"], include_keys, bool(recipient))


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))


def read_backup(data: bytes, identity_text: str | None) -> tuple[dict, dict[str, bytes]]:
    from counter.sync.bundle import AGE_MAGIC, decrypt

    if data.startswith(AGE_MAGIC):
        if identity_text is None:
            raise ConfigError("the backup is encrypted; pass the district's age identity with --identity FILE")
        try:
            data = decrypt(data, identity_text)
        except CounterError:
            raise BackupError("the backup cannot be decrypted with this identity, or it was altered") from None
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            members = {}
            for info in tar.getmembers():
                if not info.isfile() or not _allowed(info.name):
                    raise BackupError("the backup holds an unexpected member {name!r}; not restoring", name=info.name)
                members[info.name] = tar.extractfile(info).read()
    except tarfile.TarError:
        raise BackupError("the file is not a counter station backup (not a readable archive)") from None
    try:
        manifest = json.loads(members["backup.json"])
    except (KeyError, ValueError):
        raise BackupError("the file is not a counter station backup (no backup.json)") from None
    if manifest.get("format") != FORMAT or "station.db" not in members or "station.toml" not in members:
        raise BackupError("the file is not a counter station backup")
    return manifest, members


def _allowed(name: str) -> bool:
    if name in ("backup.json", "station.db", "station.toml", "keys/station.key", *PUBLIC_KEYS):
        return True
    parts = name.split("/")
    return (len(parts) == 3 and parts[:2] == ["keys", "retired"] and parts[2].endswith((".key", ".pub"))
            and parts[2][:-4].isalnum())


@dataclass
class RestoredBackup:
    data_dir: Path
    station_id: str
    backup_seq: int
    hq_seq: int | None = None
    fetched: int = 0
    new_key_id: str | None = None
    caught_up: bool = False
    note: str | None = None


def restore_station(data: bytes, data_dir: Path, *, identity_text: str | None, catch_up: bool = True,
                    progress: Callable[[int, int], None] | None = None) -> RestoredBackup:
    """Unpack a backup into an empty data dir, then catch up from HQ (see the module docstring)."""
    from counter.config import CONFIG_FILE, DB_FILE

    manifest, members = read_backup(data, identity_text)
    data_dir = Path(data_dir)
    if (data_dir / CONFIG_FILE).exists() or (data_dir / DB_FILE).exists():
        raise ConfigError("a station already exists in {dir}; restore into an empty --data-dir", dir=data_dir)
    files.private_dir(data_dir, tighten=True)
    written: list[Path] = []
    try:
        for name, content in members.items():
            if name == "backup.json":
                continue
            path = data_dir / name
            files.private_dir(path.parent, tighten=True)
            files.write_atomic(path, content)
            written.append(path)
        result = RestoredBackup(data_dir, manifest["station_id"], manifest["head_seq"])
        if "keys/station.key" not in members:
            from counter import keys

            key = keys.generate_keypair(data_dir / "keys" / "station.key", data_dir / "keys" / "station.pub")
            written += [data_dir / "keys" / "station.key"]
            result.new_key_id = key.key_id
        from counter.station import Station

        station = Station.open(data_dir)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    try:
        if result.new_key_id:
            from counter.restore import sign_head
            from db.connection import write_transaction

            with write_transaction(station.db):
                sign_head(station.db, station.station_id, station.key)  # the head, re-signed by this PC's key
        if catch_up and not result.new_key_id:  # a new key must be rekeyed at HQ first: --catch-up then
            catch_up_from_hq(station, result, progress)
    except BaseException:
        # HQ unreachable or refusing: a station that has not caught up must not be used (it would fork)
        station.close()
        for path in [*written, data_dir / f"{DB_FILE}-wal", data_dir / f"{DB_FILE}-shm"]:
            path.unlink(missing_ok=True)
        raise
    station.close()
    return result


def catch_up_from_hq(station, result: RestoredBackup, progress=None) -> None:
    """Fetch what HQ holds beyond the local head (verified), rebuild the projections, store HQ's ack."""
    from counter.restore import RestoreError, fetch_into, store_ack, tls_verify
    from counter.sync import client as sync
    from db.connection import write_transaction
    from db.rebuild import rebuild as rebuild_projections

    section = station.config.section("sync")
    if not section["hq_url"]:
        result.note = "sync is not configured: no HQ to catch up from"
        return
    hq_public = sync._hq_public_key(station)
    try:
        with write_transaction(station.db):
            fetched = fetch_into(station.db, station.station_id, section["hq_url"], station.key, hq_public,
                                 verify=tls_verify(station.data_dir, section.get("hq_ca") or ""), progress=progress)
            if fetched.entries:
                from counter.restore import sign_head

                sign_head(station.db, station.station_id, station.key)
            store_ack(station.db, fetched.ack)
    except RestoreError as exc:
        if "nothing to fetch" in str(exc):
            result.caught_up, result.note = True, "the backup is newer than HQ's ack: the next sync sends the rest"
            return
        raise
    if fetched.entries:
        rebuild_projections(station.db)
    result.hq_seq, result.fetched, result.caught_up = fetched.ack.acked_seq, fetched.entries, True


# --- HQ ---------------------------------------------------------------------------------


def backup_hq_sqlite(store, out: Path, progress=None) -> int:
    """`counter hq backup`: the embedded database, copied online into `out` (0600); returns its bytes."""
    if store.dialect != "sqlite":
        raise ConfigError("counter hq backup is for the embedded SQLite database; back PostgreSQL up with"
                          " pg_dump (see the README's HQ backup procedure)")
    out = Path(out)
    if out.exists():
        raise ConfigError("{out} exists; give a new file name (a backup never overwrites one)", out=out)
    store.require_schema()
    files.private_dir(out.parent)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        sqlite_online_backup(store._connect(), tmp, progress)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out.stat().st_size
