"""The station's record of HQ's last signed ack (written by the sync client)."""

from __future__ import annotations

import json
import sqlite3


def last_ack(station) -> tuple[int, str] | None:
    """(acked_seq, acked_hash) from HQ's last verified ack, or None before the first sync."""
    return last_ack_in(station.db)


def last_ack_in(db) -> tuple[int, str] | None:
    """last_ack, from the station database itself (opened read-only by `counter journal verify`)."""
    try:
        row = db.conn.execute("SELECT acked_seq, acked_hash FROM sync_state WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # the table arrives with the sync migration
        return None
    return (row[0], row[1]) if row else None


ACK_CONFLICT_LIMIT = 50  # HQ lists at most this many open conflicts per ack (contract, refinement 6)


def store_conflicts(db, conflicts) -> int:
    """Keep the open conflicts of a verified ack (inside the ack's transaction); returns how many are new.
    A conflict no longer in a complete list was resolved at HQ."""
    from counter.sync.protocol import utc_now_text

    now = utc_now_text()
    new = 0
    ids = []
    for c in conflicts or ():
        cid = c.get("conflict_id")
        if not isinstance(cid, int) or isinstance(cid, bool) or not isinstance(c.get("permit"), str):
            continue
        if c.get("status") == "resolved":
            continue  # store_resolutions journals it
        ids.append(cid)
        known = db.conn.execute("SELECT 1 FROM register_conflicts WHERE conflict_id = ?", (cid,)).fetchone()
        if known:
            db.conn.execute("UPDATE register_conflicts SET resolved_at = NULL WHERE conflict_id = ?", (cid,))
            continue
        db.conn.execute(
            "INSERT INTO register_conflicts (conflict_id, permit, kind, entries, detected_at, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (cid, c["permit"], str(c.get("kind") or "concurrent"),
             json.dumps(c.get("entries") or [], ensure_ascii=False, sort_keys=True), c.get("detected_at"), now))
        new += 1
    if len(ids) < ACK_CONFLICT_LIMIT:
        marks = ", ".join("?" * len(ids)) or "NULL"
        db.conn.execute(f"UPDATE register_conflicts SET resolved_at = ? WHERE resolved_at IS NULL"
                        f" AND conflict_id NOT IN ({marks})", (now, *ids))
    return new


RESOLVED_KIND = "register.conflict_resolved"
_KEEP = ("first", "second", "both")


def store_resolutions(station, conflicts) -> int:
    """Journal each resolution of a verified ack once (`register.conflict_resolved`, inside the ack's
    transaction): which entry the district kept, why, who decided and when, and which entry of this
    station is to be voided here. Returns how many are new."""
    new = 0
    for c in conflicts or ():
        res = c.get("resolution") if c.get("status") == "resolved" else None
        cid = c.get("conflict_id")
        if (not isinstance(res, dict) or not isinstance(cid, int) or isinstance(cid, bool)
                or not isinstance(c.get("permit"), str) or res.get("keep") not in _KEEP
                or not isinstance(c.get("entries"), list) or len(c["entries"]) != 2):
            continue
        if station.db.conn.execute("SELECT 1 FROM journal WHERE kind = ? AND json_extract(payload, '$.conflict_id') = ?",
                                   (RESOLVED_KIND, cid)).fetchone():
            continue
        entries = [e for e in c["entries"] if isinstance(e, dict)]
        kept = {"first": entries[:1], "second": entries[1:], "both": entries}[res["keep"]]
        payload = {"conflict_id": cid, "permit": c["permit"], "kind": str(c.get("kind") or "concurrent"),
                   "entries": entries, "keep": res["keep"], "reason": str(res.get("reason") or "")[:500],
                   "resolved_by": str(res.get("resolved_by") or "")[:64],
                   "resolved_at": str(res.get("resolved_at") or ""),
                   "to_void": [e for e in entries if e not in kept and e.get("station_id") == station.station_id]}
        station.record(RESOLVED_KIND, payload)
        known = station.db.conn.execute("SELECT 1 FROM register_conflicts WHERE conflict_id = ?", (cid,)).fetchone()
        if known:
            station.db.conn.execute("UPDATE register_conflicts SET resolved_at = ? WHERE conflict_id = ?",
                                    (payload["resolved_at"], cid))
        else:
            station.db.conn.execute(
                "INSERT INTO register_conflicts (conflict_id, permit, kind, entries, detected_at, received_at,"
                " resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (cid, c["permit"], payload["kind"], json.dumps(entries, ensure_ascii=False, sort_keys=True),
                 c.get("detected_at"), payload["resolved_at"], payload["resolved_at"]))
        new += 1
    return new
