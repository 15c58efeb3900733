"""Projectors of counter services: persons, permits, permit cards, transactions, numbers.

Each is a pure function of (entry, payload): `counter journal rebuild` replays them.
Payload shapes are written by counter/services/engine.py:
  person.registered  {person_id, doc_type, id_number, name, sex, birth_date, ethnicity, nationality,
                      household_address, phone, source}
  service.<id>       {service, person_id, number, numbers[], values{}, derived{}, late_days, form{}, ...}
  service.voided     {ref_seq, ref_hash, person_id, reason, supervisor_id, number}
  service.corrected  {ref_seq, ref_hash, person_id, changes{}, reason, supervisor_id, number}
"""

from __future__ import annotations

import json

from db import kinds
from db.entry import Entry
from db.projections import district_columns, projection_tables, projector, scope, station_columns
from db.projectors import legacy, register

SERVICES = (
    "residence_registration", "lodging_registration",
    "permit_apply", "permit_extend", "permit_change", "permit_replace", "permit_cancel", "permit_collect",
    "residence_certificate", "proof_of_life", "criminal_record_request",
    "change_address", "change_employer", "change_phone", "name_correction", "accommodation_registration",
    "registration_end",
)

# Order matters for rebuild: children after parents (rebuild empties in reverse).
projection_tables("persons", "permits", "permit_cards", "transactions", "numbers")

PERSON_COLUMNS = ("doc_type", "id_number", "name", "sex", "birth_date", "ethnicity", "nationality",
                  "household_address", "phone")


@projector(kinds.PERSON_REGISTERED, district=True)
def _person_registered(db, e: Entry, d: dict) -> None:
    extra = district_columns(db, "persons", e, d)
    cols = ("person_id", *PERSON_COLUMNS, "registered_seq", "updated_seq", *extra)
    values = (d["person_id"], *(d.get(c) for c in PERSON_COLUMNS), e.seq, e.seq, *extra.values())
    db.conn.execute(f"INSERT INTO persons ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values)


def _update_person(db, e: Entry, person_id: str, moved: tuple[str | None, str] | None = None, **changes) -> None:
    """`moved=(address, since)`: "resident since" becomes `since` if the person moves to `address` (a
    non-empty address other than the current one), decided in the UPDATE itself (no read first)."""
    sets = [f"{k} = ?" for k in changes]
    args = list(changes.values())
    if moved is not None:
        # SET expressions read the row as it was, whatever else this UPDATE changes
        sets.insert(0, "resident_since = CASE WHEN ? <> '' AND (current_address IS NULL OR current_address <> ?)"
                       " THEN ? ELSE resident_since END")
        args[:0] = [moved[0], moved[0], moved[1]]
    if not sets:
        return
    db.conn.execute(f"UPDATE persons SET {', '.join(sets)}, updated_seq = ? WHERE person_id = ?",
                    (*args, e.seq, person_id))


def _numbers(db, e: Entry, d: dict) -> None:
    extra = station_columns(db)
    cols = ", ".join(("number", "kind", "business_day", "day_seq", "seq", *extra))
    marks = ", ".join("?" * (5 + len(extra)))
    for n in d.get("numbers", []):
        db.conn.execute(f"INSERT INTO numbers ({cols}) VALUES ({marks})",
                        (n["number"], n["kind"], e.business_day, n["day_seq"], e.seq, *extra.values()))


def _transaction(db, e: Entry, d: dict, service: str, status: str = "done") -> None:
    form = d.get("form") or {}
    summary = {"values": d.get("values", {}), "derived": d.get("derived", {})}
    for key in ("reason", "changes", "old_name"):
        if key in d:
            summary[key] = d[key]
    extra = station_columns(db)
    cols = ("seq", "person_id", "service", "number", "business_day", "clerk_id", "status", "late_days", "summary",
            "ref_seq", "ref_hash", "form_id", "form_version", "form_sha256", *extra)
    db.conn.execute(
        f"INSERT INTO transactions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        (e.seq, d["person_id"], service, d.get("number"), e.business_day, e.clerk_id, status,
         int(d.get("late_days", 0)), json.dumps(summary, ensure_ascii=False, sort_keys=True),
         d.get("ref_seq"), d.get("ref_hash"), form.get("id"), form.get("version"), form.get("sha256"),
         *extra.values()),
    )


def _service(db, e: Entry, d: dict) -> None:
    _numbers(db, e, d)
    _transaction(db, e, d, d["service"], "requested" if d["service"] == "criminal_record_request" else "done")
    _service_effects(db, e, d)


