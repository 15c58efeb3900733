"""Day close projections: exported bundles and corrections of closed days."""

from __future__ import annotations

from db.entry import Entry
from db.projections import projection_tables, projector

projection_tables("day_exports", "day_corrections")


@projector("day.exported")
def _exported(db, e: Entry, d: dict) -> None:
    db.conn.execute(
        "INSERT INTO day_exports (seq, business_day, file_name, sha256, bytes, first_seq, last_seq, closed,"
        " encrypted, clerk_id, exported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (e.seq, d["business_day"], d["file_name"], d["sha256"], d["bytes"], d["first_seq"], d["last_seq"],
         int(bool(d["closed"])), int(bool(d["encrypted"])), e.clerk_id, e.device_time_utc),
    )


@projector("day.correction")
def _correction(db, e: Entry, d: dict) -> None:
    db.conn.execute(
        "INSERT INTO day_corrections (seq, business_day, corrects_seq, corrects_day, reason, clerk_id)"
        " VALUES (?,?,?,?,?,?)",
        (e.seq, e.business_day, d["corrects_seq"], d["corrects_day"], d["reason"], e.clerk_id),
    )
