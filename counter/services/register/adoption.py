"""Opening a file from HQ and adopting it at this window.

`open_remote(station, session, ref)`: HQ's full file (HQ records the opening); `adopt(...)` verifies
every cited source entry (its hash recomputes from its content), replays them through the station's
own projectors in a scratch database, refuses a file whose entries do not give what HQ claims, and
records one `register.adopted` entry citing them (station, seq, hash). From then on the person,
their registration and permits are in the local tables and every permit service works here.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from counter.domain.citizen_id import mask
from counter.services import people
from counter.services.register.hq_requests import RegisterError, refused, request
from counter.services.register.permit_check import forget_recheck
from db import journal, kinds
from db.entry import Entry
from db.projectors.register import replayed_file

ADOPTED_KIND = kinds.REGISTER_ADOPTED
# Journal kinds whose replay a file's state depends on; anything else HQ sends is cited, not replayed.
# An adoption at another window is cited, not replayed: the entries it copied are in HQ's file too.
# A legacy import (the person's registration and permit, art. 13) and the residence periods reports or an
# import started or ended at any station are replayed too: HQ cites them like the services.
_REPLAYED = (kinds.PERSON_REGISTERED, kinds.SERVICE_PREFIX, kinds.LEGACY_PERSON_IMPORTED,
             kinds.LEGACY_PERMIT_IMPORTED, kinds.RESIDENCE_STARTED, kinds.RESIDENCE_ENDED)
# A legacy import in the adopted file's history (screens/person.py names it): the number each entry gives.
LEGACY_IMPORT = "legacy_import"
_IMPORTED = {kinds.LEGACY_PERSON_IMPORTED: "registration_number", kinds.LEGACY_PERMIT_IMPORTED: "permit_id"}
# The entries that act on a permit: the last one is the basis of this window's next service on it.
_PERMIT_ENTRY = ("service.permit_", kinds.LEGACY_PERMIT_IMPORTED)


@dataclass
class RemoteFile:
    ref: str
    person: dict
    registrations: list
    permits: list
    entries: list


def open_remote(station, session, ref: str, *, client=None) -> RemoteFile:
    """HQ's full file for `ref` (HQ records who opened it). Raises HQOffline or RegisterError."""
    clerk_id = session.clerk.clerk_id if session else None
    status, data = request(station, "POST", "/v1/register/open", clerk_id=clerk_id, body={"ref": ref},
                            client=client)
    if status != 200:
        raise refused(data, status)
    person = data.get("person")
    if not isinstance(person, dict) or not isinstance(data.get("entries"), list):
        raise RegisterError("HQ's file is incomplete (no person or no entries); nothing was adopted")
    return RemoteFile(ref, person, list(data.get("registrations") or []), list(data.get("permits") or []),
                      data["entries"])


def _scratch_db():
    import sqlite_utils

    from db.connection import migrate

    db = sqlite_utils.Database(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))
    db.conn.execute("PRAGMA foreign_keys=OFF")  # HQ may hold a permit's service without the parent entry
    migrate(db)
    return db


def _entry_of(raw: object, index: int) -> tuple[str, Entry]:
    from counter.sync.protocol import ENTRY_FIELDS, ProtocolError, check_entry

    if not isinstance(raw, dict) or not isinstance(raw.get("station_id"), str):
        raise RegisterError("HQ's file entry {i} names no station; nothing was adopted", i=index)
    try:
        check_entry({f: raw.get(f) for f in ENTRY_FIELDS}, index)
    except ProtocolError as exc:
        raise RegisterError("HQ's file entry {i} is malformed ({why}); nothing was adopted", i=index,
                            why=str(exc)) from None
    entry = Entry(**{f: raw[f] for f in ENTRY_FIELDS})
    if journal.entry_hash(raw["station_id"], entry) != entry.hash:
        raise RegisterError("HQ's file entry {sid} seq {seq} does not match its hash; nothing was adopted",
                            sid=raw["station_id"], seq=entry.seq)
    return raw["station_id"], entry


def _causal_order(sourced: list[tuple[str, Entry]]) -> list[tuple[str, Entry]]:
    """Each station's entries in seq order, the stations' runs merged by entry time: the order the windows
    acted in (HQ lists a file by business day and station, which puts two windows' same-day steps in
    name order). The registration goes first whatever the clocks say."""
    import heapq

    runs: dict[str, list[Entry]] = {}
    for sid, e in sourced:
        runs.setdefault(sid, []).append(e)
    streams = [[(e.device_time_utc, sid, e.seq, e) for e in sorted(run, key=lambda x: x.seq)]
               for sid, run in runs.items()]
    merged = [(sid, e) for _t, sid, _s, e in heapq.merge(*streams, key=lambda x: x[0])]
    first = [x for x in merged if x[1].kind == kinds.PERSON_REGISTERED][:1]
    return first + [x for x in merged if x not in first]


