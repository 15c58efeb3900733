"""HQ's district register: the projection of every station's journal, conflicts, lookups.

Projection runs IN the ingest transaction (counter/hq/ingest.py calls `project_entries` before the
cursor moves), not as a follower with its own cursor. Why:
- a batch's entries are visible to lookups exactly when its ack is sent, with no second cursor to
  watch, lag to report or catch-up to schedule;
- the conflict check needs the permit's state as of this batch, and its result goes into the ack the
  station verifies (the ack is signed in the same transaction);
- stateless ingest processes stay stateless: there is no follower process to run and fail over.
The price is ingest time (tests/bench/register.py measures it against ingest without projection).
A projection failure never blocks the station's journal: the batch's entries are stored, the failing
entry is recorded in hq_register_failures and raises an alarm, and `counter hq rebuild` replays it
once fixed.

The projectors are the station's own (db/projectors, `district=True`), applied through
`DistrictDb`: `db.conn.execute` is HQ's transaction (SQLite or PostgreSQL), `db.station_id` the
entry's station. What only HQ keeps (name keys, permit events, conflicts, who last acted on a
file) is written here, after the shared projectors of the same entry (name keys after the
persons row: FK).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from counter.domain.citizen_id import mask
from counter.hq.register_schema import CHECKSUM_TABLES, REBUILT_TABLES
from counter.hq.store import Store, Tx
from counter.search_query import Query, detect, name_keys
from counter.sync.protocol import parse_utc, utc_now_text
from db import kinds, projections
from db.entry import Entry

log = logging.getLogger("counter.hq")

PERMIT_SERVICES = {"service.permit_apply", "service.permit_extend", "service.permit_change",
                   "service.permit_replace", "service.permit_cancel", "service.permit_collect"}
# Kinds two windows must not both do on one permit without seeing each other (apply creates it).
MUTATING = PERMIT_SERVICES - {"service.permit_apply"}
# Entries of a person's file that make no transaction row (hq_register_file_entries): HQ cites them when
# the file is opened, so another window adopts an imported person with their permit and residence periods.
FILE_ENTRY_KINDS = frozenset({kinds.LEGACY_PERSON_IMPORTED, kinds.LEGACY_PERMIT_IMPORTED,
                              kinds.RESIDENCE_STARTED, kinds.RESIDENCE_ENDED})
MAX_CONFLICTS_IN_ACK = 50
MAX_LIMIT = 50
DEFAULT_LIMIT = 20
ENTRY_COLUMNS = ("seq", "uuid", "business_day", "device_time_utc", "monotonic_ns", "boot_id", "clerk_id", "kind",
                 "schema_ver", "payload", "prev_hash", "hash")
PERSON_FIELDS = ("person_id", "doc_type", "id_number", "name", "sex", "birth_date", "ethnicity", "nationality",
                 "household_address", "current_address", "phone", "employer", "registration_kind",
                 "registration_number", "resident_since", "registered_on", "station_id", "last_station_id", "last_seq")
PERMIT_FIELDS = ("permit_id", "person_id", "status", "application_number", "validity_years", "accepted_on",
                 "collection_date", "valid_from", "valid_until", "card_number", "collected_on", "address", "proof")


class _Conn:
    """What a shared projector sees as `db.conn`: HQ's open transaction, with writes batched.

    Consecutive writes of the same statement (a batch of 500 registrations is 500 identical INSERTs)
    go to the database as one executemany; any read (a SELECT) first sends what is pending, so every
    statement still sees the effects of the ones before it, in order."""

    def __init__(self, tx: Tx):
        self.tx = tx
        self._sql: str | None = None
        self._rows: list = []

    def execute(self, sql: str, params=()):
        if sql.lstrip()[:6].upper() == "SELECT":
            self.flush()
            return self.tx.execute(sql, params)
        if sql != self._sql:
            self.flush()
            self._sql = sql
        self._rows.append(tuple(params))
        return None

    def flush(self) -> None:
        rows, self._rows = self._rows, []
        if len(rows) == 1:
            self.tx.execute(self._sql, rows[0])
        elif rows:
            plain = _PLAIN_INSERT.match(self._sql)
            if plain:
                self.tx.insert_rows(plain.group(1), plain.group(2).split(", "), rows)
            else:
                self.tx.executemany(self._sql, rows)


# An INSERT of one row of placeholders and nothing else: rows of it may go as one multi-row INSERT
# (no ON CONFLICT clause, whose outcome could depend on rows of the same statement).
_PLAIN_INSERT = re.compile(r"^INSERT INTO (\w+) \(([\w, ]+)\) VALUES \(\?(?:, \?)*\)$")


class DistrictDb:
    """The `db` a shared projector gets at HQ (on a station it is the sqlite_utils.Database).

    HQ's bookkeeping of a new person (home station, household area, who last acted) goes into the
    persons row as it is inserted (`district_columns`); later entries of a batch only move "who last
    acted on the file", coalesced per person into one UPDATE at the end of the batch. The name keys
    are written after the batch's projectors (FK), as one executemany."""

    def __init__(self, tx: Tx, station_id: str):
        self.tx = tx
        self.conn = _Conn(tx)
        self.station_id = station_id
        self.last_acted: dict[str, tuple[str, int]] = {}
        self.new_keys: list[tuple] = []

    def district_columns(self, table: str, e: Entry, d: dict) -> dict:
        if table != "persons":
            return {}
        return {"station_id": self.station_id, "last_station_id": self.station_id, "last_seq": e.seq,
                "household_area": _household_area(d.get("doc_type"), d.get("id_number"))}

    def flush(self) -> None:
        """Send every pending write (before HQ reads, and at the end of the batch)."""
        self.conn.flush()
        if self.last_acted:
            acted, self.last_acted = self.last_acted, {}
            self.tx.executemany("UPDATE persons SET last_station_id = ?, last_seq = ? WHERE person_id = ?",
                                [(sid, seq, pid) for pid, (sid, seq) in acted.items()])
        if self.new_keys:
            keys, self.new_keys = self.new_keys, []
            self.tx.insert_rows("person_name_keys", ("key", "kind", "person_id"), keys)


