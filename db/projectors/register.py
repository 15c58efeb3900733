"""District register at the station: pinyin search keys, and files adopted from HQ.

  register.adopted  {person{...persons columns}, permits[{...permits columns}], cards[{card_number,
                     permit_id, status}], history[{station_id, seq, service, number, business_day,
                     status}], sources[{station_id, seq, hash, kind}], source_station}
      A file opened from HQ: the state the cited source entries give (the station replayed and
      verified them before recording), brought into the local tables so every service works here.
  register.conflict_seen  {conflict_id, permit, kind, entries[]}   a supervisor saw an HQ conflict

Search keys come from the name in the payload (db/name_keys.py, as at HQ), so this module needs
no other projector's rows. None of these runs at HQ (not district projectors).
"""

from __future__ import annotations

import json
import sqlite3
from typing import NamedTuple

from db import kinds
from db.entry import Entry
from db.projections import projection_tables, projector

projection_tables("person_search", "adoptions", "remote_history")

_PERSON = ("doc_type", "id_number", "name", "sex", "birth_date", "ethnicity", "nationality", "household_address",
           "current_address", "phone", "employer", "registration_kind", "registration_number", "resident_since",
           "registered_on")
_PERMIT = ("status", "application_number", "validity_years", "accepted_on", "collection_date", "valid_from",
           "valid_until", "card_number", "collected_on", "address", "proof")


def search_keys(name: str | None) -> list[str]:
    # The one definition of name keys, shared with HQ's search: a copy would let them find different people.
    from db.name_keys import name_keys

    try:
        return sorted({key for _kind, key in name_keys(name or "")})
    except ValueError:  # half a character (a lone surrogate): the name is not searchable by pinyin
        return []


def index_name(db, person_id: str, name: str | None) -> None:
    db.conn.execute("DELETE FROM person_search WHERE person_id = ?", (person_id,))
    db.conn.executemany("INSERT OR IGNORE INTO person_search (key, person_id) VALUES (?, ?)",
                        [(k, person_id) for k in search_keys(name)])


@projector(kinds.PERSON_REGISTERED)
def _registered(db, e: Entry, d: dict) -> None:
    index_name(db, d["person_id"], d.get("name"))


@projector("service.name_correction")
def _name_corrected(db, e: Entry, d: dict) -> None:
    index_name(db, d["person_id"], (d.get("values") or {}).get("new_name"))