def _replay(person_id: str, sourced: list[tuple[str, Entry]]) -> dict:
    """Replay the source entries through the station's projectors; the file's state they give."""
    from db import projections
    from db.connection import write_transaction

    db = _scratch_db()
    history_of: dict[int, tuple[str, int]] = {}
    imported: list[dict] = []
    local_seq: dict[tuple[str, int], int] = {}
    with write_transaction(db):
        for n, (sid, e) in enumerate(sourced, start=1):
            if not e.kind.startswith(_REPLAYED):
                continue
            payload = json.loads(e.payload)
            # seqs of several stations share one scratch numbering: a void cites its own station's seq
            if isinstance(payload.get("ref_seq"), int):
                payload["ref_seq"] = local_seq.get((sid, payload["ref_seq"]), -1)
            scratch = Entry(**{**e.as_dict(), "seq": n, "payload": journal.canonical_json(payload)})
            try:
                # in the scratch journal too: a void re-derives the file from the entries before it
                journal.insert_chained(db, scratch)
                projections.apply(db, scratch)
            except (sqlite3.DatabaseError, KeyError, TypeError, ValueError):
                raise RegisterError("HQ's file entry {sid} seq {seq} cannot be replayed here; nothing was"
                                    " adopted", sid=sid, seq=e.seq) from None
            local_seq[(sid, e.seq)] = n
            history_of[n] = (sid, e.seq)
            if e.kind in _IMPORTED:  # no transaction row: the file's history names the import all the same
                imported.append({"station_id": sid, "seq": e.seq, "service": LEGACY_IMPORT,
                                 "number": payload.get(_IMPORTED[e.kind]), "business_day": e.business_day,
                                 "status": "done"})
    found = replayed_file(db, person_id)
    if found is None:
        raise RegisterError("HQ's entries do not register this person; nothing was adopted")
    permits, cards = found.permits, found.cards
    history = []
    for r in found.transactions:
        sid, seq = history_of[r["seq"]]
        history.append({"station_id": sid, "seq": seq, "service": r["service"], "number": r["number"],
                        "business_day": r["business_day"], "status": r["status"]})
    history += found.remote_history
    history += imported
    # the residence periods the window's registrations, moves and departures give (db/projectors/houses.py)
    periods = found.periods
    person = found.person
    for k in ("registered_seq", "updated_seq"):
        person.pop(k, None)
    for p in permits:
        p.pop("person_id", None)
        p.pop("updated_seq", None)
    db.conn.close()
    history.sort(key=lambda h: (h["business_day"], h["station_id"], h["seq"]))
    return {"person": person, "permits": permits, "cards": cards, "history": history, "periods": periods}


def _check_claims(remote: RemoteFile, state: dict) -> None:
    """HQ's summary of the file must be what its entries give; else HQ's read model and journal disagree."""
    p, mine = remote.person, state["person"]
    for k in ("id_number", "name", "birth_date"):
        if k in p and p[k] != mine.get(k):
            raise RegisterError("HQ's file says {field} differs from what its entries give; nothing was adopted"
                                " (tell district IT)", field=k)
    replayed = {x["permit_id"]: x for x in state["permits"]}
    for claimed in remote.permits:
        if not isinstance(claimed, dict):
            continue
        number = claimed.get("number") or claimed.get("permit_id")
        mine_p = replayed.get(number)
        if mine_p is None or any(claimed.get(k) not in (None, mine_p.get(k)) for k in ("status", "valid_until")):
            raise RegisterError("HQ's permit {number} differs from what its entries give; nothing was adopted"
                                " (tell district IT)", number=number)


def adopt(station, session, remote: RemoteFile, *, journal_open: bool = True) -> str:
    """Verify HQ's file and bring it into this station; returns the local person_id. `journal_open=False`
    when the caller journals the opening itself (the person file screen does)."""
    from counter.services import clerks

    person_id = remote.person.get("person_id")
    if not isinstance(person_id, str) or not person_id:
        raise RegisterError("HQ's file carries no person id; nothing was adopted")
    sourced = [_entry_of(raw, i) for i, raw in enumerate(remote.entries)]
    if not sourced:
        raise RegisterError("HQ's file cites no entries; nothing was adopted")
    for sid, e in sourced:
        if sid == station.station_id:
            local = journal.get(station.db, e.seq)
            if local is None or local.hash != e.hash:
                raise RegisterError("HQ's file cites this station's seq {seq}, which differs from the local"
                                    " journal; nothing was adopted (tell district IT)", seq=e.seq)
    sourced = _causal_order(sourced)
    state = _replay(person_id, sourced)
    _check_claims(remote, state)
    person = state["person"]
    on_file = people.by_document(station, person["doc_type"], person["id_number"])
    if on_file is not None and on_file.person_id != person_id:
        person["person_id"] = on_file.person_id  # the same person registered here too: keep one file
    pid = person["person_id"]
    if on_file is not None and pending_entries_about(station, pid):
        raise RegisterError("this file has entries not yet sent to HQ; sync first, then open it from HQ again")
    last_sid, last_entry = max(sourced, key=lambda s: s[1].device_time_utc)
    basis: dict[str, dict] = {}
    for sid, e in sourced:  # in HQ's order: the last entry touching each permit
        d = json.loads(e.payload)
        touched = d.get("number") if e.kind == "service.permit_apply" else d.get("permit_id")
        if isinstance(touched, str) and e.kind.startswith(_PERMIT_ENTRY):
            basis[touched] = {"station_id": sid, "seq": e.seq}
    payload = {
        "person": person, "permits": state["permits"], "cards": state["cards"], "history": state["history"],
        "periods": state["periods"],
        "sources": [{"station_id": sid, "seq": e.seq, "hash": e.hash, "kind": e.kind} for sid, e in sourced],
        "source_station": last_sid, "masked_id": mask(person["id_number"]), "name": person["name"],
        "permit_basis": basis,
    }
    clerk_id = session.clerk.clerk_id if session else None
    from db.connection import write_transaction

    for permit in state["permits"]:
        forget_recheck(station, permit["permit_id"])
    with write_transaction(station.db):
        station.record(ADOPTED_KIND, payload, clerk_id=clerk_id)
        if journal_open:
            clerks.open_record(station, session, "person", pid, "adopted from HQ")
    return pid


def pending_entries_about(station, person_id: str) -> int:
    """Entries about this person that HQ has not acknowledged yet."""
    from counter.sync import client as sync

    acked = sync.sync_status(station)["acked_seq"]
    return journal.count_after(station.db, acked, payload_field="person_id", equals=person_id)
