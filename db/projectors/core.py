"""Clerks, sessions, the access log, day closures and device check-ins."""

from __future__ import annotations

import json

from db.entry import Entry
from db.projections import projection_tables, projector

projection_tables("clerks", "sessions", "access_log", "day_closures", "device_checkins")


@projector("clerk.added")
def _clerk_added(db, e: Entry, d: dict) -> None:
    db["clerks"].insert({"clerk_id": d["clerk_id"], "name": d["name"], "role": d["role"], "active": 1,
                         "added_seq": e.seq})


@projector("clerk.disabled", "clerk.enabled")
def _clerk_active(db, e: Entry, d: dict) -> None:
    db["clerks"].update(d["clerk_id"], {"active": int(e.kind == "clerk.enabled")})


@projector("clerk.role_changed")
def _clerk_role(db, e: Entry, d: dict) -> None:
    db["clerks"].update(d["clerk_id"], {"role": d["role"]})


@projector("session.signed_in")
def _signed_in(db, e: Entry, d: dict) -> None:
    db["sessions"].insert({"session_id": d["session_id"], "clerk_id": e.clerk_id, "signed_in_seq": e.seq,
                           "signed_in_at": e.device_time_utc})


@projector("session.signed_out")
def _signed_out(db, e: Entry, d: dict) -> None:
    db["sessions"].update(d["session_id"], {"signed_out_at": e.device_time_utc})


@projector("session.locked")
def _locked(db, e: Entry, d: dict) -> None:
    db.execute("UPDATE sessions SET locks = locks + 1 WHERE session_id = ?", [d["session_id"]])


@projector("record.opened")
def _record_opened(db, e: Entry, d: dict) -> None:
    db["access_log"].insert({"seq": e.seq, "clerk_id": e.clerk_id, "record_type": d["record_type"],
                             "record_id": d["record_id"], "at": e.device_time_utc, "purpose": d.get("purpose")})


@projector("day.closed")
def _day_closed(db, e: Entry, d: dict) -> None:
    db["day_closures"].insert({"business_day": d["business_day"], "closed_seq": e.seq, "closed_by": e.clerk_id,
                               "closed_at": e.device_time_utc})


@projector("devices.checked_in")
def _checked_in(db, e: Entry, d: dict) -> None:
    db["device_checkins"].insert({"seq": e.seq, "business_day": e.business_day, "clerk_id": e.clerk_id,
                                  "ok": int(bool(d.get("ok"))), "summary": json.dumps(d, ensure_ascii=False)})