def _service_effects(db, e: Entry, d: dict) -> None:
    """What a service changes in the person file, permits and cards (not its transaction row): the
    part a void takes back (see _replay_person)."""
    service = d["service"]
    pid = d["person_id"]
    v = d.get("values", {})
    x = d.get("derived", {})
    if service in ("residence_registration", "lodging_registration", "accommodation_registration"):
        kind = {"residence_registration": "residence", "lodging_registration": "lodging"}.get(service,
                                                                                              "accommodation")
        _update_person(db, e, pid, current_address=v["current_address"], phone=v.get("phone"),
                       employer=v.get("employer"), registration_kind=kind,
                       registration_number=d["number"], resident_since=v["arrival_date"],
                       registered_on=e.business_day)
    elif service == "permit_apply":
        db.conn.execute(
            "INSERT INTO permits (permit_id, person_id, status, application_number, validity_years, accepted_on,"
            " collection_date, valid_from, valid_until, address, proof, updated_seq)"
            " VALUES (?, ?, 'accepted', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (d["number"], pid, d["number"], int(v["validity_years"]), e.business_day, x["collection_date"],
             x["valid_from"], x["valid_until"], v["current_address"], v["proof"], e.seq))
        # a new address stated on the application: the residence there starts no earlier than today
        _update_person(db, e, pid, moved=(v["current_address"], x.get("resident_since") or e.business_day),
                       current_address=v["current_address"], phone=v.get("phone"))
    elif service == "permit_extend":
        db.conn.execute("UPDATE permits SET valid_until = ?, validity_years = validity_years + ?, updated_seq = ?"
                        " WHERE permit_id = ?", (x["valid_until"], int(v["validity_years"]), e.seq, d["permit_id"]))
    elif service == "permit_change":
        db.conn.execute("UPDATE permits SET address = ?, updated_seq = ? WHERE permit_id = ?",
                        (v["new_address"], e.seq, d["permit_id"]))
        # "resident since" is the start of the residence at the current address: the move's date
        _update_person(db, e, pid, moved=(v["new_address"], v["change_date"]), current_address=v["new_address"])
    elif service == "permit_replace":
        if x.get("cancelled_card"):
            db.conn.execute("UPDATE permit_cards SET status = 'cancelled', cancelled_seq = ? WHERE card_number = ?",
                            (e.seq, x["cancelled_card"]))
        db.conn.execute("UPDATE permits SET status = 'accepted', application_number = ?, collection_date = ?,"
                        " card_number = NULL, collected_on = NULL, updated_seq = ? WHERE permit_id = ?",
                        (d["number"], x["collection_date"], e.seq, d["permit_id"]))
    elif service == "permit_cancel":
        db.conn.execute("UPDATE permit_cards SET status = 'cancelled', cancelled_seq = ?"
                        " WHERE permit_id = ? AND status = 'issued'", (e.seq, d["permit_id"]))
        db.conn.execute("UPDATE permits SET status = 'cancelled', updated_seq = ? WHERE permit_id = ?",
                        (e.seq, d["permit_id"]))
    elif service == "permit_collect":
        db.conn.execute("INSERT INTO permit_cards (card_number, permit_id, status, issued_seq) VALUES (?, ?, 'issued', ?)",
                        (x["card_number"], d["permit_id"], e.seq))
        db.conn.execute("UPDATE permits SET status = 'issued', card_number = ?, collected_on = ?, updated_seq = ?"
                        " WHERE permit_id = ?", (x["card_number"], e.business_day, e.seq, d["permit_id"]))
    elif service == "change_address":
        _update_person(db, e, pid, moved=(v["new_address"], v["change_date"]), current_address=v["new_address"])
    elif service == "change_employer":
        _update_person(db, e, pid, employer=v["new_employer"])
    elif service == "registration_end":
        # the residence periods keep the history (db/projectors/houses.py); the file has no registration now
        _update_person(db, e, pid, registration_kind=None, registration_number=None, resident_since=None)
    elif service == "change_phone":
        _update_person(db, e, pid, phone=v["new_phone"])
    elif service == "name_correction":
        _update_person(db, e, pid, name=v["new_name"])


projector(*(kinds.service_kind(s) for s in SERVICES), district=True)(_service)

_STATE_COLUMNS = ("current_address", "employer", "registration_kind", "registration_number", "resident_since",
                  "registered_on")


