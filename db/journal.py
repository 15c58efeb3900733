"""The hash-chained, append-only journal: append, read, verify.

How an entry is hashed, reading entries in order and verifying the chain live in db.chain (no projectors,
for the read-only `counter journal verify`); they are re-exported here, the journal's one door.
"""

from __future__ import annotations

import os
import time
import uuid as uuidlib
from collections.abc import Callable
from datetime import UTC, datetime

import db.projectors  # noqa: F401  (registers every projector before the first append)
from db.chain import (
    COLUMNS,
    GENESIS_HASH,
    HASH_DOMAIN,
    HEAD_DOMAIN,
    HeadVerifier,
    VerifyResult,
    canonical_json,
    compute_hash,
    entries,
    entry_hash,
    entry_hasher,
    get,
    head_message,
    verify,
)
from db.connection import Database, write_transaction
from db.entry import ENTRY_FIELDS, Entry
from db.projections import apply as project

__all__ = ["GENESIS_HASH", "HASH_DOMAIN", "HEAD_DOMAIN", "SCHEMA_VER", "Entry", "HeadVerifier", "VerifyResult",
           "append", "canonical_json", "compute_hash", "count_of_kind", "day_count_before", "day_entries", "entries", "entry_hash",
           "entry_hasher",
           "get", "head", "head_message", "new_id", "of_kind", "payloads_by_field", "random_token", "verify"]

SCHEMA_VER = 1


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:
        return "unknown"


BOOT_ID = _boot_id()

Signer = Callable[[bytes], str]
ExtraWrite = Callable[[Database, Entry], None]


def head(db: Database) -> tuple[int, str]:
    row = db.conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def append(
    db: Database,
    *,
    station_id: str,
    kind: str,
    payload: dict,
    clerk_id: str | None,
    business_day: str | Callable[[Database], str],
    signer: Signer,
    extra: ExtraWrite | None = None,
    now: datetime | None = None,
) -> Entry:
    """Write one entry, its projection rows and its signed head in ONE transaction.

    `business_day` may be a callable, evaluated inside the transaction, so a
    day close and a new entry can never race.
    """
    payload_json = canonical_json(payload)
    with write_transaction(db):
        last_seq, last_hash = head(db)
        seq = last_seq + 1
        day = business_day(db) if callable(business_day) else business_day
        entry_fields = {
            "uuid": str(uuidlib.uuid4()),
            "business_day": day,
            "device_time_utc": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "monotonic_ns": time.monotonic_ns(),
            "boot_id": BOOT_ID,
            "clerk_id": clerk_id,
            "kind": kind,
            "schema_ver": SCHEMA_VER,
        }
        digest = compute_hash(station_id, seq, last_hash, entry_fields, payload_json)
        entry = Entry(seq=seq, payload=payload_json, prev_hash=last_hash, hash=digest, **entry_fields)
        db.conn.execute(
            "INSERT INTO journal (seq, uuid, business_day, device_time_utc, monotonic_ns, boot_id, clerk_id,"
            " kind, schema_ver, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (seq, *entry_fields.values(), payload_json, last_hash, digest),
        )
        project(db, entry)
        if extra is not None:
            extra(db, entry)
        store_head(db, seq, digest, signer(head_message(station_id, seq, digest)))
    return entry


def store_head(db: Database, seq: int, digest: str, signature: str) -> None:
    """The signed journal head (inside the caller's transaction): after each append, and when a restore
    re-signs the head of entries it copied."""
    db.conn.execute(
        "INSERT INTO journal_head (id, seq, hash, signature) VALUES (1, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET seq=excluded.seq, hash=excluded.hash, signature=excluded.signature",
        (seq, digest, signature),
    )


def insert_chained(db: Database, entry: Entry | dict) -> None:
    """Store an entry chained and hashed elsewhere, as it is and without projecting it: this station's own
    entries handed back by HQ (a restore, after the caller verified their chain), or HQ's entries in an
    adoption's scratch database. New entries go through `append`."""
    row = entry._asdict() if isinstance(entry, Entry) else entry
    db.conn.execute(f"INSERT INTO journal ({COLUMNS}) VALUES ({', '.join('?' * len(ENTRY_FIELDS))})",
                    tuple(row[f] for f in ENTRY_FIELDS))




