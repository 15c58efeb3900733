"""Houses, reporting entities, their reports and residence periods (issue 13), and the reads of them.

  house.registered   {house_code, address, house_type, capacity, manager_person_id}
  house.updated      {house_code, + changed fields}
  entity.registered  {entity_code, entity_type, name, contact_name, contact_phone, address}
  report.filed       {report_id, reporter_kind, reporter_code, report_type, filed_on, source, rows, late_rows,
                      file_sha256?, file_name?}
  residence.started  {person_id, period_id, started_on, address, house_code, entity_code, via, report_id,
                      late, registration}
  residence.ended    {person_id, period_id, ended_on, reason, via, report_id}
  service.<registration>, service.change_address, service.permit_change, service.registration_end,
  service.voided: the window's registrations start, move and end periods too, so a person's history
  is complete whichever way it was recorded.

Every projector here is a district projector: portable SQL, rows keyed by ids unique in the district
(a window period's id is its registration number, which names its station), so HQ runs them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from db import kinds
from db.entry import Entry
from db.projections import projection_tables, projector

projection_tables("houses", "entities", "reports", "residence_periods")

WINDOW_REGISTRATIONS = {"residence_registration": "residence", "lodging_registration": "lodging",
                        "accommodation_registration": "accommodation"}
MOVES = {"change_address": ("new_address", "change_date"), "permit_change": ("new_address", "change_date")}
REGISTRATION_END = "registration_end"
_HOUSE_FIELDS = ("address", "house_type", "capacity", "manager_person_id")


@projector(kinds.HOUSE_REGISTERED, district=True)
def _house_registered(db, e: Entry, d: dict) -> None:
    # a code registered twice (two windows at once) keeps the first: the district's register has one house
    db.conn.execute(
        "INSERT INTO houses (house_code, address, house_type, capacity, manager_person_id, registered_on,"
        " updated_on) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (house_code) DO NOTHING",
        (d["house_code"], d["address"], d["house_type"], int(d["capacity"]), d["manager_person_id"],
         e.business_day, e.business_day))


@projector(kinds.HOUSE_UPDATED, district=True)
def _house_updated(db, e: Entry, d: dict) -> None:
    changes = {k: d[k] for k in _HOUSE_FIELDS if k in d}
    if changes:
        sets = ", ".join(f"{k} = ?" for k in changes)
        db.conn.execute(f"UPDATE houses SET {sets}, updated_on = ? WHERE house_code = ?",
                        (*changes.values(), e.business_day, d["house_code"]))


@projector(kinds.ENTITY_REGISTERED, district=True)
def _entity_registered(db, e: Entry, d: dict) -> None:
    db.conn.execute(
        "INSERT INTO entities (entity_code, entity_type, name, contact_name, contact_phone, address, registered_on)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entity_code) DO NOTHING",
        (d["entity_code"], d["entity_type"], d["name"], d["contact_name"], d["contact_phone"], d["address"],
         e.business_day))


@projector(kinds.REPORT_FILED, district=True)
def _report_filed(db, e: Entry, d: dict) -> None:
    db.conn.execute(
        "INSERT INTO reports (report_id, reporter_kind, reporter_code, report_type, filed_on, source, file_sha256,"
        " file_name, row_count, late_rows, clerk_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (d["report_id"], d["reporter_kind"], d["reporter_code"], d["report_type"], d["filed_on"], d["source"],
         d.get("file_sha256"), d.get("file_name"), int(d["rows"]), int(d["late_rows"]), e.clerk_id))


def _supersede(db, person_id: str, by: str, on: str) -> None:
    """A new home ends the previous one (an institution's stay, a hotel night, ends on its own report)."""
    db.conn.execute(
        "UPDATE residence_periods SET ended_on = ?, end_reason = 'superseded', ended_via = 'window',"
        " superseded_by = ? WHERE person_id = ? AND ended_on IS NULL AND registration != 'institution'",
        (on, by, person_id))


def _start(db, *, period_id, person_id, address, house_code, entity_code, registration, started_on, via,
           report_id, late) -> None:
    if registration != "institution":
        _supersede(db, person_id, period_id, started_on)
    db.conn.execute(
        "INSERT INTO residence_periods (period_id, person_id, address, house_code, entity_code, registration,"
        " started_on, started_via, start_report_id, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (period_id, person_id, address, house_code, entity_code, registration, started_on, via, report_id,
         1 if late else 0))


