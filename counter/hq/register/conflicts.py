"""Two windows, one permit: the conflict check of a batch's entries, the open conflicts an ack carries,
and a district admin's resolution (docs/REGISTER.md, "Two windows, one permit")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from counter.hq.store import Store, Tx
from counter.sync.protocol import parse_utc, utc_now_text
from db.entry import Entry

PERMIT_SERVICES = {"service.permit_apply", "service.permit_extend", "service.permit_change",
                   "service.permit_replace", "service.permit_cancel", "service.permit_collect"}
# Kinds two windows must not both do on one permit without seeing each other (apply creates it).
MUTATING = PERMIT_SERVICES - {"service.permit_apply"}
MAX_CONFLICTS_IN_ACK = 50


@dataclass
class Conflict:
    conflict_id: int
    permit_id: str
    kind: str
    first: tuple[str, int, str]
    second: tuple[str, int, str]
    detected_at: str

    resolution: dict | None = None  # {keep, reason, resolved_by, resolved_at} once a district admin resolved it

    def as_ack_item(self) -> dict:
        item = {"conflict_id": self.conflict_id, "permit": self.permit_id, "kind": self.kind,
                "entries": [{"station_id": s, "seq": q, "kind": k} for s, q, k in (self.first, self.second)],
                "detected_at": self.detected_at, "status": "open" if self.resolution is None else "resolved",
                "resolution": None if self.resolution is None else dict(self.resolution)}
        return item


def _conflict_kind(a: str, b: str) -> str:
    kinds = {a, b}
    if kinds == {"service.permit_extend"}:
        return "double_extend"
    if kinds == {"service.permit_extend", "service.permit_cancel"}:
        return "cancel_extend"
    return "concurrent"


def check_conflicts(tx: Tx, sid: str, e: Entry, permit_id: str, basis: dict | None, made_at: str,
                    received_at: str, alarm) -> list[Conflict]:
    """Another station's live entry on this permit that this entry's maker could not have seen.

    With a basis (the permit's last entry as the station's re-check or adoption saw it): every other
    station's entry that reached HQ after the basis. Without one: every other station's entry that
    reached HQ after this entry was made (HQ's time, corrected by the batch's clock offset)."""
    since = made_at
    if basis is not None:
        row = tx.one("SELECT received_at FROM hq_register_permit_events WHERE station_id = ? AND seq = ?",
                     (basis.get("station_id"), basis.get("seq")))
        since = row[0] if row else "0000"
        rows = tx.all("SELECT station_id, seq, kind FROM hq_register_permit_events WHERE permit_id = ?"
                      " AND station_id <> ? AND voided = 0 AND received_at > ?"
                      " AND NOT (station_id = ? AND seq = ?) ORDER BY received_at, seq",
                      (permit_id, sid, since, basis.get("station_id"), basis.get("seq")))
    else:
        rows = tx.all("SELECT station_id, seq, kind FROM hq_register_permit_events WHERE permit_id = ?"
                      " AND station_id <> ? AND voided = 0 AND received_at > ? ORDER BY received_at, seq",
                      (permit_id, sid, since))
    found = []
    for other_sid, other_seq, other_kind in rows:
        if other_kind not in MUTATING:
            continue
        kind = _conflict_kind(other_kind, e.kind)
        row = tx.one("INSERT INTO hq_register_conflicts (permit_id, kind, first_station_id, first_seq, first_kind,"
                     " second_station_id, second_seq, second_kind, detected_at) VALUES (?,?,?,?,?,?,?,?,?)"
                     " ON CONFLICT DO NOTHING RETURNING conflict_id",
                     (permit_id, kind, other_sid, other_seq, other_kind, sid, e.seq, e.kind, received_at))
        if row is None:  # known already (a rebuild replays it): no second alarm
            continue
        c = Conflict(row[0], permit_id, kind, (other_sid, other_seq, other_kind), (sid, e.seq, e.kind), received_at)
        detail = (f"conflict {c.conflict_id} ({kind}): {other_sid} seq {other_seq} {other_kind.split('.')[-1]}"
                  f" and {sid} seq {e.seq} {e.kind.split('.')[-1]} on one permit")
        for station in (other_sid, sid):
            alarm(station, "permit_conflict", detail)
        found.append(c)
    return found


_CONFLICT_COLUMNS = ("c.conflict_id, c.permit_id, c.kind, c.first_station_id, c.first_seq, c.first_kind,"
                     " c.second_station_id, c.second_seq, c.second_kind, c.detected_at, c.status,"
                     " r.keep, r.reason, r.resolved_by, r.resolved_at")
_CONFLICT_FROM = " FROM hq_register_conflicts c LEFT JOIN hq_register_resolutions r ON r.conflict_id = c.conflict_id"
# A resolution rides in a station's acks for this long: a station offline longer still sees the conflict
# leave the open list (resolved, without the details).
RESOLUTION_NOTICE_DAYS = 30
# --keep A|B|both: A is the entry that reached HQ first, B the second (as `counter hq conflicts` lists them).
KEEP = {"a": "first", "b": "second", "both": "both"}
MAX_REASON = 500


def _conflict(r) -> Conflict:
    resolution = None if r[11] is None else {"keep": r[11], "reason": r[12], "resolved_by": r[13],
                                             "resolved_at": r[14]}
    return Conflict(r[0], r[1], r[2], (r[3], r[4], r[5]), (r[6], r[7], r[8]), r[9], resolution)


def open_conflicts(tx: Tx, station_id: str, limit: int = MAX_CONFLICTS_IN_ACK, now: str | None = None) -> list[Conflict]:
    """What a station's ack carries: its open conflicts (at most `limit`), then those resolved lately."""
    rows = tx.all(f"SELECT {_CONFLICT_COLUMNS}{_CONFLICT_FROM} WHERE c.status = 'open'"
                  " AND (c.first_station_id = ? OR c.second_station_id = ?) ORDER BY c.conflict_id LIMIT ?",
                  (station_id, station_id, limit))
    since = utc_now_text(parse_utc(now or utc_now_text()) - timedelta(days=RESOLUTION_NOTICE_DAYS))
    rows += tx.all(f"SELECT {_CONFLICT_COLUMNS}{_CONFLICT_FROM} WHERE c.status = 'resolved' AND r.resolved_at >= ?"
                   " AND (c.first_station_id = ? OR c.second_station_id = ?) ORDER BY c.conflict_id LIMIT ?",
                   (since, station_id, station_id, limit))
    return [_conflict(r) for r in rows]


