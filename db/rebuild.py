"""Rebuild every projection from the journal, and a checksum to prove a rebuild changed nothing."""

from __future__ import annotations

import hashlib
import json

import sqlite_utils

from db.connection import write_transaction
from db.journal import entries
from db.projections import PROJECTION_TABLES, apply


def rebuild(db: sqlite_utils.Database) -> int:
    """Recompute every projection from the journal in one transaction; returns entries replayed."""
    count = 0
    with write_transaction(db):
        db.conn.execute("PRAGMA defer_foreign_keys=ON")
        for table in reversed(PROJECTION_TABLES):
            db.conn.execute(f"DELETE FROM [{table}]")
        for entry in entries(db):
            apply(db, entry)
            count += 1
    return count


def checksum(db: sqlite_utils.Database) -> str:
    """SHA-256 over every projection table's rows in primary-key order."""
    h = hashlib.sha256()
    for table in sorted(PROJECTION_TABLES):
        t = db.table(table)
        order = ", ".join(f"[{c}]" for c in (t.pks or ["rowid"]))
        h.update(table.encode() + b"\x00")
        for row in db.conn.execute(f"SELECT * FROM [{table}] ORDER BY {order}"):
            h.update(json.dumps(row, ensure_ascii=False, default=str).encode() + b"\n")
    return h.hexdigest()