@projector(kinds.RESIDENCE_STARTED, district=True)
def _residence_started(db, e: Entry, d: dict) -> None:
    _start(db, period_id=d["period_id"], person_id=d["person_id"], address=d["address"],
           house_code=d.get("house_code"), entity_code=d.get("entity_code"), registration=d["registration"],
           started_on=d["started_on"], via=d["via"], report_id=d.get("report_id"), late=d.get("late"))


@projector(kinds.RESIDENCE_ENDED, district=True)
def _residence_ended(db, e: Entry, d: dict) -> None:
    db.conn.execute(
        "UPDATE residence_periods SET ended_on = ?, end_reason = ?, ended_via = ?, end_report_id = ?"
        " WHERE period_id = ? AND ended_on IS NULL",
        (d["ended_on"], d["reason"], d["via"], d.get("report_id"), d["period_id"]))


def _open_home(db, person_id: str):
    return db.conn.execute(
        "SELECT period_id, address, registration FROM residence_periods WHERE person_id = ? AND ended_on IS NULL"
        " AND registration != 'institution' ORDER BY started_on DESC, period_id DESC", (person_id,)).fetchone()


def _house_of(d: dict) -> str | None:
    return (d.get("derived") or {}).get("house_code")


def _window_service(db, e: Entry, d: dict) -> None:
    service, pid, v = d["service"], d["person_id"], d.get("values", {})
    if service in WINDOW_REGISTRATIONS:
        _start(db, period_id=d["number"], person_id=pid, address=v["current_address"],
               house_code=_house_of(d), entity_code=None, registration=WINDOW_REGISTRATIONS[service], started_on=v["arrival_date"], via="window",
               report_id=None, late=int(d.get("late_days", 0)) > 0)
    elif service in MOVES:
        address_key, date_key = MOVES[service]
        home = _open_home(db, pid)
        if home is not None and home[1] == v[address_key]:
            return
        _start(db, period_id=d["number"], person_id=pid, address=v[address_key], house_code=_house_of(d),
               entity_code=None, registration=home[2] if home else "residence", started_on=v[date_key],
               via="window", report_id=None, late=int(d.get("late_days", 0)) > 0)
    elif service == REGISTRATION_END:
        db.conn.execute(
            "UPDATE residence_periods SET ended_on = ?, end_reason = ?, ended_via = 'window', superseded_by = ?"
            " WHERE person_id = ? AND ended_on IS NULL", (v["end_date"], v["end_reason"], d["number"], pid))


projector(*(kinds.service_kind(s) for s in (*WINDOW_REGISTRATIONS, *MOVES, REGISTRATION_END)),
          district=True)(_window_service)


@projector(kinds.SERVICE_VOIDED, district=True)
def _voided(db, e: Entry, d: dict) -> None:
    """A voided registration, move or departure takes its period back and reopens what it had ended."""
    number = d.get("ref_number")
    if not number:
        return
    db.conn.execute("DELETE FROM residence_periods WHERE period_id = ?", (number,))
    db.conn.execute("UPDATE residence_periods SET ended_on = NULL, end_reason = NULL, ended_via = NULL,"
                    " superseded_by = NULL WHERE superseded_by = ?", (number,))


_PERIOD_FIELDS = ("period_id", "address", "house_code", "entity_code", "registration", "started_on", "started_via",
                  "start_report_id", "late", "ended_on", "end_reason", "ended_via", "end_report_id", "superseded_by")


