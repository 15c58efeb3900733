"""The station's record of HQ's last signed ack (written by the sync client)."""

from __future__ import annotations

import sqlite3


def last_ack(station) -> tuple[int, str] | None:
    """(acked_seq, acked_hash) from HQ's last verified ack, or None before the first sync."""
    try:
        row = station.db.conn.execute("SELECT acked_seq, acked_hash FROM sync_state WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # the table arrives with the sync migration
        return None
    return (row[0], row[1]) if row else None
