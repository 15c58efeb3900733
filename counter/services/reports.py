"""Reports of landlords, agencies, employers and institutions (art. 11, 14): one report, all or nothing.

A report is one `report.filed` entry and, per person in it, a `person.registered` (when not on file)
and the `residence.started` or `residence.ended` of their period at the house or entity, all in ONE
write transaction. A report filed more than `report_deadline_days` after a row's event is accepted and
its rows flagged late (art. 14); `counter entity overdue` lists the reporters (art. 22).

The window (counter/cli/houses.py, screens/houses.py) and bulk intake (counter/intake, `counter report
import`) both file through `file_report`; intake's dry run calls `check_rows` after its own row checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from counter.domain import eligibility
from counter.domain import reporting as rules
from counter.domain.citizen_id import mask, parse_citizen_id
from counter.domain.names import check_name
from counter.errors import CounterError, ValidationError
from counter.services import engine, people
from db import kinds
from db.connection import write_transaction
from db.projectors import houses as reads

MAX_ROWS = 100_000


@dataclass(frozen=True)
class ReportRow:
    """One person in a report, already validated by its reader (intake) or form (window)."""

    row: int  # 1-based row number in the file (or 1..n at the window)
    doc_type: str  # as persons.doc_type: citizen_id, passport, ...
    id_number: str
    name: str
    event_date: date  # moved in / out, hired / left, arrived / left the institution
    house_code: str | None  # required for house reporters (their own) and an agency's move_in rows
    address: str | None  # when there is no house code
    phone: str | None = None


@dataclass(frozen=True)
class ReportResult:
    report_id: str
    seq: int  # the report.filed entry
    filed_on: str
    rows: int
    late_rows: int
    new_people: int
    started: int
    ended: int
    over_capacity: tuple[tuple[str, int, int], ...] = ()  # (house code, people now, capacity): flagged, not refused


@dataclass(frozen=True)
class Reporter:
    kind: str  # house, entity
    code: str
    entity_type: str | None
    address: str
    name: str


def reporter(station, reporter_kind: str, reporter_code: str) -> Reporter:
    """The house or entity that files, or one clear line saying it is not on file."""
    rules.check_choice(reporter_kind, rules.REPORTER_KINDS, "reporter_kind")
    if reporter_kind == "house":
        code = rules.check_house_code(reporter_code)
        h = reads.house(station.db, code)
        if h is None:
            raise CounterError("no house with code {code} on file; register it first: counter house add",
                               code=code)
        return Reporter("house", code, None, h.address, h.address)
    code = rules.check_uscc(reporter_code)
    e = reads.entity(station.db, code)
    if e is None:
        raise CounterError("no entity with credit code {code} on file; register it first: counter entity add",
                           code=code)
    return Reporter("entity", code, e.entity_type, e.address, e.name)


def _identity(row: ReportRow, today: date) -> tuple[str, str, str | None, str | None]:
    """(id_number, name, sex, birth_date) as stored; raises ValidationError."""
    name = check_name(row.name).name
    if row.doc_type == "citizen_id":
        cid = parse_citizen_id(row.id_number, today)
        return cid.number, name, cid.sex, cid.birth_date.isoformat()
    number = "".join((row.id_number or "").split()).upper()
    if not number:
        raise ValidationError("the document number is empty", field="id_number")
    return number, name, None, None


@dataclass(frozen=True)
class _Planned:
    row: ReportRow
    id_number: str
    name: str
    sex: str | None
    birth_date: str | None
    person: people.Person | None
    house_code: str | None
    address: str | None
    period_id: str | None  # the period a row ends
    period_registration: str | None  # and its registration (institution: a guest's stay)
    late: bool


class RowsRefused(ValidationError):
    """Rows a report cannot take: the first one's reason (localized with the rest), the count of the others."""

    def __init__(self, problems: list[tuple[int, ValidationError]]):
        row, first = problems[0]
        self.problems = problems
        if len(problems) == 1:
            super().__init__("row {row}: {reason}; nothing was recorded", row=row, reason=str(first))
        else:
            super().__init__("row {row}: {reason} (and {more} more rows refused); nothing was recorded", row=row,
                             reason=str(first), more=len(problems) - 1)

    def localized(self, gettext) -> str:
        return gettext(self.template).format(**{**self.params, "reason": self.problems[0][1].localized(gettext)})