def _entry(row: dict) -> Entry:
    return Entry(**{c: row[c] for c in ENTRY_COLUMNS})


def _household_area(doc_type: str | None, id_number: str | None) -> str | None:
    """The GB/T 2260 area of the household registration: a citizen ID number's first six digits."""
    if doc_type == "citizen_id" and id_number and len(id_number) == 18 and id_number[:6].isdigit():
        return id_number[:6]
    return None


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


def _name_key_rows(person_id: str, name: str) -> list[tuple]:
    return [(key, kind, person_id) for kind, key in sorted(name_keys(name))]


def _after(tx: Tx, db: DistrictDb, sid: str, e: Entry, d: dict, received_at: str, offset_s: float,
           alarm: Callable[[str, str, str], None]) -> list[Conflict]:
    """HQ's own bookkeeping of one entry, after the shared projectors applied it."""
    person_id = d.get("person_id") if isinstance(d.get("person_id"), str) else None
    if e.kind == kinds.PERSON_REGISTERED and person_id:
        # its home station and "last acted" went into the row with the insert (DistrictDb.district_columns)
        db.new_keys += _name_key_rows(person_id, d.get("name") or "")  # a new person has none to replace
        return []
    if person_id:
        db.last_acted[person_id] = (sid, e.seq)
    if e.kind == "service.name_correction" and person_id:
        new_name = (d.get("values") or {}).get("new_name")
        if new_name:
            db.flush()
            tx.execute("DELETE FROM person_name_keys WHERE person_id = ?", (person_id,))
            db.new_keys += _name_key_rows(person_id, new_name)
    if e.kind in FILE_ENTRY_KINDS and person_id:
        # no transaction row: HQ keeps where the file's entry is, to cite it (open) and replay it (a void)
        db.conn.execute("INSERT INTO hq_register_file_entries (station_id, seq, person_id, kind) VALUES (?, ?, ?, ?)",
                        (sid, e.seq, person_id, e.kind))
        if e.kind == kinds.LEGACY_PERMIT_IMPORTED and isinstance(d.get("permit_id"), str):
            # the imported permit's first entry: the re-check's "last" and a later service's basis
            db.conn.execute("INSERT INTO hq_register_permit_events (station_id, seq, permit_id, kind, made_at,"
                            " received_at) VALUES (?, ?, ?, ?, ?, ?)",
                            (sid, e.seq, d["permit_id"], e.kind, _made_at(e, offset_s), received_at))
        return []
    if e.kind not in PERMIT_SERVICES and e.kind != kinds.SERVICE_VOIDED:
        return []
    db.flush()  # what follows reads the district tables
    if e.kind == kinds.SERVICE_VOIDED:
        # the void undoes the voided entry's part in the conflict check as well, and is the permit's last entry
        ref = tx.one("SELECT permit_id FROM hq_register_permit_events WHERE station_id = ? AND seq = ?",
                     (sid, d.get("ref_seq")))
        if ref is not None:
            tx.execute("UPDATE hq_register_permit_events SET voided = 1 WHERE station_id = ? AND seq = ?",
                       (sid, d.get("ref_seq")))
            tx.execute("INSERT INTO hq_register_permit_events (station_id, seq, permit_id, kind, made_at, received_at)"
                       " VALUES (?, ?, ?, ?, ?, ?)", (sid, e.seq, ref[0], e.kind, _made_at(e, offset_s), received_at))
        return []
    permit_id = d.get("number") if e.kind == "service.permit_apply" else d.get("permit_id")
    if not isinstance(permit_id, str):
        return []
    basis = d.get("permit_basis") if isinstance(d.get("permit_basis"), dict) else None
    made_at = _made_at(e, offset_s)
    conflicts = _check_conflicts(tx, sid, e, permit_id, basis, made_at, received_at, alarm) if e.kind in MUTATING else []
    tx.execute("INSERT INTO hq_register_permit_events (station_id, seq, permit_id, kind, made_at, received_at,"
               " basis_station_id, basis_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (sid, e.seq, permit_id, e.kind, made_at, received_at,
                basis.get("station_id") if basis else None, basis.get("seq") if basis else None))
    return conflicts


