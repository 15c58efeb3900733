"""The house register and the register of reporting entities (以房管人、以业管人), and their rosters.

Each action is one `station.record` call; every read that shows people (a roster, a house's
occupants) journals a `record.opened` entry first, as opening a person's file does.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter.domain import reporting as rules
from counter.domain.names import refuse_hidden_characters
from counter.errors import CounterError, ValidationError
from counter.services import clerks, people
from db import kinds
from db.projectors import houses as reads

MAX_TEXT = 200


def _text(value: str | None, field: str, *, required: bool = True) -> str:
    text = " ".join((value or "").split())
    text = refuse_hidden_characters(text, field)
    if required and not text:
        raise ValidationError("{field} is required", field=field)
    if len(text) > MAX_TEXT:
        raise ValidationError("{field} has at most {n} characters", field=field, n=MAX_TEXT)
    return text


def _phone(value: str | None) -> str:
    phone = "".join((value or "").split())
    if not phone or not all(c.isdigit() or c in "+-" for c in phone) or len(phone) > 20:
        raise ValidationError("contact phone {phone!r} is not a phone number", field="contact_phone", phone=value)
    return phone


def manager(station, person_ref: str) -> people.Person:
    """The landlord or manager: a person on file, by person id or document number."""
    ref = (person_ref or "").strip()
    found = people.get(station, ref) if ref else None
    if found is None and ref:
        matches = [p for p in people.search(station, ref, limit=3) if p.id_number == ref.upper()]
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise CounterError("the landlord or manager {ref!r} is not on file; register the person first (by ID number)",
                           ref=people.mask(ref) if len(ref) > 10 else ref)
    return found


def add_house(station, clerk_id: str | None, *, house_code: str, address: str, house_type: str, capacity: int,
              manager_ref: str) -> reads.House:
    code = rules.check_house_code(house_code)
    rules.check_choice(house_type, rules.HOUSE_TYPES, "house_type")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 10_000:
        raise ValidationError("capacity is the number of people the house takes, 1 to 10000", field="capacity")
    addr = _text(address, "address")
    who = manager(station, manager_ref)
    if reads.house(station.db, code) is not None:
        raise CounterError("house code {code} is already registered; house codes are unique in the district",
                           code=code)
    station.record(kinds.HOUSE_REGISTERED, {"house_code": code, "address": addr, "house_type": house_type,
                                            "capacity": capacity, "manager_person_id": who.person_id},
                   clerk_id=clerk_id)
    return reads.house(station.db, code)


def update_house(station, clerk_id: str | None, house_code: str, **changes) -> reads.House:
    code = rules.check_house_code(house_code)
    current = reads.house(station.db, code)
    if current is None:
        raise CounterError("no house with code {code} on file", code=code)
    payload: dict = {"house_code": code}
    if changes.get("address") is not None:
        payload["address"] = _text(changes["address"], "address")
    if changes.get("house_type") is not None:
        payload["house_type"] = rules.check_choice(changes["house_type"], rules.HOUSE_TYPES, "house_type")
    if changes.get("capacity") is not None:
        if not 1 <= int(changes["capacity"]) <= 10_000:
            raise ValidationError("capacity is the number of people the house takes, 1 to 10000", field="capacity")
        payload["capacity"] = int(changes["capacity"])
    if changes.get("manager_ref") is not None:
        payload["manager_person_id"] = manager(station, changes["manager_ref"]).person_id
    if len(payload) == 1:
        raise CounterError("nothing to change: give --address, --type, --capacity or --manager")
    station.record(kinds.HOUSE_UPDATED, payload, clerk_id=clerk_id)
    return reads.house(station.db, code)


def add_entity(station, clerk_id: str | None, *, entity_code: str, entity_type: str, name: str,
               contact_name: str, contact_phone: str, address: str) -> reads.Entity:
    code = rules.check_uscc(entity_code)
    rules.check_choice(entity_type, rules.ENTITY_TYPES, "entity_type")
    payload = {"entity_code": code, "entity_type": entity_type, "name": _text(name, "name"),
               "contact_name": _text(contact_name, "contact_name"), "contact_phone": _phone(contact_phone),
               "address": _text(address, "address")}
    if reads.entity(station.db, code) is not None:
        raise CounterError("an entity with credit code {code} is already registered", code=code)
    station.record(kinds.ENTITY_REGISTERED, payload, clerk_id=clerk_id)
    return reads.entity(station.db, code)


def house(station, code: str) -> reads.House:
    found = reads.house(station.db, rules.check_house_code(code))
    if found is None:
        raise CounterError("no house with code {code} on file", code=code.strip().upper())
    return found


def entity(station, code: str) -> reads.Entity:
    found = reads.entity(station.db, rules.check_uscc(code))
    if found is None:
        raise CounterError("no entity with credit code {code} on file", code=code.strip().upper())
    return found


def pick(station, text: str, limit: int = 10) -> list[reads.House]:
    """The address picker: houses by code or by the first characters of the address."""
    return reads.pick_houses(station.db, text, limit)


@dataclass(frozen=True)
class Roster:
    kind: str  # house, entity
    code: str
    title: str  # the address or the entity's name
    details: dict[str, str]
    lines: list[reads.RosterLine]

    @property
    def current(self) -> list[reads.RosterLine]:
        return [x for x in self.lines if x.period.current]

    @property
    def past(self) -> list[reads.RosterLine]:
        return [x for x in self.lines if not x.period.current]


def roster(station, session, *, house_code: str | None = None, entity_code: str | None = None,
           purpose: str = "roster") -> Roster:
    """一户一册 of a house or an entity; the opening is journaled (it shows people)."""
    if house_code is not None:
        h = house(station, house_code)
        manager_person = people.get(station, h.manager_person_id)
        details = {"house_type": h.house_type, "capacity": str(h.capacity),
                   "manager": manager_person.name if manager_person else "",
                   "manager_id": manager_person.masked_id if manager_person else ""}
        clerks.open_record(station, session, "house", h.house_code, purpose)
        return Roster("house", h.house_code, h.address, details, reads.roster(station.db, house_code=h.house_code))
    e = entity(station, entity_code or "")
    details = {"entity_type": e.entity_type, "contact": f"{e.contact_name} {e.contact_phone}", "address": e.address}
    clerks.open_record(station, session, "entity", e.entity_code, purpose)
    return Roster("entity", e.entity_code, e.name, details, reads.roster(station.db, entity_code=e.entity_code))


def overdue(station, since: str | None = None) -> list[reads.Overdue]:
    """Reporters with late reports (art. 14), for 限期改正 (art. 22)."""
    return reads.overdue_reporters(station.db, since)


def periods(station, person_id: str) -> list[reads.Period]:
    return reads.person_periods(station.db, person_id)
