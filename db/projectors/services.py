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

from db.entry import Entry
from db.projections import projection_tables, projector, scope, station_columns

# Order matters for rebuild: children after parents (rebuild empties in reverse).
projection_tables("persons", "permits", "permit_cards", "transactions", "numbers")

SERVICES = (
    "residence_registration", "lodging_registration",
    "permit_apply", "permit_extend", "permit_change", "permit_replace", "permit_cancel", "permit_collect",
    "residence_certificate", "proof_of_life", "criminal_record_request",
    "change_address", "change_employer", "change_phone", "name_correction",
)

PERSON_COLUMNS = ("doc_type", "id_number", "name", "sex", "birth_date", "ethnicity", "nationality",
                  "household_address", "phone")


@projector("person.registered", district=True)
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
    service = d["service"]
    pid = d["person_id"]
    v = d.get("values", {})
    x = d.get("derived", {})
    _numbers(db, e, d)
    _transaction(db, e, d, service, "requested" if service == "criminal_record_request" else "done")
    if service in ("residence_registration", "lodging_registration"):
        _update_person(db, e, pid, current_address=v["current_address"], phone=v.get("phone"),
                       employer=v.get("employer"),
                       registration_kind="residence" if service == "residence_registration" else "lodging",
                       registration_number=d["number"], resident_since=v["arrival_date"],
                       registered_on=e.business_day)
    elif service == "permit_apply":
        db.conn.execute(
            "INSERT INTO permits (permit_id, person_id, status, application_number, validity_years, accepted_on,"
            " collection_date, valid_from, valid_until, address, proof, updated_seq)"
            " VALUES (?, ?, 'accepted', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (d["number"], pid, d["number"], int(v["validity_years"]), e.business_day, x["collection_date"],
             x["valid_from"], x["valid_until"], v["current_address"], v["proof"], e.seq))
        _update_person(db, e, pid, current_address=v["current_address"], phone=v.get("phone"))
    elif service == "permit_extend":
        db.conn.execute("UPDATE permits SET valid_until = ?, validity_years = validity_years + ?, updated_seq = ?"
                        " WHERE permit_id = ?", (x["valid_until"], int(v["validity_years"]), e.seq, d["permit_id"]))
    elif service == "permit_change":
        db.conn.execute("UPDATE permits SET address = ?, updated_seq = ? WHERE permit_id = ?",
                        (v["new_address"], e.seq, d["permit_id"]))
        _update_person(db, e, pid, current_address=v["new_address"])
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
        _update_person(db, e, pid, current_address=v["new_address"])
    elif service == "change_employer":
        _update_person(db, e, pid, employer=v["new_employer"])
    elif service == "change_phone":
        _update_person(db, e, pid, phone=v["new_phone"])
    elif service == "name_correction":
        _update_person(db, e, pid, name=v["new_name"])


projector(*(f"service.{s}" for s in SERVICES), district=True)(_service)


@projector("service.voided", district=True)
def _voided(db, e: Entry, d: dict) -> None:
    where, args = scope(db)
    ref = db.conn.execute(f"SELECT service, number, person_id FROM transactions WHERE seq = ?{where}",
                          (d["ref_seq"], *args)).fetchone()
    db.conn.execute(f"UPDATE transactions SET status = 'voided' WHERE seq = ?{where}", (d["ref_seq"], *args))
    _numbers(db, e, d)
    _transaction(db, e, d, "void")
    if ref is None:
        return
    service, number, pid = ref
    if service == "permit_apply":
        db.conn.execute("UPDATE permits SET status = 'voided', updated_seq = ? WHERE permit_id = ?", (e.seq, number))
    elif service in ("residence_registration", "lodging_registration"):
        db.conn.execute(
            "UPDATE persons SET registration_kind = NULL, registration_number = NULL, resident_since = NULL,"
            " registered_on = NULL, updated_seq = ? WHERE person_id = ? AND registration_number = ?",
            (e.seq, pid, number))


CORRECTABLE = ("current_address", "phone", "employer", "household_address", "resident_since")


@projector("service.corrected", district=True)
def _corrected(db, e: Entry, d: dict) -> None:
    where, args = scope(db)
    db.conn.execute(f"UPDATE transactions SET status = 'corrected' WHERE seq = ?{where}", (d["ref_seq"], *args))
    _numbers(db, e, d)
    _transaction(db, e, d, "correction")
    changes = {k: v for k, v in d.get("changes", {}).items() if k in CORRECTABLE}
    _update_person(db, e, d["person_id"], **changes)
