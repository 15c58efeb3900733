"""Clerks, sessions, the access log, day closures and device check-ins."""

from __future__ import annotations

import json

from db import kinds
from db.entry import Entry
from db.projections import projection_tables, projector

projection_tables("clerks", "sessions", "access_log", "day_closures", "device_checkins")


@projector(kinds.CLERK_ADDED)
def _clerk_added(db, e: Entry, d: dict) -> None:
    # plain SQL: a fresh demo station adds its clerks before the sign-in screen, and sqlite-utils' first use
    # (its plugins, dateutil) costs more than the rest of the station's creation
    db.execute("INSERT INTO clerks (clerk_id, name, role, active, added_seq) VALUES (?, ?, ?, 1, ?)",
               (d["clerk_id"], d["name"], d["role"], e.seq))


@projector(kinds.CLERK_DISABLED, kinds.CLERK_ENABLED)
def _clerk_active(db, e: Entry, d: dict) -> None:
    db["clerks"].update(d["clerk_id"], {"active": int(e.kind == kinds.CLERK_ENABLED)})


@projector(kinds.CLERK_ROLE_CHANGED)
def _clerk_role(db, e: Entry, d: dict) -> None:
    db["clerks"].update(d["clerk_id"], {"role": d["role"]})


@projector(kinds.SESSION_SIGNED_IN)
def _signed_in(db, e: Entry, d: dict) -> None:
    db["sessions"].insert({"session_id": d["session_id"], "clerk_id": e.clerk_id, "signed_in_seq": e.seq,
                           "signed_in_at": e.device_time_utc})


@projector(kinds.SESSION_SIGNED_OUT)
def _signed_out(db, e: Entry, d: dict) -> None:
    db["sessions"].update(d["session_id"], {"signed_out_at": e.device_time_utc})


@projector(kinds.SESSION_LOCKED)
def _locked(db, e: Entry, d: dict) -> None:
    db.execute("UPDATE sessions SET locks = locks + 1 WHERE session_id = ?", [d["session_id"]])


@projector(kinds.RECORD_OPENED)
def _record_opened(db, e: Entry, d: dict) -> None:
    db["access_log"].insert({"seq": e.seq, "clerk_id": e.clerk_id, "record_type": d["record_type"],
                             "record_id": d["record_id"], "at": e.device_time_utc, "purpose": d.get("purpose")})


@projector(kinds.DAY_CLOSED)
def _day_closed(db, e: Entry, d: dict) -> None:
    db["day_closures"].insert({"business_day": d["business_day"], "closed_seq": e.seq, "closed_by": e.clerk_id,
                               "closed_at": e.device_time_utc})


@projector(kinds.DEVICES_CHECKED_IN)
def _checked_in(db, e: Entry, d: dict) -> None:
    db["device_checkins"].insert({"seq": e.seq, "business_day": e.business_day, "clerk_id": e.clerk_id,
                                  "ok": int(bool(d.get("ok"))), "summary": json.dumps(d, ensure_ascii=False)})


# --- reads ------------------------------------------------------------------------------------

CLERK_COLUMNS = "clerk_id, name, role, active"


def clerk_by_name(db, name: str) -> tuple | None:
    """(clerk_id, name, role, active) of the clerk with this name, or None."""
    return db.conn.execute(f"SELECT {CLERK_COLUMNS} FROM clerks WHERE name = ?", (name,)).fetchone()


def all_clerks(db) -> list[tuple]:
    """(clerk_id, name, role, active) of every clerk, by name."""
    return db.conn.execute(f"SELECT {CLERK_COLUMNS} FROM clerks ORDER BY name").fetchall()


def clerk_name(db, clerk_id: str) -> str | None:
    row = db.conn.execute("SELECT name FROM clerks WHERE clerk_id = ?", (clerk_id,)).fetchone()
    return row[0] if row else None


def active_supervisors(db, *, besides: str | None = None) -> int:
    """How many active supervisors there are (other than clerk `besides`)."""
    return db.conn.execute("SELECT COUNT(*) FROM clerks WHERE role = 'supervisor' AND active = 1 AND clerk_id IS NOT ?",
                           (besides,)).fetchone()[0]


