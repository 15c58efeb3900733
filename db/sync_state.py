"""The sync cursor (`sync_state`, one row): HQ's last verified ack and the last attempt. Station-local
state, not journaled and not a projection (a rebuild leaves it alone). The sync client and a restore
write it; `counter journal verify` reads the cursor, so this module loads nothing its fast path has not
loaded already. The conflicts the acks report are db/register_conflicts.py's."""

import sqlite3
from collections import namedtuple

from db.chain import GENESIS_HASH

# collections' namedtuple, not typing.NamedTuple: `counter journal verify` imports this module, and typing
# would cost its start-up a tenth (db/chain.py's VerifyResult is the same).
# HQ's last verified ack (acked_seq, acked_hash), the last success, error and attempt (UTC texts or None),
# the measured clock offset in seconds and the key id HQ signed with.
SyncState = namedtuple("SyncState", "acked_seq acked_hash last_success_at last_error last_attempt_at"
                                    " clock_offset_s hq_key_id")


def acked(db) -> tuple[int, str] | None:
    """(acked_seq, acked_hash) of HQ's last verified ack, or None before the first sync (or on a database
    from before the sync migration, opened read-only)."""
    try:
        row = db.conn.execute("SELECT acked_seq, acked_hash FROM sync_state WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # the table arrives with the sync migration
        return None
    return (row[0], row[1]) if row else None


def sync_state(db) -> SyncState | None:
    """The whole cursor row, or None before the first sync attempt."""
    row = db.conn.execute("SELECT acked_seq, acked_hash, last_success_at, last_error, last_attempt_at,"
                          " clock_offset_s, hq_key_id FROM sync_state WHERE id = 1").fetchone()
    return SyncState(*row) if row else None


def _ensure_row(db) -> None:
    db.conn.execute("INSERT OR IGNORE INTO sync_state (id, acked_seq, acked_hash) VALUES (1, 0, ?)", (GENESIS_HASH,))


def store_ack(db, *, acked_seq: int, acked_hash: str, server_time: str | None, signature: str | None,
              hq_key_id: str | None, success_at: str, clock_offset_s: float | None = None,
              keep_clock_offset: bool = False) -> None:
    """A verified ack becomes the cursor (inside the caller's transaction); the last error is cleared.
    `keep_clock_offset`: a restore has no clock reading to store and leaves the offset as it is."""
    _ensure_row(db)
    sql = ("UPDATE sync_state SET acked_seq = ?, acked_hash = ?, acked_server_time = ?, ack_signature = ?,"
           " hq_key_id = ?, last_success_at = ?, last_error = NULL")
    args: tuple = (acked_seq, acked_hash, server_time, signature, hq_key_id, success_at)
    if not keep_clock_offset:
        sql += ", clock_offset_s = ?"
        args += (clock_offset_s,)
    db.conn.execute(sql + " WHERE id = 1", args)


def store_attempt(db, at: str, error: str | None) -> None:
    """A sync attempt's time and its error (None when it went through), inside the caller's transaction."""
    _ensure_row(db)
    db.conn.execute("UPDATE sync_state SET last_attempt_at = ?, last_error = ? WHERE id = 1", (at, error))