@projector(kinds.REGISTER_ADOPTED)
def _adopted(db, e: Entry, d: dict) -> None:
    """A file adopted from HQ brings the residence periods its entries give (station side only)."""
    pid = d["person"]["person_id"]
    for p in d.get("periods", []):
        db.conn.execute(
            f"INSERT OR REPLACE INTO residence_periods (person_id, {', '.join(_PERIOD_FIELDS)})"
            f" VALUES (?, {', '.join('?' * len(_PERIOD_FIELDS))})", (pid, *(p.get(c) for c in _PERIOD_FIELDS)))


# --- reads -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class House:
    house_code: str
    address: str
    house_type: str
    capacity: int
    manager_person_id: str
    registered_on: str
    updated_on: str


@dataclass(frozen=True)
class Entity:
    entity_code: str
    entity_type: str
    name: str
    contact_name: str
    contact_phone: str
    address: str
    registered_on: str


@dataclass(frozen=True)
class Period:
    period_id: str
    person_id: str
    address: str
    house_code: str | None
    entity_code: str | None
    registration: str
    started_on: str
    started_via: str
    start_report_id: str | None
    late: bool
    ended_on: str | None
    end_reason: str | None
    ended_via: str | None
    end_report_id: str | None

    @property
    def current(self) -> bool:
        return self.ended_on is None


@dataclass(frozen=True)
class RosterLine:
    period: Period
    name: str
    doc_type: str
    id_number: str


@dataclass(frozen=True)
class Overdue:
    reporter_kind: str
    reporter_code: str
    name: str  # the entity's name, or the house's address
    late_reports: int
    late_rows: int
    last_late_on: str


_HOUSE_COLS = "house_code, address, house_type, capacity, manager_person_id, registered_on, updated_on"
_ENTITY_COLS = "entity_code, entity_type, name, contact_name, contact_phone, address, registered_on"
_PERIOD_COLS = ("period_id, person_id, address, house_code, entity_code, registration, started_on, started_via,"
                " start_report_id, late, ended_on, end_reason, ended_via, end_report_id")


def _period(row) -> Period:
    return Period(*row[:9], bool(row[9]), *row[10:14])


def house(db, code: str) -> House | None:
    row = db.conn.execute(f"SELECT {_HOUSE_COLS} FROM houses WHERE house_code = ?", (code,)).fetchone()
    return House(*row) if row else None


def houses(db, limit: int = 200) -> list[House]:
    return [House(*r) for r in db.conn.execute(
        f"SELECT {_HOUSE_COLS} FROM houses ORDER BY house_code LIMIT ?", (limit,))]


def pick_houses(db, text: str, limit: int = 10) -> list[House]:
    """Houses by code (whole, start or last digits) or address (its start, or the street part after the city
    and district, which clerks type first): exact code first, then address starts."""
    q = (text or "").strip()
    if not q:
        return []
    part = q.replace("%", "").replace("_", "")
    rows = db.conn.execute(
        f"SELECT {_HOUSE_COLS} FROM houses WHERE house_code = ? OR house_code LIKE ? OR house_code LIKE ?"
        " OR address LIKE ? ORDER BY (house_code = ?) DESC, (address LIKE ?) DESC, house_code LIMIT ?",
        (q.upper(), part.upper() + "%", "%" + part.upper(), "%" + part + "%", q.upper(), part + "%",
         limit)).fetchall()
    return [House(*r) for r in rows]


def houses_at(db, address: str) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT house_code FROM houses WHERE address = ? LIMIT 2", (address,))]


def occupants_now(db, code: str) -> int:
    return db.conn.execute("SELECT count(*) FROM residence_periods WHERE house_code = ? AND ended_on IS NULL",
                           (code,)).fetchone()[0]


def occupants_now_at_entity(db, code: str) -> int:
    return db.conn.execute("SELECT count(*) FROM residence_periods WHERE entity_code = ? AND ended_on IS NULL",
                           (code,)).fetchone()[0]


def entity(db, code: str) -> Entity | None:
    row = db.conn.execute(f"SELECT {_ENTITY_COLS} FROM entities WHERE entity_code = ?", (code,)).fetchone()
    return Entity(*row) if row else None