def _made_at(e: Entry, offset_s: float) -> str:
    """When the entry was made, on HQ's clock (the batch's measured offset taken off the station's)."""
    try:
        return utc_now_text(parse_utc(e.device_time_utc) - timedelta(seconds=offset_s))
    except ValueError:  # a malformed time is stored and flagged by ingest; here it counts as 'long ago'
        return "0000-00-00T00:00:00.000000Z"


def _check_conflicts(tx: Tx, sid: str, e: Entry, permit_id: str, basis: dict | None, made_at: str,
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


def project_entries(tx: Tx, station_id: str, rows: list[dict], received_at: str, offset_s: float,
                    alarm: Callable[[str, str, str], None]) -> list[Conflict]:
    """Apply a batch's new entries to the district tables, inside the ingest transaction.

    One savepoint for the batch (the common case costs two statements); if any entry fails, the batch
    is replayed entry by entry, each in its own savepoint, and the failing ones are recorded."""
    kinds = projections.district_kinds()
    todo = [r for r in rows if r["kind"] in kinds]
    if not todo:
        return []
    tx.execute("SAVEPOINT register_batch")
    try:
        with tx.pipeline():  # an error surfaces at the latest when the pipeline syncs, on leaving it
            db = DistrictDb(tx, station_id)
            conflicts = [c for r in todo for c in _project_one(tx, db, station_id, r, received_at, offset_s, alarm)]
            db.flush()
    except Exception:
        tx.execute("ROLLBACK TO SAVEPOINT register_batch")
    else:
        tx.execute("RELEASE SAVEPOINT register_batch")
        return conflicts
    conflicts = []
    for r in todo:
        tx.execute("SAVEPOINT register_entry")
        try:
            db = DistrictDb(tx, station_id)
            found = _project_one(tx, db, station_id, r, received_at, offset_s, alarm)
            db.flush()
            conflicts += found
        except Exception as exc:  # noqa: BLE001 - any projector error: recorded, the journal goes on
            tx.execute("ROLLBACK TO SAVEPOINT register_entry")
            reason = type(exc).__name__  # the class only: a driver's message can quote row values
            tx.execute("INSERT INTO hq_register_failures (station_id, seq, kind, reason, at) VALUES (?, ?, ?, ?, ?)"
                       " ON CONFLICT DO NOTHING", (station_id, r["seq"], r["kind"], reason, received_at))
            alarm(station_id, "projection_failed", f"seq {r['seq']} ({r['kind']}): {reason}")
        tx.execute("RELEASE SAVEPOINT register_entry")
    return conflicts


def _project_one(tx, db, sid, row, received_at, offset_s, alarm) -> list[Conflict]:
    e = _entry(row)
    try:
        data = json.loads(e.payload)
    except ValueError:
        raise ValueError("payload is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("payload is not a JSON object")
    projections.apply(db, e, district=True, data=data)
    return _after(tx, db, sid, e, data, received_at, offset_s, alarm)


# --- conflicts for acks, status ----------------------------------------------------------------


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


# --- lookups ---------------------------------------------------------------------------------------


class NotFound(LookupError):
    pass


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _find_ids(tx: Tx, query: Query, limit: int) -> list[str]:
    """Person ids matching the query, best first, at most `limit`."""
    if query.kind == "id_number":
        return [r[0] for r in tx.all("SELECT person_id FROM persons WHERE id_number = ? ORDER BY person_id LIMIT ?",
                                     (query.text, limit))]
    if query.kind == "number":
        n = query.text
        rows = tx.all(
            "SELECT person_id FROM permits WHERE permit_id = ? OR application_number = ? OR card_number = ?"
            " UNION SELECT person_id FROM transactions WHERE number = ?"
            " UNION SELECT p.person_id FROM permit_cards c JOIN permits p ON p.permit_id = c.permit_id"
            " WHERE c.card_number = ? LIMIT ?", (n, n, n, n, n, limit))
        return [r[0] for r in rows]
    if query.kind == "pinyin":
        exact = tx.all("SELECT DISTINCT person_id FROM person_name_keys WHERE key = ? LIMIT ?", (query.text, limit))
        ids = [r[0] for r in exact]
        if len(ids) < limit and len(query.text) >= 3:
            more = tx.all("SELECT DISTINCT person_id FROM person_name_keys WHERE kind = 'full' AND key LIKE ?"
                          " ESCAPE '\\' LIMIT ?", (_like_escape(query.text) + "%", limit))
            ids += [r[0] for r in more if r[0] not in ids]
        return ids[:limit]
    # a name: exact (with the birth date if given), then names starting with it, then (3 characters or more)
    # names containing it: pg_trgm's index on PostgreSQL
    birth = " AND birth_date = ?" if query.birth_date else ""
    bargs = (query.birth_date,) if query.birth_date else ()
    ids = [r[0] for r in tx.all(f"SELECT person_id FROM persons WHERE name = ?{birth} ORDER BY person_id LIMIT ?",
                                (query.text, *bargs, limit))]
    pattern = _like_escape(query.text)
    if len(ids) < limit:
        ids += [r[0] for r in tx.all(f"SELECT person_id FROM persons WHERE name LIKE ? ESCAPE '\\' AND name <> ?{birth}"
                                     " LIMIT ?", (pattern + "%", query.text, *bargs, limit)) if r[0] not in ids]
    if len(ids) < limit and len(query.text) >= 3:
        ids += [r[0] for r in tx.all(f"SELECT person_id FROM persons WHERE name LIKE ? ESCAPE '\\'"
                                     f" AND name NOT LIKE ? ESCAPE '\\'{birth} LIMIT ?",
                                     ("%" + pattern + "%", pattern + "%", *bargs, limit)) if r[0] not in ids]
    return ids[:limit]


def _permits_of(tx: Tx, person_ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {pid: [] for pid in person_ids}
    if not person_ids:
        return out
    marks = ", ".join("?" * len(person_ids))
    for r in tx.all(f"SELECT {', '.join(PERMIT_FIELDS)} FROM permits WHERE person_id IN ({marks})"
                    " ORDER BY accepted_on DESC, permit_id", person_ids):
        out[r[1]].append(dict(zip(PERMIT_FIELDS, r, strict=True)))
    return out


def _record(tx: Tx, station_id: str, clerk_id: str, action: str, at: str, *, ref: str | None = None,
            query: Query | None = None, results: int = 0, purpose: str | None = None) -> int:
    """One hq_register_access row, in the transaction that reads what it records.

    A search or a permit re-check (masked lists, statuses) commits without waiting for the WAL flush
    on PostgreSQL: a crash of the database server itself can lose the last fraction of a second of
    those rows, never corrupt them, and it saves the flush's milliseconds on every lookup. An opening
    (the full record) waits for it, like every ingest."""
    masked = None
    if query is not None:
        masked = mask(query.text) if query.kind == "id_number" else query.text
        if query.birth_date:
            masked += " " + query.birth_date[:4]  # the year only, as journal show masks birth dates
    with tx.pipeline():  # the setting and the row in one round trip
        if action != "open" and tx.dialect == "postgresql":
            tx.execute("SET LOCAL synchronous_commit = off")
        return tx.one("INSERT INTO hq_register_access (station_id, clerk_id, action, ref, query_kind, query,"
                      " results, purpose, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING access_id",
                      (station_id, clerk_id, action, ref, query.kind if query else None, masked, results, purpose,
                       at))[0]


def search(store: Store, station_id: str, clerk_id: str, q: str, limit: int = DEFAULT_LIMIT) -> dict:
    """The masked result list; the search itself is recorded. ValueError: q is malformed."""
    query = detect(q)
    with store.transaction() as tx:
        ids = _find_ids(tx, query, limit + 1)
        truncated = len(ids) > limit
        ids = ids[:limit]
        rows: dict[str, tuple] = {}
        permits: dict[str, list[dict]] = {pid: [] for pid in ids}
        if ids:  # the persons and their permits in one round trip
            marks = ", ".join("?" * len(ids))
            for r in tx.all("SELECT p.person_id, p.name, p.id_number, p.sex, p.birth_date, p.last_station_id,"
                            " p.last_seq, m.permit_id, m.status, m.valid_until FROM persons p LEFT JOIN permits m"
                            f" ON m.person_id = p.person_id WHERE p.person_id IN ({marks})"
                            " ORDER BY m.accepted_on DESC, m.permit_id", ids):
                rows[r[0]] = r
                if r[7] is not None:
                    permits[r[0]].append({"number": r[7], "status": r[8], "valid_until": r[9]})
        results = []
        for pid in ids:
            r = rows[pid]
            results.append({"ref": pid, "name": r[1], "id_masked": mask(r[2]), "sex": r[3], "birth_date": r[4],
                            "station_id": r[5], "source": "hq",
                            "person_updated": {"station_id": r[5], "seq": r[6]}, "permits": permits[pid]})
        _record(tx, station_id, clerk_id, "search", utc_now_text(), query=query, results=len(results))
    return {"results": results, "truncated": truncated}


def open_person(store: Store, station_id: str, clerk_id: str, ref: str, purpose: str | None = None) -> dict:
    """The full file and its source entries, read and recorded in one transaction. NotFound for an unknown
    ref (recorded all the same: the transaction commits, then the call is refused)."""
    with store.transaction() as tx:
        row = tx.one(f"SELECT {', '.join(PERSON_FIELDS)}, registered_seq FROM persons WHERE person_id = ?", (ref,))
        if row is None:
            _record(tx, station_id, clerk_id, "open", utc_now_text(), ref=ref[:64], purpose=purpose)
            found = None
        else:
            found = _file(tx, ref, row)
            found["access_id"] = _record(tx, station_id, clerk_id, "open", utc_now_text(), ref=ref, purpose=purpose,
                                         results=1)
    if found is None:
        raise NotFound(ref)
    return found


def _file(tx: Tx, ref: str, row) -> dict:
    person = dict(zip(PERSON_FIELDS, row[:-1], strict=True))
    registered_seq = row[-1]
    permits = _permits_of(tx, [ref])[ref]
    history = tx.all("SELECT station_id, seq, service, number, business_day, status, ref_seq FROM transactions"
                     " WHERE person_id = ? ORDER BY business_day, station_id, seq", (ref,))
    registrations = [{"station_id": h[0], "seq": h[1], "service": h[2], "number": h[3], "business_day": h[4],
                      "status": h[5]} for h in history if h[2] in ("residence_registration", "lodging_registration")]
    # the entries without a transaction row: a legacy import, residence periods from reports (any station)
    others = tx.all("SELECT f.station_id, f.seq, f.kind, j.business_day FROM hq_register_file_entries f"
                    " JOIN hq_journal j ON j.station_id = f.station_id AND j.seq = f.seq"
                    " WHERE f.person_id = ? ORDER BY j.business_day, f.station_id, f.seq", (ref,))
    entries = []
    cols = ", ".join(ENTRY_COLUMNS)
    cited = [(person["station_id"], registered_seq)] + [(h[0], h[1]) for h in history] + [(o[0], o[1]) for o in others]
    for sid, seq in cited:
        if sid is None:
            continue
        e = tx.one(f"SELECT {cols} FROM hq_journal WHERE station_id = ? AND seq = ?", (sid, seq))
        if e is not None:
            entries.append({"station_id": sid, **dict(zip(ENTRY_COLUMNS, e, strict=True))})
    items = [{"station_id": h[0], "seq": h[1], "service": h[2], "number": h[3], "business_day": h[4],
              "status": h[5], "ref_seq": h[6]} for h in history]
    items += [{"station_id": o[0], "seq": o[1], "kind": o[2], "business_day": o[3]} for o in others
              if o[2] in (kinds.LEGACY_PERSON_IMPORTED, kinds.LEGACY_PERMIT_IMPORTED)]
    items.sort(key=lambda h: (h["business_day"], h["station_id"], h["seq"]))
    return {"person": person, "registrations": registrations, "permits": permits, "history": items,
            "entries": entries}


def permit_status(store: Store, station_id: str, clerk_id: str, number: str) -> dict:
    """A permit's status and the last entry HQ applied to it (for the re-check before a service)."""
    number = number.strip().upper()
    with store.transaction() as tx:
        row = tx.one("SELECT permit_id, status, valid_until FROM permits WHERE permit_id = ?"
                     " OR application_number = ? OR card_number = ? ORDER BY permit_id LIMIT 1", (number, number, number))
        _record(tx, station_id, clerk_id, "permit", utc_now_text(), ref=row[0] if row else number[:64],
                results=int(row is not None))
        if row is not None:
            last = tx.one("SELECT station_id, seq, kind, made_at FROM hq_register_permit_events WHERE permit_id = ?"
                          " AND voided = 0 ORDER BY received_at DESC, seq DESC LIMIT 1", (row[0],))
            conflict = tx.one("SELECT count(*) FROM hq_register_conflicts WHERE permit_id = ? AND status = 'open'",
                              (row[0],))[0]
    if row is None:  # recorded all the same, then refused
        raise NotFound(number)
    return {"number": row[0], "status": row[1], "valid_until": row[2],
            "last": {"station_id": last[0], "seq": last[1], "kind": last[2], "at": last[3]} if last else None,
            "conflict": bool(conflict)}


# --- rebuild, checksum, duplicates ---------------------------------------------------------------


def checksum(store: Store) -> str:
    """SHA-256 over the register's tables in a total order: equal on both backends for equal content."""
    h = hashlib.sha256()
    with store.transaction() as tx:
        for table, order in sorted(CHECKSUM_TABLES.items()):
            h.update(table.encode() + b"\x00")
            for row in tx.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                h.update(json.dumps(list(row), ensure_ascii=False, default=str).encode() + b"\n")
    return h.hexdigest()


def rebuild(store: Store, progress: Callable[[int, int], None] | None = None, page: int = 5000) -> int:
    """Empty the register and replay every stored entry, in the order HQ received them, in one transaction.

    Conflicts HQ already raised are kept (with their ids, which acks carried); replaying finds them again
    without a second alarm. Returns the number of entries replayed."""
    from counter.hq.alarms import raise_alarm

    kinds = sorted(projections.district_kinds())
    marks = ", ".join("?" * len(kinds))
    done = 0
    with store.transaction() as tx:
        total = tx.one(f"SELECT count(*) FROM hq_journal WHERE kind IN ({marks})", kinds)[0]
        for table in REBUILT_TABLES:
            if table != "hq_register_conflicts":
                tx.execute(f"DELETE FROM {table}")
        offsets = dict(tx.all("SELECT batch_id, clock_offset_s FROM hq_batches"))
        cols = ", ".join(("station_id", "batch_id", "received_at", *ENTRY_COLUMNS))
        after = (-1, "", 0)
        while True:
            rows = tx.all(f"SELECT {cols} FROM hq_journal WHERE kind IN ({marks}) AND"
                          " (batch_id > ? OR (batch_id = ? AND (station_id > ? OR (station_id = ? AND seq > ?))))"
                          " ORDER BY batch_id, station_id, seq LIMIT ?",
                          (*kinds, after[0], after[0], after[1], after[1], after[2], page))
            if not rows:
                break
            group: list[dict] = []
            for r in rows:
                d = dict(zip(("station_id", "batch_id", "received_at", *ENTRY_COLUMNS), r, strict=True))
                if group and (group[0]["batch_id"], group[0]["station_id"]) != (d["batch_id"], d["station_id"]):
                    _replay(tx, group, offsets, raise_alarm)
                    group = []
                group.append(d)
            _replay(tx, group, offsets, raise_alarm)
            last = rows[-1]
            after = (last[1], last[0], last[3])
            done += len(rows)
            if progress:
                progress(done, total)
    return done


def _replay(tx: Tx, group: list[dict], offsets: dict, raise_alarm) -> None:
    if not group:
        return
    sid, received_at = group[0]["station_id"], group[0]["received_at"]
    project_entries(tx, sid, group, received_at, offsets.get(group[0]["batch_id"]) or 0.0,
                    lambda s, k, detail: raise_alarm(tx, s, k, detail, received_at))


def duplicates(store: Store) -> dict[str, list[dict]]:
    """Files that may be one person twice, or two people under one number (seed 003_* 篇1's cross-check).

    - same_number: one document number under different names (at any stations);
    - same_person: one name, birth date and household area under different document numbers.
    ID numbers are masked; each file names its station."""
    with store.transaction() as tx:
        by_number = tx.all(
            "SELECT p.doc_type, p.id_number, p.name, p.station_id, p.person_id FROM persons p JOIN ("
            " SELECT doc_type, id_number FROM persons GROUP BY doc_type, id_number HAVING count(DISTINCT name) > 1"
            ") d ON d.doc_type = p.doc_type AND d.id_number = p.id_number ORDER BY p.id_number, p.name, p.person_id")
        by_person = tx.all(
            "SELECT p.name, p.birth_date, p.household_area, p.id_number, p.station_id, p.person_id FROM persons p JOIN ("
            " SELECT name, birth_date, household_area FROM persons WHERE household_area IS NOT NULL"
            " AND birth_date IS NOT NULL GROUP BY name, birth_date, household_area HAVING count(DISTINCT id_number) > 1"
            ") d ON d.name = p.name AND d.birth_date = p.birth_date AND d.household_area = p.household_area"
            " ORDER BY p.household_area, p.name, p.birth_date, p.id_number")
    same_number: dict[tuple, dict] = {}
    for doc_type, number, name, sid, pid in by_number:
        group = same_number.setdefault((doc_type, number), {"doc_type": doc_type, "id_masked": mask(number),
                                                           "files": []})
        group["files"].append({"name": name, "station_id": sid, "ref": pid})
    same_person: dict[tuple, dict] = {}
    for name, birth, area, number, sid, pid in by_person:
        group = same_person.setdefault((name, birth, area), {"name": name, "birth_date": birth, "household_area": area,
                                                            "files": []})
        group["files"].append({"id_masked": mask(number), "station_id": sid, "ref": pid})
    return {"same_number": list(same_number.values()), "same_person": list(same_person.values())}


def counts(tx: Tx) -> dict[str, int]:
    return {t: tx.one(f"SELECT count(*) FROM {t}")[0] for t in ("persons", "permits", "transactions")}




class _Rows:
    def __init__(self, rows: list):
        self.rows = [tuple(r) for r in rows]

    def fetchall(self) -> list:
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def __iter__(self):
        return iter(self.rows)


class ReadDb:
    """The `db` the reads of db/projectors take (`db.conn.execute(sql, params)`), over an HQ transaction."""

    def __init__(self, tx: Tx):
        self.tx = tx
        self.conn = self

    def execute(self, sql: str, params=()):
        return _Rows(self.tx.all(sql, params))


def overdue(store: Store, since: str | None = None) -> list[dict]:
    """Houses and entities with late reports (art. 14) at any station of the district: the list for
    限期改正 (art. 22), from the same read as a station's."""
    from db.projectors import houses as house_reads

    with store.transaction() as tx:
        found = house_reads.overdue_reporters(ReadDb(tx), since)
    return [dict(o.__dict__) for o in found]
