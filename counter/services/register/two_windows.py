"""Two windows, one permit: the conflicts HQ reports in its signed acks, as the station keeps them,
and a supervisor's look at one (journaled)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from counter.services.register.hq_requests import RegisterError
from db.entry import Entry


@dataclass
class Conflict:
    conflict_id: int
    permit: str
    kind: str
    entries: list
    detected_at: str | None
    received_at: str
    resolved_at: str | None
    seen_seq: int | None

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self, gettext: Callable[[str], str] = lambda s: s) -> str:
        """One line for the supervisor: which permit, what happened, which windows' entries."""
        what = gettext({"double_extend": "extended at two windows",
                        "cancel_extend": "cancelled at one window and extended at another"}.get(
            self.kind, "changed at two windows without seeing each other"))
        where = ", ".join(f"{e.get('station_id')}#{e.get('seq')} {e.get('kind', '')}".strip() for e in self.entries)
        return gettext("permit {permit}: {what} ({entries})").format(permit=self.permit, what=what, entries=where)


def conflicts(station, *, open_only: bool = True) -> list[Conflict]:
    sql = ("SELECT conflict_id, permit, kind, entries, detected_at, received_at, resolved_at, seen_seq"
           " FROM register_conflicts")
    if open_only:
        sql += " WHERE resolved_at IS NULL"
    rows = station.db.conn.execute(sql + " ORDER BY conflict_id").fetchall()
    return [Conflict(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7]) for r in rows]


def mark_seen(station, conflict_id: int, supervisor) -> Entry:
    """A supervisor saw a conflict: journaled, so the journal says who knew of it and when."""
    from db.connection import write_transaction

    found = [c for c in conflicts(station, open_only=False) if c.conflict_id == conflict_id]
    if not found:
        raise RegisterError("no register conflict {cid} at this station; the ids are in 'counter person"
                            " conflicts'", cid=conflict_id)
    c = found[0]
    with write_transaction(station.db):
        entry = station.record("register.conflict_seen", {"conflict_id": c.conflict_id, "permit": c.permit,
                                                          "kind": c.kind, "entries": c.entries},
                               clerk_id=supervisor.clerk_id)
        station.db.conn.execute("UPDATE register_conflicts SET seen_seq = ? WHERE conflict_id = ?",
                                (entry.seq, conflict_id))
    return entry