def _plan(station, who: Reporter, report_type: str, rows: list[ReportRow], today: date
          ) -> tuple[list[_Planned], list[tuple[int, ValidationError]]]:
    pol = engine.policy_of(station)
    planned: list[_Planned] = []
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    starts = report_type in rules.STARTS
    for row in rows:
        try:
            id_number, name, sex, birth = _identity(row, today)
            rules.check_event_date(row.event_date, today)
            key = (row.doc_type, id_number)
            if key in seen:
                raise ValidationError("the same person is already in row {first} of this report", first=seen[key])
            seen[key] = row.row
            person = people.by_document(station, row.doc_type, id_number)
            if person is not None and person.name != name:
                raise ValidationError("{masked} is on file under another name; correct the name at the window first",
                                      masked=person.masked_id)
            house_code = _house_code_of(who, row)
            address = row.address
            if house_code is not None:
                h = reads.house(station.db, house_code)
                if h is None:
                    raise ValidationError("house {code} is not on file", code=house_code)
                address = h.address
            period_id = period_registration = None
            if starts:
                if who.kind == "entity" and who.entity_type == "housing_agency" and house_code is None:
                    raise ValidationError("a housing agency's move-in names the house code")
                address = address or who.address
                if person is not None and _open_at(station, person, who, house_code) is not None:
                    raise ValidationError("{masked} is already resident there; nothing to start",
                                          masked=person.masked_id)
            else:
                period = _open_at(station, person, who, house_code) if person is not None else None
                if period is None:
                    raise ValidationError("{who} has no current registration there to end",
                                          who=mask(id_number) if person is None else person.masked_id)
                if row.event_date.isoformat() < period.started_on:
                    raise ValidationError("the end date {date} is before the start {start}",
                                          date=row.event_date.isoformat(), start=period.started_on)
                period_id, period_registration = period.period_id, period.registration
            late = rules.report_lateness(row.event_date, today, pol.report_deadline_days).late
            planned.append(_Planned(row, id_number, name, sex, birth, person, house_code, address, period_id,
                                    period_registration, late))
        except ValidationError as exc:
            problems.append((row.row, exc))
    return planned, problems


def _house_code_of(who: Reporter, row: ReportRow) -> str | None:
    if who.kind == "house":
        if row.house_code and rules.check_house_code(row.house_code) != who.code:
            raise ValidationError("row names house {code}, but the report is house {house}'s",
                                  code=row.house_code, house=who.code)
        return who.code
    return rules.check_house_code(row.house_code) if row.house_code else None


def _open_at(station, person, who: Reporter, house_code: str | None):
    if who.kind == "house":
        return reads.open_period(station.db, person.person_id, house_code=who.code)
    return reads.open_period(station.db, person.person_id, entity_code=who.code)


def _check_reporter(station, reporter_kind, reporter_code, report_type, rows) -> Reporter:
    who = reporter(station, reporter_kind, reporter_code)
    rules.check_report_type(who.kind, who.entity_type, report_type)
    if not rows:
        raise CounterError("the report has no rows; nothing to file")
    if len(rows) > MAX_ROWS:
        raise CounterError("a report has at most {n} rows; split the file", n=MAX_ROWS)
    return who


def check_rows(station, reporter_kind: str, reporter_code: str, report_type: str, rows: list[ReportRow],
               *, today: date | None = None, gettext: Callable[[str], str] | None = None
               ) -> list[tuple[int, str]]:
    """(row, reason) of every row the database refuses (unknown house, nobody resident to move out, a
    person on file under another name...); an unknown reporter raises. Writes nothing. `gettext`: the
    reasons in the UI's language (intake's rejects table), else in English."""
    who = _check_reporter(station, reporter_kind, reporter_code, report_type, rows)
    problems = _plan(station, who, report_type, rows, today or engine.business_date(station))[1]
    return [(row, exc.localized(gettext) if gettext else str(exc)) for row, exc in problems]


Progress = Callable[[int, int], None]


