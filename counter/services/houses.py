"""The house register and the register of reporting entities (以房管人、以业管人), and their rosters.

Each action is one `station.record` call; every read that shows people (a roster, a house's
occupants) journals a `record.opened` entry first, as opening a person's file does.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter.domain import reporting as rules
from counter.domain.names import refuse_hidden_characters
from counter.errors import CounterError, ValidationError
from counter.i18n import N_, _
from counter.services import people
from db import kinds
from db.projectors import houses as reads

MAX_TEXT = 200


def _text(value: str | None, field: str, *, required: bool = True) -> str:
    text = " ".join((value or "").split())
    text = refuse_hidden_characters(text, field)
    if required and not text:
        raise ValidationError("{name} is required", field=field, name=field)
    if len(text) > MAX_TEXT:
        raise ValidationError("{name} has at most {n} characters", field=field, name=field, n=MAX_TEXT)
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


def house_file(station, clerk_id: str | None, code: str) -> reads.House:
    """A house with its landlord's name: a person's data, so the opening is journaled."""
    found = house(station, code)
    _opened(station, clerk_id, "house", found.house_code, "show")
    return found


def entity(station, code: str) -> reads.Entity:
    found = reads.entity(station.db, rules.check_uscc(code))
    if found is None:
        raise CounterError("no entity with credit code {code} on file", code=code.strip().upper())
    return found


def house_at(station, address: str) -> str | None:
    """The code of the one house at exactly this address (None: no house, or several there)."""
    found = reads.houses_at(station.db, " ".join((address or "").split()))
    return found[0] if len(found) == 1 else None


def known_houses(station, limit: int = 5000) -> list[tuple[str, str]]:
    """(house code, address) of the register, for the address picker."""
    return [(h.house_code, h.address) for h in reads.houses(station.db, limit)]


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


def _opened(station, clerk_id: str | None, record_type: str, record_id: str, purpose: str) -> None:
    station.record(kinds.RECORD_OPENED, {"record_type": record_type, "record_id": record_id, "purpose": purpose},
                   clerk_id=clerk_id)


def roster(station, clerk_id: str | None, *, house_code: str | None = None, entity_code: str | None = None,
           purpose: str = "roster") -> Roster:
    """一户一册 of a house or an entity; the opening is journaled (it shows people)."""
    if house_code is not None:
        h = house(station, house_code)
        manager_person = people.get(station, h.manager_person_id)
        details = {"house_type": h.house_type, "capacity": str(h.capacity),
                   "manager": manager_person.name if manager_person else "",
                   "manager_id": manager_person.masked_id if manager_person else ""}
        _opened(station, clerk_id, "house", h.house_code, purpose)
        return Roster("house", h.house_code, h.address, details, reads.roster(station.db, house_code=h.house_code))
    e = entity(station, entity_code or "")
    details = {"entity_type": e.entity_type, "contact": f"{e.contact_name} {e.contact_phone}", "address": e.address}
    _opened(station, clerk_id, "entity", e.entity_code, purpose)
    return Roster("entity", e.entity_code, e.name, details, reads.roster(station.db, entity_code=e.entity_code))


def overdue(station, since: str | None = None) -> list[reads.Overdue]:
    """Reporters with late reports (art. 14), for 限期改正 (art. 22)."""
    return reads.overdue_reporters(station.db, since)


def correct_by(station, item: reads.Overdue) -> str:
    """The day a late reporter is to have corrected by (art. 22): the policy's limit after its latest late report."""
    from datetime import date, timedelta

    from counter.domain.policy import Policy

    days = Policy.from_config(station.config.policy).report_correction_days  # not engine: it imports this module
    return (date.fromisoformat(item.last_late_on) + timedelta(days=days)).isoformat()


def periods(station, person_id: str) -> list[reads.Period]:
    return reads.person_periods(station.db, person_id)


HOUSE_TYPE_LABELS = {"rental": "出租房屋", "dormitory": "单位宿舍", "work_site": "工地", "own": "自有住房", "other": "其他"}
ENTITY_TYPE_LABELS = {"employer": "用人单位", "job_agency": "职业中介", "housing_agency": "房屋中介", "hotel": "旅馆",
                      "hospital": "医院", "school": "学校、培训机构", "shelter": "救助管理机构"}
REGISTRATION_LABELS = {"residence": "居住登记", "lodging": "寄住登记", "accommodation": "住宿登记",
                       "institution": "只登记不发证"}