def _replay_person(db, e: Entry, person_id: str) -> None:
    """Recompute a person's file, permits and cards from the journal before `e`, leaving out every
    voided entry: a void takes back all of its entry's effects, whatever came after it. Only entries
    before `e` are read, so a live void and `journal rebuild` give the same rows."""
    rows = _person_entries(db, e, person_id)
    voided = {(sid, json.loads(p)["ref_seq"]) for sid, _s, k, p, _d in rows if k == kinds.SERVICE_VOIDED}
    voided.add((getattr(db, "station_id", None), json.loads(e.payload)["ref_seq"]))
    permit_ids = [r[0] for r in db.conn.execute("SELECT permit_id FROM permits WHERE person_id = ?", (person_id,))]
    for permit_id in permit_ids:
        db.conn.execute("DELETE FROM permit_cards WHERE permit_id = ?", (permit_id,))
    db.conn.execute("DELETE FROM permits WHERE person_id = ?", (person_id,))
    for sid, seq, kind, payload, day in rows:
        d = json.loads(payload)
        entry = Entry(seq, "", day, "", 0, "", None, kind, 1, payload, "", "")
        if kind == kinds.SERVICE_VOIDED:
            continue
        if (sid, seq) in voided:
            if d.get("service") == "permit_apply":
                _voided_application(db, entry, d)
            continue
        if kind == kinds.PERSON_REGISTERED:
            _update_person(db, entry, person_id, **{c: d.get(c) for c in PERSON_COLUMNS},
                           **dict.fromkeys(_STATE_COLUMNS))
        elif kind == kinds.SERVICE_CORRECTED:
            _update_person(db, entry, person_id, **_corrected_changes(d))
        elif kind == kinds.LEGACY_PERSON_IMPORTED:  # an imported file keeps its registration (art. 13)
            legacy.person_effects(db, entry, d)
        elif kind == kinds.LEGACY_PERMIT_IMPORTED:
            legacy.permit_effects(db, entry, d)
        elif kind == kinds.REGISTER_ADOPTED:  # a file adopted from HQ: what its cited entries gave
            register.adopted_effects(db, entry, d)
        elif kind.startswith(kinds.SERVICE_PREFIX) and d.get("service") in SERVICES:
            _service_effects(db, entry, d)
    db.conn.execute("UPDATE persons SET updated_seq = ? WHERE person_id = ?", (e.seq, person_id))


def _person_entries(db, e: Entry, person_id: str) -> list[tuple]:
    """(station_id, seq, kind, payload, business_day) of the person's registration and services before `e`,
    in the order they were applied. A station reads its own journal (station_id None); HQ reads hq_journal,
    where a file can hold entries of several stations: the person's registration, then the
    transactions already projected, in the order they were made."""
    station_id = getattr(db, "station_id", None)
    if not station_id:
        rows = db.conn.execute(
            "SELECT seq, kind, payload, business_day FROM journal WHERE seq < ?"
            " AND (json_extract(payload, '$.person_id') = ?"
            " AND (kind LIKE 'service.%' OR kind = 'person.registered' OR kind IN (?, ?))"
            " OR kind = ? AND json_extract(payload, '$.person.person_id') = ?) ORDER BY seq",
            (e.seq, person_id, kinds.LEGACY_PERSON_IMPORTED, kinds.LEGACY_PERMIT_IMPORTED, kinds.REGISTER_ADOPTED,
             person_id)).fetchall()
        return [(None, *r) for r in rows]
    home = db.conn.execute("SELECT station_id, registered_seq FROM persons WHERE person_id = ?",
                           (person_id,)).fetchone()
    out = []
    if home is not None:
        reg = db.conn.execute("SELECT station_id, seq, kind, payload, business_day FROM hq_journal"
                              " WHERE station_id = ? AND seq = ?", (home[0] or station_id, home[1])).fetchone()
        if reg is not None:
            out.append(tuple(reg))
    # the transactions already projected, and the imported registration and permit (no transaction row:
    # HQ's hq_register_file_entries, counter/hq/register/projection.py), in the order they were made
    out += [tuple(r[1:]) for r in db.conn.execute(
        "SELECT j.device_time_utc, j.station_id, j.seq, j.kind, j.payload, j.business_day FROM transactions t"
        " JOIN hq_journal j ON j.station_id = t.station_id AND j.seq = t.seq"
        " WHERE t.person_id = ? AND NOT (t.station_id = ? AND t.seq >= ?)"
        " UNION ALL SELECT j.device_time_utc, j.station_id, j.seq, j.kind, j.payload, j.business_day"
        " FROM hq_register_file_entries f JOIN hq_journal j ON j.station_id = f.station_id AND j.seq = f.seq"
        " WHERE f.person_id = ? AND f.kind IN (?, ?) AND NOT (f.station_id = ? AND f.seq >= ?)"
        " ORDER BY 1, 2, 3", (person_id, station_id, e.seq, person_id, kinds.LEGACY_PERSON_IMPORTED,
                              kinds.LEGACY_PERMIT_IMPORTED, station_id, e.seq)).fetchall()]
    return out