def active_clerks_without_pin(db) -> int:
    """How many active clerks have no PIN on this PC (PINs never leave a station: a restored one has none)."""
    return db.conn.execute("SELECT count(*) FROM clerks c WHERE c.active = 1 AND NOT EXISTS"
                           " (SELECT 1 FROM clerk_credentials k WHERE k.clerk_id = c.clerk_id)").fetchone()[0]


# A clerk's PIN credentials (clerk_credentials) are the station's own: never journaled, never projected.
# They are written inside the clerk's journal transaction (the `extra` of Station.record) or on their own.

def store_pin(db, clerk_id: str, pin_hash: str) -> None:
    db.conn.execute("INSERT INTO clerk_credentials (clerk_id, pin_hash) VALUES (?, ?)", (clerk_id, pin_hash))


def has_pin(db, clerk_id: str) -> bool:
    return db.conn.execute("SELECT 1 FROM clerk_credentials WHERE clerk_id = ?", (clerk_id,)).fetchone() is not None


def supervisor_with_pin(db) -> bool:
    """An active supervisor who has a PIN here."""
    return db.conn.execute(
        "SELECT 1 FROM clerks c JOIN clerk_credentials k ON k.clerk_id = c.clerk_id"
        " WHERE c.role = 'supervisor' AND c.active = 1").fetchone() is not None


def pin_state(db, clerk_id: str) -> tuple | None:
    """(pin_hash, failed_attempts, locked_until) of a clerk, or None without a PIN here."""
    return db.conn.execute("SELECT pin_hash, failed_attempts, locked_until FROM clerk_credentials WHERE clerk_id = ?",
                           (clerk_id,)).fetchone()


def set_pin_failures(db, clerk_id: str, failed: int, locked_until: str | None) -> None:
    db.conn.execute("UPDATE clerk_credentials SET failed_attempts = ?, locked_until = ? WHERE clerk_id = ?",
                    (failed, locked_until, clerk_id))


def clear_pin_failures(db, clerk_id: str) -> None:
    db.conn.execute("UPDATE clerk_credentials SET failed_attempts = 0, locked_until = NULL WHERE clerk_id = ?",
                    (clerk_id,))


def locked_until(db, clerk_id: str) -> str | None:
    row = db.conn.execute("SELECT locked_until FROM clerk_credentials WHERE clerk_id = ?", (clerk_id,)).fetchone()
    return row[0] if row else None


def last_closed_day(db) -> str | None:
    return db.conn.execute("SELECT max(business_day) FROM day_closures").fetchone()[0]


def closure(db, business_day: str) -> tuple | None:
    """(closed_seq, closed_by, closed_at) of a closed day, or None while it is open."""
    return db.conn.execute("SELECT closed_seq, closed_by, closed_at FROM day_closures WHERE business_day = ?",
                           (business_day,)).fetchone()


def last_close_before(db, business_day: str) -> int | None:
    """The seq of the latest close of a day before `business_day`."""
    return db.conn.execute("SELECT max(closed_seq) FROM day_closures WHERE business_day < ?",
                           (business_day,)).fetchone()[0]


def checked_in_on(db, business_day: str) -> bool:
    """Whether the business day has a device check-in."""
    return db.conn.execute("SELECT 1 FROM device_checkins WHERE business_day = ? LIMIT 1",
                           (business_day,)).fetchone() is not None


def clerk_names(db) -> dict[str, str]:
    """clerk id -> name, of every clerk ever added."""
    return dict(db.conn.execute("SELECT clerk_id, name FROM clerks").fetchall())


def open_days(db, before: str | None = None) -> list[str]:
    """Business days with journal entries and no close, oldest first (only those before `before`)."""
    sql = ("SELECT DISTINCT business_day FROM journal j WHERE NOT EXISTS"
           " (SELECT 1 FROM day_closures c WHERE c.business_day = j.business_day)")
    args: tuple = ()
    if before is not None:
        sql += " AND j.business_day < ?"
        args = (before,)
    return [r[0] for r in db.conn.execute(sql + " ORDER BY business_day", args)]