# How a period ended, in the UI's language (msgids of the catalog)
PERIOD_END = {"moved_away": N_("moved away"), "left_district": N_("left the district"),
              "report_move_out": N_("moved out (report)"), "report_left": N_("left (report)"),
              "superseded": N_("registered elsewhere")}


def through(station, period: reads.Period, known: dict | None = None) -> str:
    """Through whom a period was recorded, in the UI's language: the window, the import, or the reporter
    (house or entity) and its code. The person file and the roster (screen, CLI, PDF) say the same."""
    if period.started_via == "window":
        return _("at the window")
    if period.started_via == "import":
        return _("imported from the previous system")
    found = (known or reads.reporters(station.db, [period.start_report_id])).get(period.start_report_id)
    if not found:
        return _("reported")
    kind, code, name = found
    if kind == "house":
        return _("reported by the landlord of {code}").format(code=code)
    return _("reported by {name} ({code})").format(name=name, code=code)


def reporter_of(station, report_id: str | None) -> tuple[str, str, str] | None:
    """(reporter_kind, code, name) of the report that recorded a period."""
    return reads.reporters(station.db, [report_id]).get(report_id) if report_id else None


def roster_rows(station, lines: list[reads.RosterLine]) -> list[list[str]]:
    known = reads.reporters(station.db, [x.period.start_report_id for x in lines])
    rows = []
    for x in lines:
        p = x.period
        until = p.ended_on or "—"
        if p.end_reason:
            until += f"（{_(PERIOD_END[p.end_reason]) if p.end_reason in PERIOD_END else p.end_reason}）"
        rows.append([x.name, people.mask(x.id_number), p.started_on, until, through(station, p, known),
                     "是" if p.late else ""])
    return rows


def roster_document(station, r: Roster):
    """The roster as printing.roster's plain document (masked ID numbers only)."""
    from printing.roster import RosterDocument

    if r.kind == "house":
        title = f"一户一册　房屋 {r.code}"
        details = [("类型", HOUSE_TYPE_LABELS.get(r.details["house_type"], r.details["house_type"])),
                   ("可住人数", r.details["capacity"]),
                   ("房主/管理人", f"{r.details['manager']} {r.details['manager_id']}".strip())]
    else:
        title = f"单位人员名册　{r.code}"
        details = [("类型", ENTITY_TYPE_LABELS.get(r.details["entity_type"], r.details["entity_type"])),
                   ("联系人", r.details["contact"]), ("地址", r.details["address"])]
    office = station.config.data["station"]["office"]
    return RosterDocument(
        title=title, heading=r.title, details=details, current=roster_rows(station, r.current),
        past=roster_rows(station, r.past),
        issued=f"{station.business_day()}　{station.station_id} {office}",
        footnote=(f"现住 {len(r.current)} 人，曾住 {len(r.past)} 人。证件号码已遮蔽。内含个人信息，工作人员须保密"
                  "（《辽宁省实有人口服务管理办法》第七条、第二十三条）。"))


def write_roster(station, clerk_id: str | None, path, *, house_code: str | None = None,
                 entity_code: str | None = None) -> Roster:
    """The roster PDF written atomically, 0600; the opening and the file are journaled."""
    from counter import files
    from printing.roster import render_roster

    r = roster(station, clerk_id, house_code=house_code, entity_code=entity_code, purpose="roster_pdf")
    files.write_atomic(path, render_roster(roster_document(station, r)))
    return r


@dataclass(frozen=True)
class RegisterRow:
    kind: str  # house, entity
    code: str
    type: str
    occupants: int
    capacity: int | None
    title: str  # the address, or the entity's name


def register_rows(station, text: str = "", limit: int = 200) -> list[RegisterRow]:
    """Houses (picked by code or address start when `text` is given) then entities, for the houses screen."""
    found = pick(station, text, limit) if text.strip() else reads.houses(station.db, limit)
    rows = [RegisterRow("house", h.house_code, h.house_type, reads.occupants_now(station.db, h.house_code),
                        h.capacity, h.address) for h in found]
    q = text.strip().upper()
    for e in reads.entities(station.db, limit):
        if not q or e.entity_code.startswith(q) or e.name.startswith(text.strip()):
            rows.append(RegisterRow("entity", e.entity_code, e.entity_type,
                                    reads.occupants_now_at_entity(station.db, e.entity_code), None, e.name))
    return rows
