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