def day_entries(db: Database, business_day: str, until: int | None = None) -> list[Entry]:
    """The entries of one business day (and seq <= until), in seq order, through the day index."""
    sql = f"SELECT {COLUMNS} FROM journal WHERE business_day = ?"
    args: list = [business_day]
    if until is not None:
        sql += " AND seq <= ?"
        args.append(until)
    return [Entry(*row) for row in db.conn.execute(sql + " ORDER BY seq", args)]


def of_kind(db: Database, kind: str) -> list[Entry]:
    """Every entry of one kind, in seq order."""
    return of_kinds(db, kind)


def of_kinds(db: Database, *kinds: str) -> list[Entry]:
    """Every entry of any of these kinds, in seq order."""
    marks = ", ".join("?" * len(kinds))
    return [Entry(*row) for row in db.conn.execute(
        f"SELECT {COLUMNS} FROM journal WHERE kind IN ({marks}) ORDER BY seq", kinds)]


def payload_values(db: Database, kind: str, payload_field: str) -> list:
    """payload[payload_field] of every entry of `kind` (None where it is missing), in seq order."""
    return [r[0] for r in db.conn.execute("SELECT json_extract(payload, ?) FROM journal WHERE kind = ? ORDER BY seq",
                                          (f"$.{payload_field}", kind))]


def count_after(db: Database, seq: int, *, payload_field: str, equals: object) -> int:
    """How many entries after `seq` (of any kind) have payload[payload_field] == equals."""
    return db.conn.execute("SELECT count(*) FROM journal WHERE seq > ? AND json_extract(payload, ?) = ?",
                           (seq, f"$.{payload_field}", equals)).fetchone()[0]


def last_seq_of_range(db: Database, since: int, limit: int = 0) -> int | None:
    """The seq of the last entry after `since` (of the first `limit` of them when limit > 0), or None when
    there is none: `counter journal show` fixes the range it shows before reading it."""
    row = None
    if limit:
        row = db.conn.execute("SELECT seq FROM journal WHERE seq > ? ORDER BY seq LIMIT 1 OFFSET ?",
                              (since, limit - 1)).fetchone()
    if row is None:  # no limit, or fewer entries than the limit
        row = db.conn.execute("SELECT seq FROM journal WHERE seq > ? ORDER BY seq DESC LIMIT 1", (since,)).fetchone()
    return row[0] if row else None


def count_of_kind(db: Database, kind: str, *, payload_field: str, equals: object) -> int:
    """How many entries of `kind` have payload[payload_field] == equals."""
    return db.conn.execute("SELECT count(*) FROM journal WHERE kind = ? AND json_extract(payload, ?) = ?",
                           (kind, f"$.{payload_field}", equals)).fetchone()[0]


def new_id() -> str:
    return uuidlib.uuid4().hex


def random_token(nbytes: int = 16) -> str:
    return os.urandom(nbytes).hex()


def payloads_by_field(db: Database, kind: str, field: str, values: list[str], chunk: int = 500) -> dict[str, str]:
    """value -> payload text of the entries of `kind` whose payload[field] is one of `values`."""
    found: dict[str, str] = {}
    for i in range(0, len(values), chunk):
        part = values[i:i + chunk]
        rows = db.conn.execute(
            f"SELECT json_extract(payload, ?), payload FROM journal WHERE kind = ?"
            f" AND json_extract(payload, ?) IN ({','.join('?' * len(part))})",
            (f"$.{field}", kind, f"$.{field}", *part)).fetchall()
        found.update(dict(rows))
    return found


def rows_of_kinds(db: Database, kinds: tuple[str, ...]):
    """(seq, business_day, kind, payload text) of every entry of these kinds, in seq order: a cursor, for
    folding a long journal without building its entries."""
    marks = ", ".join("?" * len(kinds))
    return db.conn.execute(f"SELECT seq, business_day, kind, payload FROM journal WHERE kind IN ({marks}) ORDER BY seq",
                           kinds)


def first_seq_of_day(db: Database, business_day: str) -> int | None:
    """The lowest seq of a business day, or None when the day has no entries."""
    return db.conn.execute("SELECT min(seq) FROM journal WHERE business_day = ?", (business_day,)).fetchone()[0]


def day_count_before(db: Database, business_day: str, seq: int) -> tuple[int, int | None]:
    """(how many entries, the highest seq) of a business day before `seq`."""
    row = db.conn.execute("SELECT count(*), max(seq) FROM journal WHERE business_day = ? AND seq < ?",
                          (business_day, seq)).fetchone()
    return row[0], row[1]
