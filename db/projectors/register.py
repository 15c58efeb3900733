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
