"""Projections: tables derived from the journal, and nothing else writes them.

A projector is registered per entry kind. Appending an entry applies its
projector in the same transaction; `rebuild` empties every projection table
and replays the journal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from counter import kinds
from db.connection import Database, write_transaction
from db.journal import Entry, entries

Projector = Callable[[Database, Entry, dict], None]

_PROJECTORS: dict[str, list[Projector]] = {}
# Projectors of every service.<id> transaction: the services are the form specs' (data, not code), so a
# service a district adds is projected like the shipped ones.
_TRANSACTION_PROJECTORS: list[Projector] = []
# Every table a projector writes; rebuild empties exactly these, in this order.
PROJECTION_TABLES: list[str] = []


def projector(*kinds: str) -> Callable[[Projector], Projector]:
    def register(fn: Projector) -> Projector:
        for kind in kinds:
            _PROJECTORS.setdefault(kind, []).append(fn)
        return fn

    return register


def transaction_projector(fn: Projector) -> Projector:
    _TRANSACTION_PROJECTORS.append(fn)
    return fn


def projection_tables(*names: str) -> None:
    for name in names:
        if name not in PROJECTION_TABLES:
            PROJECTION_TABLES.append(name)


def apply(db: Database, entry: Entry) -> None:
    fns = _PROJECTORS.get(entry.kind) or (_TRANSACTION_PROJECTORS if kinds.service_of(entry.kind) else None)
    if not fns:
        return
    data = json.loads(entry.payload)
    for fn in fns:
        fn(db, entry, data)


def rebuild(db: Database) -> int:
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


def checksum(db: Database) -> str:
    """SHA-256 over every projection table's rows in primary-key order."""
    h = hashlib.sha256()
    for table in sorted(PROJECTION_TABLES):
        t = db.table(table)
        order = ", ".join(f"[{c}]" for c in (t.pks or ["rowid"]))
        h.update(table.encode() + b"\x00")
        for row in db.conn.execute(f"SELECT * FROM [{table}] ORDER BY {order}"):
            h.update(json.dumps(row, ensure_ascii=False, default=str).encode() + b"\n")
    return h.hexdigest()


# --- core projections -------------------------------------------------------

projection_tables("clerks", "sessions", "access_log", "day_closures", "device_checkins")


@projector(kinds.CLERK_ADDED)
def _clerk_added(db, e: Entry, d: dict) -> None:
    db["clerks"].insert({"clerk_id": d["clerk_id"], "name": d["name"], "role": d["role"], "active": 1,
                         "added_seq": e.seq})


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


def _load_area_projectors() -> None:
    import importlib
    import pkgutil

    import db.projectors as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        importlib.import_module(f"db.projectors.{info.name}")


_load_area_projectors()