def _voided_application(db, e: Entry, d: dict) -> None:
    """A voided application keeps its permit row, marked voided (the register and a re-check show it), and
    changes nothing else."""
    v, x = d.get("values", {}), d.get("derived", {})
    db.conn.execute(
        "INSERT INTO permits (permit_id, person_id, status, application_number, validity_years, accepted_on,"
        " collection_date, valid_from, valid_until, address, proof, updated_seq)"
        " VALUES (?, ?, 'voided', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (d["number"], d["person_id"], d["number"], int(v["validity_years"]), e.business_day, x["collection_date"],
         x["valid_from"], x["valid_until"], v["current_address"], v["proof"], e.seq))


@projector(kinds.SERVICE_VOIDED, district=True)
def _voided(db, e: Entry, d: dict) -> None:
    where, args = scope(db)
    db.conn.execute(f"UPDATE transactions SET status = 'voided' WHERE seq = ?{where}", (d["ref_seq"], *args))
    _numbers(db, e, d)
    _transaction(db, e, d, "void")
    if db.conn.execute("SELECT 1 FROM persons WHERE person_id = ?", (d["person_id"],)).fetchone():
        _replay_person(db, e, d["person_id"])


CORRECTABLE = ("current_address", "phone", "employer", "household_address", "resident_since")


@projector(kinds.SERVICE_CORRECTED, district=True)
def _corrected(db, e: Entry, d: dict) -> None:
    where, args = scope(db)
    db.conn.execute(f"UPDATE transactions SET status = 'corrected' WHERE seq = ?{where}", (d["ref_seq"], *args))
    _numbers(db, e, d)
    _transaction(db, e, d, "correction")
    _update_person(db, e, d["person_id"], **_corrected_changes(d))


def _corrected_changes(d: dict) -> dict:
    return {k: v for k, v in d.get("changes", {}).items() if k in CORRECTABLE}


# --- reads of these tables -------------------------------------------------------------------------

def last_day_seq(db, kind: str, business_day: str) -> int:
    """The highest sequence of the numbers of one kind allocated on one business day (0 for none)."""
    row = db.conn.execute("SELECT max(day_seq) FROM numbers WHERE kind = ? AND business_day = ?",
                          (kind, business_day)).fetchone()
    return row[0] or 0


def document_numbers(db) -> set[str]:
    """The document number of every person on file."""
    return {row[0] for row in db.conn.execute("SELECT id_number FROM persons")}


def permits_expiring(db, after: str, through: str) -> int | None:
    """Open (accepted or issued) permits whose validity ends after `after` and by `through`; None on a
    database without the permit projection."""
    conn = db.conn
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='permits'").fetchone():
        return None
    cols = {r[1] for r in conn.execute("PRAGMA table_info(permits)")}
    if "valid_until" not in cols:
        return None
    where = "valid_until > ? AND valid_until <= ?"
    if "status" in cols:
        where += " AND status IN ('accepted', 'issued')"
    return conn.execute(f"SELECT count(*) FROM permits WHERE {where}", (after, through)).fetchone()[0]


# --- the person file's reads (counter.services.people makes them Person, Permit, HistoryItem) -------

PERSON_FILE_COLUMNS = ("person_id", "doc_type", "id_number", "name", "sex", "birth_date", "ethnicity",
                       "nationality", "household_address", "current_address", "phone", "employer",
                       "registration_kind", "registration_number", "resident_since", "registered_on")
_P = ", ".join(f"p.{c}" for c in PERSON_FILE_COLUMNS)
PERMIT_COLUMNS = ("permit_id", "status", "application_number", "validity_years", "accepted_on",
                  "collection_date", "valid_from", "valid_until", "card_number", "collected_on", "address")
TRANSACTION_COLUMNS = ("seq", "service", "number", "business_day", "status", "late_days", "summary", "ref_seq",
                       "form_version")


def person_row(db, person_id: str) -> tuple | None:
    return db.conn.execute(f"SELECT {_P} FROM persons p WHERE person_id = ?", (person_id,)).fetchone()


