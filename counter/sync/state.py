"""The station's record of HQ's last signed ack (written by the sync client)."""

from __future__ import annotations

from db import sync_state


def last_ack(station) -> tuple[int, str] | None:
    """(acked_seq, acked_hash) from HQ's last verified ack, or None before the first sync."""
    return last_ack_in(station.db)


def last_ack_in(db) -> tuple[int, str] | None:
    """last_ack, from the station database itself (opened read-only by `counter journal verify`)."""
    return sync_state.acked(db)


ACK_CONFLICT_LIMIT = 50  # HQ lists at most this many open conflicts per ack (contract, refinement 6)


def store_conflicts(db, conflicts) -> int:
    """Keep the open conflicts of a verified ack (inside the ack's transaction); returns how many are new.
    A conflict no longer in a complete list was resolved at HQ."""
    from counter.sync.protocol import utc_now_text
    from db import register_conflicts

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
        if register_conflicts.has_conflict(db, cid):
            register_conflicts.set_resolved_at(db, cid, None)
            continue
        register_conflicts.add_conflict(db, conflict_id=cid, permit=c["permit"],
                                        kind=str(c.get("kind") or "concurrent"), entries=c.get("entries") or [],
                                        detected_at=c.get("detected_at"), received_at=now)
        new += 1
    if len(ids) < ACK_CONFLICT_LIMIT:
        register_conflicts.resolve_conflicts_except(db, ids, now)
    return new


RESOLVED_KIND = "register.conflict_resolved"
_KEEP = ("first", "second", "both")


def store_resolutions(station, conflicts) -> int:
    """Journal each resolution of a verified ack once (`register.conflict_resolved`, inside the ack's
    transaction): which entry the district kept, why, who decided and when, and which entry of this
    station is to be voided here. Returns how many are new."""
    from db import journal, register_conflicts

    new = 0
    for c in conflicts or ():
        res = c.get("resolution") if c.get("status") == "resolved" else None
        cid = c.get("conflict_id")
        if (not isinstance(res, dict) or not isinstance(cid, int) or isinstance(cid, bool)
                or not isinstance(c.get("permit"), str) or res.get("keep") not in _KEEP
                or not isinstance(c.get("entries"), list) or len(c["entries"]) != 2):
            continue
        if journal.count_of_kind(station.db, RESOLVED_KIND, payload_field="conflict_id", equals=cid):
            continue
        entries = [e for e in c["entries"] if isinstance(e, dict)]
        kept = {"first": entries[:1], "second": entries[1:], "both": entries}[res["keep"]]
        payload = {"conflict_id": cid, "permit": c["permit"], "kind": str(c.get("kind") or "concurrent"),
                   "entries": entries, "keep": res["keep"], "reason": str(res.get("reason") or "")[:500],
                   "resolved_by": str(res.get("resolved_by") or "")[:64],
                   "resolved_at": str(res.get("resolved_at") or ""),
                   "to_void": [e for e in entries if e not in kept and e.get("station_id") == station.station_id]}
        station.record(RESOLVED_KIND, payload)
        if register_conflicts.has_conflict(station.db, cid):
            register_conflicts.set_resolved_at(station.db, cid, payload["resolved_at"])
        else:
            register_conflicts.add_conflict(station.db, conflict_id=cid, permit=c["permit"], kind=payload["kind"],
                                            entries=entries, detected_at=c.get("detected_at"),
                                            received_at=payload["resolved_at"], resolved_at=payload["resolved_at"])
        new += 1
    return new
