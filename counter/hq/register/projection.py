"""The district register's projection: every station's journal, replayed at HQ.

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
file) is written here, after the shared projectors of the same entry.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache

import msgspec

from counter.hq.register.conflicts import MUTATING, PERMIT_SERVICES, Conflict, check_conflicts
from counter.hq.store import Tx
from counter.search_query import name_keys
from counter.sync.protocol import parse_utc, utc_now_text
from db import kinds, projections
from db.entry import Entry

log = logging.getLogger("counter.hq")

# Entries of a person's file that make no transaction row (hq_register_file_entries): HQ cites them when
# the file is opened, so another window adopts an imported person with their permit and residence periods.
FILE_ENTRY_KINDS = frozenset({kinds.LEGACY_PERSON_IMPORTED, kinds.LEGACY_PERMIT_IMPORTED,
                              kinds.RESIDENCE_STARTED, kinds.RESIDENCE_ENDED})
# Entries that can change a person's name at HQ (a correction, and the void or correction of one): their
# name keys follow the name the projectors leave, compared before and after.
NAME_WRITERS = frozenset({kinds.service_kind("name_correction"), kinds.SERVICE_VOIDED, kinds.SERVICE_CORRECTED})
# About 3x faster than json.loads on a payload, with the same result wherever both accept the text
_decode_payload = msgspec.json.Decoder().decode
ENTRY_COLUMNS = ("seq", "uuid", "business_day", "device_time_utc", "monotonic_ns", "boot_id", "clerk_id", "kind",
                 "schema_ver", "payload", "prev_hash", "hash")


class _Conn:
    """What a shared projector sees as `db.conn`: HQ's open transaction, with writes batched.

    Writes are held in groups, one per statement, and sent as one COPY (a plain INSERT) or one
    executemany per group: a batch of 450 registrations and 50 applications is a handful of
    statements, not one per entry. A write joins the last group of its statement unless a group
    after that one touches the same row (same table and key), so each row still sees its writes in
    journal order; a write whose row is unknown (no key HQ can read off the statement) touches its
    whole table. Any read (a SELECT), and any write that is neither a keyed INSERT nor a keyed
    UPDATE, first sends everything pending, in order. Writes to different tables do not wait on each
    other: HQ's district tables have no foreign keys on PostgreSQL (HQ migration 0013: the journal
    is the truth, the projection is derived from it). On SQLite, which keeps its foreign keys and
    has no round trip to save, a write joins only the group just before it (runs of one statement)."""

    def __init__(self, tx: Tx):
        self.tx = tx
        self.regroup = tx.dialect == "postgresql"
        self._groups: list[_Group] = []
        self._last: dict[str, int] = {}  # statement -> index of its last group
        self._held: dict[str, set] = {}  # parent table -> keys of the rows this batch inserted there

    def execute(self, sql: str, params=()):
        shape = _shape(sql)
        if shape is None:  # a read, or a write HQ cannot place: everything before it goes first
            self.flush()
            if not sql.lstrip().upper().startswith("SELECT"):
                self._held.clear()  # a DELETE may have taken rows this batch inserted
            return self.tx.execute(sql, params)
        table, key_at = shape.table, shape.key_at
        key = tuple(params[i] for i in key_at) if key_at else None
        at = self._last.get(sql)
        if at is not None and (at == len(self._groups) - 1 or self.regroup and not any(
                g.table == table and (key is None or None in g.keys or key in g.keys) for g in self._groups[at + 1:])):
            group = self._groups[at]
        else:
            group = _Group(sql, table)
            self._groups.append(group)
            self._last[sql] = len(self._groups) - 1
        group.rows.append(tuple(params))
        group.keys.add(key)
        if table in PARENTS and shape.params_of is not None and key is not None:
            self._held.setdefault(table, set()).add(key[0])
        return None

    def flush(self) -> None:
        groups, self._groups, self._last = self._groups, [], {}
        wanted: dict[str, set] = {}  # parent table -> keys the rows just written refer to
        for g in groups:
            shape = _shape(g.sql)
            if self.regroup and g.table in REFERENCES and shape.params_of is not None:
                column, parent = REFERENCES[g.table]
                at = shape.params_of.get(column)
                if at is not None:
                    wanted.setdefault(parent, set()).update(r[at] for r in g.rows)
            if len(g.rows) == 1:
                self.tx.execute(g.sql, g.rows[0])
            elif shape.copy_columns:
                self.tx.insert_rows(g.table, shape.copy_columns, g.rows)
            else:
                self.tx.executemany(g.sql, g.rows)
        for parent, keys in wanted.items():
            # the foreign keys PostgreSQL no longer checks row by row (HQ migration 0013), once per flush for
            # the rows that refer to one this batch did not insert: an entry about a file HQ does not hold
            # fails, and is recorded, as it did with them
            keys = keys - self._held.get(parent, set())
            if not keys:
                continue
            column = TABLE_KEYS[parent][0]
            missing = self.tx.all(f"SELECT k FROM unnest(?::text[]) AS k WHERE NOT EXISTS (SELECT 1 FROM {parent}"
                                  f" WHERE {column} = k)", (sorted(keys),))
            if missing:
                raise DanglingReference(f"{len(missing)} rows refer to {parent} rows HQ does not hold")


class _Group:
    __slots__ = ("sql", "table", "rows", "keys")

    def __init__(self, sql: str, table: str):
        self.sql, self.table, self.rows, self.keys = sql, table, [], set()


# An INSERT of one row of placeholders and constants, nothing else (no ON CONFLICT clause, whose outcome
# could depend on other rows of the batch): its rows go as one COPY (placeholders only) or one executemany.
_VALUE = r"(?:\?|'[\w ]*'|\d+)"
_INSERT = re.compile(rf"^INSERT INTO (\w+) \(([\w, ]+)\) VALUES \(({_VALUE}(?:, {_VALUE})*)\)$")
# An UPDATE of one row by its key (the last placeholder): nothing else in it reads another row.
_KEYED_UPDATE = re.compile(r"^UPDATE (\w+) SET [^;]* WHERE (\w+) = \?$")
# The key of each district table a projector writes row by row (a table not named here: its whole table).
TABLE_KEYS = {"persons": ("person_id",), "permits": ("permit_id",), "permit_cards": ("card_number",),
              "transactions": ("station_id", "seq"), "numbers": ("number",),
              "hq_register_permit_events": ("station_id", "seq"), "hq_register_file_entries": ("station_id", "seq")}
# What a row of a district table refers to: (column, parent table). The station's foreign keys; on PostgreSQL
# HQ checks them once per flush (see _Conn.flush), on SQLite the database does.
REFERENCES = {"permits": ("person_id", "persons"), "transactions": ("person_id", "persons"),
              "permit_cards": ("permit_id", "permits")}
PARENTS = {parent for _column, parent in REFERENCES.values()}
_SHAPES: dict[str, _Shape | None] = {}


class DanglingReference(LookupError):
    """A projected row refers to a person or permit the district register does not hold."""


def _shape(sql: str) -> _Shape | None:
    """How the batch may hold back a write; None for a read or any other statement (sent at once, after
    what is pending)."""
    if sql in _SHAPES:
        return _SHAPES[sql]
    shape = None
    insert = _INSERT.match(sql)
    update = _KEYED_UPDATE.match(sql) if insert is None else None
    if insert:
        table, cols, values = insert.group(1), insert.group(2).split(", "), insert.group(3).split(", ")
        if len(cols) == len(values):
            params_of, n = {}, 0
            for c, v in zip(cols, values, strict=True):
                if v == "?":
                    params_of[c], n = n, n + 1
            key = TABLE_KEYS.get(table)
            at = tuple(params_of[c] for c in key) if key and all(c in params_of for c in key) else None
            shape = _Shape(table, at, params_of, tuple(cols) if n == len(cols) else None)
    elif update and TABLE_KEYS.get(update.group(1)) == (update.group(2),) and sql.count(" WHERE ") == 1 \
            and "SELECT" not in sql.upper():
        shape = _Shape(update.group(1), (sql.count("?") - 1,), None, None)
    _SHAPES[sql] = shape
    return shape


class _Shape:
    """table; key_at: the positions of the row's key among the parameters (None: the whole table);
    params_of: an INSERT's {column: parameter position}; copy_columns: an INSERT of placeholders only."""

    __slots__ = ("table", "key_at", "params_of", "copy_columns")

    def __init__(self, table: str, key_at: tuple[int, ...] | None, params_of: dict | None,
                 copy_columns: tuple[str, ...] | None):
        self.table, self.key_at, self.params_of, self.copy_columns = table, key_at, params_of, copy_columns