def person_row_by_document(db, doc_type: str, id_number: str) -> tuple | None:
    return db.conn.execute(f"SELECT {_P} FROM persons p WHERE doc_type = ? AND id_number = ?",
                           (doc_type, id_number)).fetchone()


def person_rows_by_number(db, number: str, limit: int) -> list[tuple]:
    """The people an application, permit or card number belongs to."""
    return db.conn.execute(
        f"SELECT DISTINCT {_P} FROM persons p WHERE p.person_id IN ("
        " SELECT person_id FROM transactions WHERE number = ?"
        " UNION SELECT person_id FROM permits WHERE permit_id = ? OR application_number = ? OR card_number = ?"
        " UNION SELECT pe.person_id FROM permit_cards c JOIN permits pe USING (permit_id) WHERE c.card_number = ?)"
        " LIMIT ?", (number,) * 5 + (limit,)).fetchall()


def person_rows_by_key(db, key: str, limit: int) -> list[tuple]:
    """People whose name's search key (db.projectors.register) starts with `key`; exact keys first."""
    return db.conn.execute(
        f"SELECT {_P} FROM persons p WHERE p.person_id IN (SELECT person_id FROM person_search"
        " WHERE key >= ? AND key < ?) ORDER BY (p.person_id IN (SELECT person_id FROM person_search WHERE"
        " key = ?)) DESC, p.name LIMIT ?", (key, key + "{", key, limit)).fetchall()


def person_rows_by_id_number(db, numbers: tuple[str, str], limit: int) -> list[tuple]:
    return db.conn.execute(f"SELECT {_P} FROM persons p WHERE p.id_number IN (?, ?) LIMIT ?",
                           (*numbers, limit)).fetchall()


def person_rows_by_name_and_birth(db, name: str, birth_date: str, limit: int) -> list[tuple]:
    return db.conn.execute(f"SELECT {_P} FROM persons p WHERE p.name = ? AND p.birth_date = ? LIMIT ?",
                           (name, birth_date, limit)).fetchall()


def person_rows_matching(db, text: str, numbers: tuple[str, str], limit: int) -> list[tuple]:
    """By document number, phone, name or the start of a name; exact number and name first."""
    return db.conn.execute(
        f"SELECT {_P} FROM persons p WHERE p.id_number IN (?, ?) OR p.phone = ? OR p.name = ? OR p.name LIKE ?"
        " ORDER BY (p.id_number IN (?, ?)) DESC, (p.name = ?) DESC, p.name LIMIT ?",
        (*numbers, text, text, text.replace("%", "").replace("_", "") + "%", *numbers, text, limit)).fetchall()


def permit_rows(db, person_id: str) -> list[tuple]:
    """The person's permits (PERMIT_COLUMNS), the latest change first."""
    return db.conn.execute(f"SELECT {', '.join(PERMIT_COLUMNS)} FROM permits WHERE person_id = ?"
                           " ORDER BY updated_seq DESC", (person_id,)).fetchall()


def transaction_rows(db, person_id: str) -> list[tuple]:
    """The person's transactions (TRANSACTION_COLUMNS), the latest first."""
    return db.conn.execute(f"SELECT {', '.join(TRANSACTION_COLUMNS)} FROM transactions WHERE person_id = ?"
                           " ORDER BY seq DESC", (person_id,)).fetchall()


def transaction_row(db, seq: int) -> tuple | None:
    return db.conn.execute(f"SELECT {', '.join(TRANSACTION_COLUMNS)} FROM transactions WHERE seq = ?",
                           (seq,)).fetchone()


def known_addresses(db, limit: int) -> list[str]:
    """Current addresses on file, most used first."""
    return [r[0] for r in db.conn.execute(
        "SELECT current_address, count(*) n FROM persons WHERE current_address IS NOT NULL"
        " GROUP BY current_address ORDER BY n DESC, current_address LIMIT ?", (limit,))]


def known_employers(db, limit: int) -> list[str]:
    """Employers on file, most used first."""
    return [r[0] for r in db.conn.execute(
        "SELECT employer, count(*) n FROM persons WHERE employer IS NOT NULL AND employer != ''"
        " GROUP BY employer ORDER BY n DESC, employer LIMIT ?", (limit,))]


def service_counts(db, business_day: str) -> dict[str, int]:
    """Transactions of one business day by service (voids and corrections under their own names)."""
    return dict(db.conn.execute("SELECT service, count(*) FROM transactions WHERE business_day = ? GROUP BY service",
                                (business_day,)).fetchall())