def file_report(station, clerk_id: str | None, *, reporter_kind: str, reporter_code: str, report_type: str,
                rows: list[ReportRow], source: str = "window", file_sha256: str | None = None,
                file_name: str | None = None, today: date | None = None,
                progress: Progress | None = None) -> ReportResult:
    """Record a report and every person's period in one transaction, or nothing (a clear error)."""
    rules.check_choice(source, ("window", "file"), "source")
    if source == "file" and not file_sha256:
        raise CounterError("a report from a file records the file's sha256")
    today = today or engine.business_date(station)
    who = _check_reporter(station, reporter_kind, reporter_code, report_type, rows)
    planned, problems = _plan(station, who, report_type, rows, today)
    if problems:
        raise RowsRefused(problems)
    report_id = uuid.uuid4().hex
    late_rows = sum(1 for p in planned if p.late)
    payload = {"report_id": report_id, "reporter_kind": who.kind, "reporter_code": who.code,
               "report_type": report_type, "filed_on": today.isoformat(), "source": source,
               "rows": len(planned), "late_rows": late_rows}
    if source == "file":
        payload["file_sha256"] = file_sha256
        payload["file_name"] = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1] or None
    district = station.config.district
    starts = report_type in rules.STARTS
    new_people = 0
    with write_transaction(station.db):
        entry = station.record(kinds.REPORT_FILED, payload, clerk_id=clerk_id)
        for done, p in enumerate(planned, 1):
            person_id = p.person.person_id if p.person is not None else None
            if person_id is None:
                person_id = uuid.uuid4().hex
                station.record(kinds.PERSON_REGISTERED, {
                    "person_id": person_id, "doc_type": p.row.doc_type, "id_number": p.id_number, "name": p.name,
                    "sex": p.sex, "birth_date": p.birth_date, "ethnicity": None, "nationality": None,
                    "household_address": None, "phone": p.row.phone, "source": "report",
                    "form": {"id": "report", "report_id": report_id}}, clerk_id=clerk_id)
                new_people += 1
            if starts:
                origin = eligibility.origin_of(p.row.doc_type, p.id_number, None, district)
                station.record(kinds.RESIDENCE_STARTED, {
                    "person_id": person_id, "period_id": uuid.uuid4().hex, "started_on": p.row.event_date.isoformat(),
                    "address": p.address, "house_code": p.house_code,
                    "entity_code": who.code if who.kind == "entity" else None, "via": "report",
                    "report_id": report_id, "late": p.late,
                    "registration": rules.registration_of(report_type, origin.kind == eligibility.IN_PROVINCE)},
                    clerk_id=clerk_id)
            else:
                station.record(kinds.RESIDENCE_ENDED, {
                    "person_id": person_id, "period_id": p.period_id, "ended_on": p.row.event_date.isoformat(),
                    "reason": rules.END_REASONS[report_type], "via": "report", "report_id": report_id,
                    "registration": p.period_registration},
                    clerk_id=clerk_id)
            if progress is not None:
                progress(done, len(planned))
    n = len(planned)
    crowded = []
    for code in sorted({p.house_code for p in planned if p.house_code}) if starts else ():
        h = reads.house(station.db, code)
        now = reads.occupants_now(station.db, code)
        if h is not None and now > h.capacity:
            crowded.append((code, now, h.capacity))
    return ReportResult(report_id, entry.seq, today.isoformat(), n, late_rows, new_people,
                        n if starts else 0, 0 if starts else n, tuple(crowded))


def report_types(station, reporter_kind: str, reporter_code: str) -> tuple[str, str]:
    """(the arrival report type, the departure one) this reporter files: move_in/move_out, hired/left..."""
    who = reporter(station, reporter_kind, reporter_code)
    start, end = rules.report_types_for(who.kind, who.entity_type)
    return start, end


def file_one(station, clerk_id: str | None, *, reporter_kind: str, reporter_code: str, report_type: str,
             id_number: str, name: str, event_text: str, house_code: str | None = None,
             doc_type: str = "citizen_id") -> ReportResult:
    """A report of one person typed at the window (the date as the forms take it: YYYY-MM-DD, 0, -3)."""
    from counter.domain.fields import parse_date

    today = engine.business_date(station)
    event = parse_date(event_text, today, field="event_date")
    row = ReportRow(1, doc_type, id_number, name, event, house_code, None)
    return file_report(station, clerk_id, reporter_kind=reporter_kind, reporter_code=reporter_code,
                       report_type=report_type, rows=[row], today=today)
