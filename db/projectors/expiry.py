"""Contacts with holders of expiring permits, projected from permit.holder_contacted entries.

permit.holder_contacted {permit_id, valid_until, channel}
expiry.listed / expiry.exported / expiry.printed  {days, count, ...}: journaled, no projection
"""

from __future__ import annotations

from db.entry import Entry
from db.projections import projection_tables, projector

projection_tables("permit_contacts")


@projector("permit.holder_contacted")
def _contacted(db, e: Entry, d: dict) -> None:
    db.conn.execute("INSERT OR REPLACE INTO permit_contacts (permit_id, valid_until, seq, clerk_id, channel,"
                    " contacted_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (d["permit_id"], d["valid_until"], e.seq, e.clerk_id, d.get("channel", "phone"), e.device_time_utc))


def expiring_between(db, first: str, last: str) -> list[tuple]:
    """Issued or accepted permits valid until first..last (ISO dates), soonest first: (permit_id, person_id,
    name, id_number, phone, valid_until, contacted for this validity)."""
    return db.conn.execute(
        "SELECT p.permit_id, p.person_id, s.name, s.id_number, s.phone, p.valid_until,"
        " EXISTS (SELECT 1 FROM permit_contacts c WHERE c.permit_id = p.permit_id AND c.valid_until = p.valid_until)"
        " FROM permits p JOIN persons s ON s.person_id = p.person_id"
        " WHERE p.status IN ('issued', 'accepted') AND p.valid_until >= ? AND p.valid_until <= ?"
        " ORDER BY p.valid_until, p.permit_id", (first, last)).fetchall()