class DistrictDb:
    """The `db` a shared projector gets at HQ (on a station it is the sqlite_utils.Database).

    HQ's bookkeeping of a new person (home station, household area, who last acted) goes into the
    persons row as it is inserted (`district_columns`); later entries of a batch only move "who last
    acted on the file", coalesced per person into one UPDATE at the end of the batch. The name keys
    are written after the batch's projectors (SQLite: after their persons rows, FK), as one COPY."""

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


def _name_key_rows(person_id: str, name: str) -> list[tuple]:
    return [(key, kind, person_id) for kind, key in _sorted_keys(name)]


@lru_cache(maxsize=65536)
def _sorted_keys(name: str) -> tuple[tuple[str, str], ...]:
    # names repeat (a province has many 张伟): their keys are computed once per process
    return tuple(sorted(name_keys(name)))


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
    if e.kind == kinds.SERVICE_VOIDED:
        db.flush()  # what follows reads the district tables
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
    conflicts = []
    if e.kind in MUTATING:  # an application creates its permit: nothing to check, nothing to read
        db.flush()
        conflicts = check_conflicts(tx, sid, e, permit_id, basis, made_at, received_at, alarm)
    db.conn.execute("INSERT INTO hq_register_permit_events (station_id, seq, permit_id, kind, made_at, received_at,"
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


def project_entries(tx: Tx, station_id: str, rows: list[dict], received_at: str, offset_s: float,
                    alarm: Callable[[str, str, str], None]) -> list[Conflict]:
    """Apply a batch's new entries to the district tables, inside the ingest transaction.

    One savepoint for the batch (the common case costs two statements besides the batch's grouped writes,
    see _Conn); if any entry fails, the batch
    is replayed entry by entry, each in its own savepoint, and the failing ones are recorded."""
    kinds = projections.district_kinds()
    todo = [r for r in rows if r["kind"] in kinds]
    if not todo:
        return []
    tx.execute("SAVEPOINT register_batch")
    try:
        # no pipeline: the batch is a handful of grouped statements, and COPY cannot run in one
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
        data = _decode_payload(e.payload)
    except msgspec.DecodeError:  # what msgspec refuses (NaN, 1e400, a lone surrogate): json.loads' verdict
        try:
            data = json.loads(e.payload)
        except ValueError:
            raise ValueError("payload is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("payload is not a JSON object")
    person_id = data.get("person_id") if e.kind in NAME_WRITERS else None
    if not isinstance(person_id, str):
        projections.apply(db, e, district=True, data=data)
        return _after(tx, db, sid, e, data, received_at, offset_s, alarm)
    before = _held_name(tx, db, person_id)
    projections.apply(db, e, district=True, data=data)
    after = _held_name(tx, db, person_id)
    if after != before:
        # the keys of the name HQ held go by key (no index by person: HQ migration 0015), the new name's come
        tx.executemany("DELETE FROM person_name_keys WHERE key = ? AND kind = ? AND person_id = ?",
                       _name_key_rows(person_id, before or ""))
        db.new_keys += _name_key_rows(person_id, after or "")
    return _after(tx, db, sid, e, data, received_at, offset_s, alarm)


def _held_name(tx: Tx, db: DistrictDb, person_id: str) -> str | None:
    db.flush()
    row = tx.one("SELECT name FROM persons WHERE person_id = ?", (person_id,))
    return row[0] if row else None