@projector(kinds.REGISTER_ADOPTED)
def _adopted(db, e: Entry, d: dict) -> None:
    adopted_effects(db, e, d)
    pid = d["person"]["person_id"]
    for h in d.get("history", []):
        db.conn.execute(
            "INSERT OR REPLACE INTO remote_history (station_id, seq, person_id, service, number, business_day,"
            " status, adopted_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (h["station_id"], h["seq"], pid, h["service"], h.get("number"), h["business_day"], h["status"], e.seq))
    db.conn.execute(
        "INSERT INTO adoptions (seq, person_id, source_station, sources, clerk_id, adopted_at) VALUES (?,?,?,?,?,?)",
        (e.seq, pid, d["source_station"], json.dumps(d["sources"], sort_keys=True), e.clerk_id, e.device_time_utc))
    index_name(db, pid, d["person"].get("name"))


def adopted_effects(db, e: Entry, d: dict) -> None:
    """The person, permits and cards an adopted file brings (also replayed when a void at this station
    re-derives the file, db/projectors/services.py)."""
    p = d["person"]
    pid = p["person_id"]
    cols = ", ".join(_PERSON)
    db.conn.execute(
        f"INSERT INTO persons (person_id, {cols}, registered_seq, updated_seq)"
        f" VALUES (?, {', '.join('?' * len(_PERSON))}, ?, ?) ON CONFLICT(person_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _PERSON) + ", updated_seq = excluded.updated_seq",
        (pid, *(p.get(c) for c in _PERSON), e.seq, e.seq))
    for permit in d.get("permits", []):
        cols = ", ".join(_PERMIT)
        db.conn.execute(
            f"INSERT INTO permits (permit_id, person_id, {cols}, updated_seq)"
            f" VALUES (?, ?, {', '.join('?' * len(_PERMIT))}, ?) ON CONFLICT(permit_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in _PERMIT) + ", updated_seq = excluded.updated_seq",
            (permit["permit_id"], pid, *(permit.get(c) for c in _PERMIT), e.seq))
    for card in d.get("cards", []):
        db.conn.execute(
            "INSERT INTO permit_cards (card_number, permit_id, status, issued_seq) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(card_number) DO UPDATE SET status = excluded.status",
            (card["card_number"], card["permit_id"], card["status"], e.seq))


# --- reads ------------------------------------------------------------------------------------

HISTORY_COLUMNS = ("station_id", "seq", "service", "number", "business_day", "status")


def adoption_source(db, person_id: str) -> str | None:
    """The station that last acted on the file when this station last adopted it, or None (never adopted)."""
    row = db.conn.execute("SELECT source_station FROM adoptions WHERE person_id = ? ORDER BY seq DESC LIMIT 1",
                          (person_id,)).fetchone()
    return row[0] if row else None


def remote_history_of(db, person_id: str) -> list[dict]:
    """What other windows did on an adopted file: {station_id, seq, service, number, business_day, status},
    newest business day first."""
    rows = db.conn.execute(
        f"SELECT {', '.join(HISTORY_COLUMNS)} FROM remote_history WHERE person_id = ?"
        " ORDER BY business_day DESC, station_id, seq DESC", (person_id,)).fetchall()
    return [dict(zip(HISTORY_COLUMNS, r, strict=True)) for r in rows]


def cites_source_entry(db, station_id: object, seq: object) -> bool:
    """Whether any adoption here cited the entry (station_id, seq) among its sources."""
    return bool(db.conn.execute(
        "SELECT EXISTS (SELECT 1 FROM adoptions a, json_each(a.sources) s WHERE"
        " json_extract(s.value, '$.station_id') = ? AND json_extract(s.value, '$.seq') = ?)",
        (station_id, seq)).fetchone()[0])


def index_unindexed_names(db) -> bool:
    """A station that had persons before the search table existed gets its keys once (the rows a rebuild
    would write); True when it wrote them."""
    if db.conn.execute("SELECT EXISTS (SELECT 1 FROM person_search)").fetchone()[0]:
        return False
    if not db.conn.execute("SELECT EXISTS (SELECT 1 FROM persons)").fetchone()[0]:
        return False
    from db.connection import write_transaction

    with write_transaction(db):
        for pid, name in db.conn.execute("SELECT person_id, name FROM persons").fetchall():
            index_name(db, pid, name)
    return True


def own_last_permit_service(db, permit_id: str) -> int | None:
    """The seq of this station's latest permit service on the permit since it last adopted the file, or None."""
    row = db.conn.execute(
        "SELECT j.seq FROM journal j WHERE j.kind LIKE 'service.permit_%' AND json_extract(j.payload,"
        " '$.permit_id') = ? AND j.seq > coalesce((SELECT max(a.seq) FROM adoptions a JOIN permits p"
        " ON p.person_id = a.person_id WHERE p.permit_id = ?), 0) ORDER BY j.seq DESC LIMIT 1",
        (permit_id, permit_id)).fetchone()
    return row[0] if row else None


def adopted_permit_basis(db, permit_id: str) -> dict | None:
    """The permit's basis ({station_id, seq}: its last source entry) that the latest adoption of its file
    cited, or None."""
    row = db.conn.execute(
        "SELECT json_extract(j.payload, '$.permit_basis') FROM journal j WHERE j.seq = (SELECT max(a.seq)"
        " FROM adoptions a JOIN permits p ON p.person_id = a.person_id WHERE p.permit_id = ?)",
        (permit_id,)).fetchone()
    if not row or not row[0]:
        return None
    return json.loads(row[0]).get(permit_id)


class ReplayedFile(NamedTuple):
    """A person's file as the projections hold it, as dict rows (an adoption's scratch replay reads it)."""
    person: dict  # every persons column
    permits: list[dict]  # every permits column, by permit_id
    cards: list[dict]  # {card_number, permit_id, status}, by card_number
    transactions: list[dict]  # {seq, service, number, business_day, status}, by seq
    remote_history: list[dict]  # HISTORY_COLUMNS
    periods: list[dict]  # every residence_periods column, by started_on


def replayed_file(db, person_id: str) -> ReplayedFile | None:
    """The file of one person across the projections (services, register, houses), or None when the
    person is not registered."""
    cur = db.conn.cursor()
    cur.row_factory = sqlite3.Row

    def rows(sql: str) -> list[dict]:
        return [dict(r) for r in cur.execute(sql, (person_id,)).fetchall()]

    person = cur.execute("SELECT * FROM persons WHERE person_id = ?", (person_id,)).fetchone()
    if person is None:
        return None
    return ReplayedFile(
        dict(person),
        rows("SELECT * FROM permits WHERE person_id = ? ORDER BY permit_id"),
        rows("SELECT c.card_number, c.permit_id, c.status FROM permit_cards c JOIN permits p USING (permit_id)"
             " WHERE p.person_id = ? ORDER BY c.card_number"),
        rows("SELECT seq, service, number, business_day, status FROM transactions WHERE person_id = ? ORDER BY seq"),
        rows(f"SELECT {', '.join(HISTORY_COLUMNS)} FROM remote_history WHERE person_id = ?"),
        rows("SELECT * FROM residence_periods WHERE person_id = ? ORDER BY started_on, period_id"))
