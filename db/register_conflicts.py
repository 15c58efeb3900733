"""The conflicts HQ reported in its signed acks (`register_conflicts`): two windows acted on one permit
without seeing each other's entry. Station-local state like the sync cursor (db/sync_state.py), keyed by
HQ's conflict id, stored inside the ack's transaction; not journaled and not a projection. A supervisor's
look is journaled (`register.conflict_seen`) and its seq kept here."""

from __future__ import annotations

import json
from typing import NamedTuple


class ConflictRow(NamedTuple):
    conflict_id: int
    permit: str
    kind: str
    entries: list  # [{station_id, seq, kind}]
    detected_at: str | None
    received_at: str
    resolved_at: str | None
    seen_seq: int | None


def conflict_rows(db, *, open_only: bool = True) -> list[ConflictRow]:
    """The conflicts kept from HQ's acks (only those not resolved, by default), by conflict id."""
    sql = ("SELECT conflict_id, permit, kind, entries, detected_at, received_at, resolved_at, seen_seq"
           " FROM register_conflicts")
    if open_only:
        sql += " WHERE resolved_at IS NULL"
    return [ConflictRow(r[0], r[1], r[2], json.loads(r[3]), *r[4:])
            for r in db.conn.execute(sql + " ORDER BY conflict_id").fetchall()]


def has_conflict(db, conflict_id: int) -> bool:
    return db.conn.execute("SELECT 1 FROM register_conflicts WHERE conflict_id = ?", (conflict_id,)).fetchone() is not None


def add_conflict(db, *, conflict_id: int, permit: str, kind: str, entries: list, detected_at: str | None,
                 received_at: str, resolved_at: str | None = None) -> None:
    db.conn.execute(
        "INSERT INTO register_conflicts (conflict_id, permit, kind, entries, detected_at, received_at, resolved_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (conflict_id, permit, kind, json.dumps(entries, ensure_ascii=False, sort_keys=True), detected_at,
         received_at, resolved_at))


def set_resolved_at(db, conflict_id: int, resolved_at: str | None) -> None:
    """Mark one conflict resolved at `resolved_at` (None: open again, HQ lists it once more)."""
    db.conn.execute("UPDATE register_conflicts SET resolved_at = ? WHERE conflict_id = ?", (resolved_at, conflict_id))


def resolve_conflicts_except(db, open_ids: list[int], resolved_at: str) -> None:
    """Every open conflict not in `open_ids` (HQ's complete open list) was resolved at HQ."""
    marks = ", ".join("?" * len(open_ids)) or "NULL"
    db.conn.execute(f"UPDATE register_conflicts SET resolved_at = ? WHERE resolved_at IS NULL"
                    f" AND conflict_id NOT IN ({marks})", (resolved_at, *open_ids))


def mark_conflict_seen(db, conflict_id: int, seen_seq: int) -> None:
    """The seq of the `register.conflict_seen` entry that journaled a supervisor's look."""
    db.conn.execute("UPDATE register_conflicts SET seen_seq = ? WHERE conflict_id = ?", (seen_seq, conflict_id))