def all_conflicts(store: Store, status: str | None = None) -> list[dict]:
    sql = f"SELECT {_CONFLICT_COLUMNS}{_CONFLICT_FROM}"
    args: tuple = ()
    if status:
        sql, args = sql + " WHERE c.status = ?", (status,)
    with store.transaction() as tx:
        rows = tx.all(sql + " ORDER BY c.conflict_id", args)
    return [{**_conflict(r).as_ack_item(), "status": r[10]} for r in rows]


def resolve_conflict(store: Store, conflict_id: int, keep: str, reason: str, by: str, *, client: str = "cli",
                     now: str | None = None) -> dict:
    """A district admin's decision on an open conflict: keep entry A (the first to reach HQ), B, or both.

    A new fact beside the conflict, never an edit of a journal: HQ stores who, when, why and which entry
    stands; both stations get it in their next ack, and the window whose entry was not kept voids it
    there (a supervisor's service.voided, which HQ projects as any void). Raises CounterError (one line)."""
    from counter.errors import CounterError
    from counter.hq import staff

    side = KEEP.get((keep or "").strip().lower())
    if side is None:
        raise CounterError("--keep must be A (the entry that reached HQ first), B (the second) or both, not {keep}",
                           keep=(keep or "")[:20])
    reason = " ".join((reason or "").split())
    if not reason:
        raise CounterError("a resolution needs a reason (--reason TEXT): the stations' supervisors read it")
    if len(reason) > MAX_REASON:
        raise CounterError("the reason is {n} characters; at most {max}", n=len(reason), max=MAX_REASON)
    at = now or utc_now_text()
    with store.transaction() as tx:
        admin = tx.one("SELECT role, disabled FROM hq_staff WHERE name = ?", ((by or "").strip(),))
        if admin is None or admin[0] != "admin" or admin[1]:
            raise CounterError("{name} is not an active HQ admin account (counter hq user add NAME --role admin)",
                               name=(by or "")[:64])
        row = tx.one(f"SELECT {_CONFLICT_COLUMNS}{_CONFLICT_FROM} WHERE c.conflict_id = ?", (conflict_id,))
        if row is None:
            raise CounterError("no register conflict {cid} at HQ; the ids are in 'counter hq conflicts'",
                               cid=conflict_id)
        if row[10] != "open":
            raise CounterError("conflict {cid} was resolved already by {by} at {at}; a resolution is not changed",
                               cid=conflict_id, by=row[13] or "?", at=row[14] or "?")
        tx.execute("INSERT INTO hq_register_resolutions (conflict_id, keep, reason, resolved_by, resolved_at)"
                   " VALUES (?, ?, ?, ?, ?)", (conflict_id, side, reason, by.strip(), at))
        tx.execute("UPDATE hq_register_conflicts SET status = 'resolved' WHERE conflict_id = ?", (conflict_id,))
        staff.audit(tx, by.strip(), "register.conflict_resolved", f"conflict {conflict_id} keep {side}", client,
                    parse_utc(at))
        row = tx.one(f"SELECT {_CONFLICT_COLUMNS}{_CONFLICT_FROM} WHERE c.conflict_id = ?", (conflict_id,))
    return {**_conflict(row).as_ack_item(), "status": row[10]}