def entities(db, limit: int = 200) -> list[Entity]:
    return [Entity(*r) for r in db.conn.execute(
        f"SELECT {_ENTITY_COLS} FROM entities ORDER BY name, entity_code LIMIT ?", (limit,))]


def person_periods(db, person_id: str) -> list[Period]:
    """Every residence period of a person, newest first."""
    return [_period(r) for r in db.conn.execute(
        f"SELECT {_PERIOD_COLS} FROM residence_periods WHERE person_id = ?"
        " ORDER BY started_on DESC, period_id DESC", (person_id,))]


def open_period(db, person_id: str, *, house_code: str | None = None,
                entity_code: str | None = None) -> Period | None:
    """The person's current period at this house or entity (None: not resident there now)."""
    col, code = ("house_code", house_code) if house_code else ("entity_code", entity_code)
    row = db.conn.execute(
        f"SELECT {_PERIOD_COLS} FROM residence_periods WHERE person_id = ? AND {col} = ? AND ended_on IS NULL"
        " ORDER BY started_on DESC LIMIT 1", (person_id, code)).fetchone()
    return _period(row) if row else None


def roster(db, *, house_code: str | None = None, entity_code: str | None = None) -> list[RosterLine]:
    """一户一册: current occupants first, then past ones, each with the dates of their period."""
    col, code = ("house_code", house_code) if house_code else ("entity_code", entity_code)
    cols = ", ".join(f"r.{c.strip()}" for c in _PERIOD_COLS.split(","))
    rows = db.conn.execute(
        f"SELECT {cols}, p.name, p.doc_type, p.id_number FROM residence_periods r JOIN persons p"
        f" ON p.person_id = r.person_id WHERE r.{col} = ?"
        " ORDER BY (r.ended_on IS NULL) DESC, r.started_on, p.name", (code,)).fetchall()
    return [RosterLine(_period(r[:14]), r[14], r[15], r[16]) for r in rows]


def overdue_reporters(db, since: str | None = None) -> list[Overdue]:
    """Reporters with late reports (art. 14) since a day, most late rows first: the 限期改正 list (art. 22)."""
    rows = db.conn.execute(
        "SELECT r.reporter_kind, r.reporter_code, coalesce(e.name, h.address, r.reporter_code), count(*),"
        " sum(r.late_rows), max(r.filed_on) FROM reports r"
        " LEFT JOIN entities e ON r.reporter_kind = 'entity' AND e.entity_code = r.reporter_code"
        " LEFT JOIN houses h ON r.reporter_kind = 'house' AND h.house_code = r.reporter_code"
        " WHERE r.late_rows > 0 AND r.filed_on >= ?"
        " GROUP BY r.reporter_kind, r.reporter_code, e.name, h.address"
        " ORDER BY sum(r.late_rows) DESC, max(r.filed_on) DESC, r.reporter_code", (since or "",)).fetchall()
    return [Overdue(r[0], r[1], r[2], int(r[3]), int(r[4]), r[5]) for r in rows]


def report_by_sha256(db, sha256: str) -> str | None:
    """The id of a report already filed from a file with this sha256 (the same file twice)."""
    row = db.conn.execute("SELECT report_id FROM reports WHERE file_sha256 = ?", (sha256,)).fetchone()
    return row[0] if row else None


def reporters(db, report_ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """report_id -> (reporter_kind, reporter_code, name): who reported a period (through whom)."""
    out: dict[str, tuple[str, str, str]] = {}
    for rid in dict.fromkeys(r for r in report_ids if r):
        row = db.conn.execute(
            "SELECT r.reporter_kind, r.reporter_code, coalesce(e.name, h.address, r.reporter_code) FROM reports r"
            " LEFT JOIN entities e ON r.reporter_kind = 'entity' AND e.entity_code = r.reporter_code"
            " LEFT JOIN houses h ON r.reporter_kind = 'house' AND h.house_code = r.reporter_code"
            " WHERE r.report_id = ?", (rid,)).fetchone()
        if row:
            out[rid] = (row[0], row[1], row[2])
    return out
