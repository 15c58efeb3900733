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
from db.entry import Entry
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
        signature = signer(head_message(station_id, seq, digest))
        db.conn.execute(
            "INSERT INTO journal_head (id, seq, hash, signature) VALUES (1, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET seq=excluded.seq, hash=excluded.hash, signature=excluded.signature",
            (seq, digest, signature),
        )
    return entry




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
    return [Entry(*row) for row in db.conn.execute(f"SELECT {COLUMNS} FROM journal WHERE kind = ? ORDER BY seq",
                                                   (kind,))]


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


def day_count_before(db: Database, business_day: str, seq: int) -> tuple[int, int | None]:
    """(how many entries, the highest seq) of a business day before `seq`."""
    row = db.conn.execute("SELECT count(*), max(seq) FROM journal WHERE business_day = ? AND seq < ?",
                          (business_day, seq)).fetchone()
    return row[0], row[1]
