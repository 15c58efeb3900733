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

from db.journal import Entry
from db.projections import projection_tables, projector

# Order matters for rebuild: children after parents (rebuild empties in reverse).
projection_tables("persons", "permits", "permit_cards", "transactions", "numbers")

SERVICES = (
    "residence_registration", "lodging_registration",
    "permit_apply", "permit_extend", "permit_change", "permit_replace", "permit_cancel", "permit_collect",
    "residence_certificate", "proof_of_life", "criminal_record_request",
    "change_address", "change_employer", "change_phone", "name_correction", "accommodation_registration",
)

PERSON_COLUMNS = ("doc_type", "id_number", "name", "sex", "birth_date", "ethnicity", "nationality",
                  "household_address", "phone")


@projector("person.registered")
def _person_registered(db, e: Entry, d: dict) -> None:
    cols = ("person_id", *PERSON_COLUMNS, "registered_seq", "updated_seq")
    values = (d["person_id"], *(d.get(c) for c in PERSON_COLUMNS), e.seq, e.seq)
    db.conn.execute(f"INSERT INTO persons ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values)


def _update_person(db, e: Entry, person_id: str, **changes) -> None:
    if not changes:
        return
    sets = ", ".join(f"{k} = ?" for k in changes)
    db.conn.execute(f"UPDATE persons SET {sets}, updated_seq = ? WHERE person_id = ?",
                    (*changes.values(), e.seq, person_id))


def _numbers(db, e: Entry, d: dict) -> None:
    for n in d.get("numbers", []):
        db.conn.execute("INSERT INTO numbers (number, kind, business_day, day_seq, seq) VALUES (?, ?, ?, ?, ?)",
                        (n["number"], n["kind"], e.business_day, n["day_seq"], e.seq))


def _transaction(db, e: Entry, d: dict, service: str, status: str = "done") -> None:
    form = d.get("form") or {}
    summary = {"values": d.get("values", {}), "derived": d.get("derived", {})}
    for key in ("reason", "changes", "old_name"):
        if key in d:
            summary[key] = d[key]
    db.conn.execute(
        "INSERT INTO transactions (seq, person_id, service, number, business_day, clerk_id, status, late_days,"
        " summary, ref_seq, ref_hash, form_id, form_version, form_sha256) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (e.seq, d["person_id"], service, d.get("number"), e.business_day, e.clerk_id, status,
         int(d.get("late_days", 0)), json.dumps(summary, ensure_ascii=False, sort_keys=True),
         d.get("ref_seq"), d.get("ref_hash"), form.get("id"), form.get("version"), form.get("sha256")),
    )


def _service(db, e: Entry, d: dict) -> None:
    _numbers(db, e, d)
    _transaction(db, e, d, d["service"], "requested" if d["service"] == "criminal_record_request" else "done")
    _service_effects(db, e, d)


def _moved(db, pid: str, address: str | None) -> bool:
    row = db.conn.execute("SELECT current_address FROM persons WHERE person_id = ?", (pid,)).fetchone()
    return bool(address) and (row is None or row[0] != address)


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
        changes = {"current_address": v["current_address"], "phone": v.get("phone")}
        if _moved(db, pid, v["current_address"]):
            # a new address stated on the application: the residence there starts no earlier than today
            changes["resident_since"] = x.get("resident_since") or e.business_day
        _update_person(db, e, pid, **changes)
    elif service == "permit_extend":
        db.conn.execute("UPDATE permits SET valid_until = ?, validity_years = validity_years + ?, updated_seq = ?"
                        " WHERE permit_id = ?", (x["valid_until"], int(v["validity_years"]), e.seq, d["permit_id"]))
    elif service == "permit_change":
        db.conn.execute("UPDATE permits SET address = ?, updated_seq = ? WHERE permit_id = ?",
                        (v["new_address"], e.seq, d["permit_id"]))
        # "resident since" is the start of the residence at the current address: the move's date
        _update_person(db, e, pid, current_address=v["new_address"],
                       **({"resident_since": v["change_date"]} if _moved(db, pid, v["new_address"]) else {}))
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
        _update_person(db, e, pid, current_address=v["new_address"],
                       **({"resident_since": v["change_date"]} if _moved(db, pid, v["new_address"]) else {}))
    elif service == "change_employer":
        _update_person(db, e, pid, employer=v["new_employer"])
    elif service == "change_phone":
        _update_person(db, e, pid, phone=v["new_phone"])
    elif service == "name_correction":
        _update_person(db, e, pid, name=v["new_name"])


projector(*(f"service.{s}" for s in SERVICES))(_service)

_STATE_COLUMNS = ("current_address", "employer", "registration_kind", "registration_number", "resident_since",
                  "registered_on")


def _replay_person(db, e: Entry, person_id: str) -> None:
    """Recompute a person's file, permits and cards from the journal before `e`, leaving out every
    voided entry: a void takes back all of its entry's effects, whatever came after it. Only entries
    before `e` are read, so a live void and `journal rebuild` give the same rows."""
    rows = db.conn.execute(
        "SELECT seq, kind, payload, business_day FROM journal WHERE seq < ? AND json_extract(payload, '$.person_id') = ?"
        " AND (kind LIKE 'service.%' OR kind = 'person.registered') ORDER BY seq", (e.seq, person_id)).fetchall()
    voided = {json.loads(p)["ref_seq"] for _s, k, p, _d in rows if k == "service.voided"}
    voided.add(json.loads(e.payload)["ref_seq"])
    permit_ids = [r[0] for r in db.conn.execute("SELECT permit_id FROM permits WHERE person_id = ?", (person_id,))]
    for permit_id in permit_ids:
        db.conn.execute("DELETE FROM permit_cards WHERE permit_id = ?", (permit_id,))
    db.conn.execute("DELETE FROM permits WHERE person_id = ?", (person_id,))
    for seq, kind, payload, day in rows:
        d = json.loads(payload)
        entry = Entry(seq, "", day, "", 0, "", None, kind, 1, payload, "", "")
        if seq in voided or kind == "service.voided":
            continue
        if kind == "person.registered":
            _update_person(db, entry, person_id, **{c: d.get(c) for c in PERSON_COLUMNS},
                           **dict.fromkeys(_STATE_COLUMNS))
        elif kind == "service.corrected":
            _update_person(db, entry, person_id, **_corrected_changes(d))
        elif kind.startswith("service.") and d.get("service") in SERVICES:
            _service_effects(db, entry, d)
    db.conn.execute("UPDATE persons SET updated_seq = ? WHERE person_id = ?", (e.seq, person_id))


@projector("service.voided")
def _voided(db, e: Entry, d: dict) -> None:
    db.conn.execute("UPDATE transactions SET status = 'voided' WHERE seq = ?", (d["ref_seq"],))
    _numbers(db, e, d)
    _transaction(db, e, d, "void")
    if db.conn.execute("SELECT 1 FROM persons WHERE person_id = ?", (d["person_id"],)).fetchone():
        _replay_person(db, e, d["person_id"])


CORRECTABLE = ("current_address", "phone", "employer", "household_address", "resident_since")


@projector("service.corrected")
def _corrected(db, e: Entry, d: dict) -> None:
    db.conn.execute("UPDATE transactions SET status = 'corrected' WHERE seq = ?", (d["ref_seq"],))
    _numbers(db, e, d)
    _transaction(db, e, d, "correction")
    _update_person(db, e, d["person_id"], **_corrected_changes(d))


def _corrected_changes(d: dict) -> dict:
    return {k: v for k, v in d.get("changes", {}).items() if k in CORRECTABLE}
