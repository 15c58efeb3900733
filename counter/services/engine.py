"""Performing a service: validate, check the rules, record one journal entry, return its document.

Everything is validated before anything is written, and everything that is written (a new
person, the service entry, its number) goes in ONE transaction: a failure leaves nothing behind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from counter import numbers
from counter.domain import eligibility
from counter.domain import policy as rules
from counter.domain.citizen_id import mask
from counter.domain.fields import age_on
from counter.errors import CounterError, PermissionDenied, ValidationError
from counter.forms import spec as form_specs
from counter.forms.clean import Context, clean, raw_choice
from counter.forms.spec import Catalogue, FormSpec
from counter.services import people
from db import kinds
from db.connection import write_transaction
from db.entry import Entry

NUMBER_KIND = {"receipt": "A", "certificate": "C", "request": "R"}


@dataclass
class Outcome:
    entry: Entry
    person_id: str
    number: str
    service: str
    late_days: int = 0
    notes: list[str] = field(default_factory=list)
    document: object | None = None  # printing.documents.Receipt | Certificate


def policy_of(station) -> rules.Policy:
    return rules.Policy.from_config(station.config.policy)


def business_date(station, now: datetime | None = None) -> date:
    """The day the journal files an entry under: the local date, or the day after the last closed one."""
    return date.fromisoformat(station.business_day(now))


def event_date(station, now: datetime | None = None) -> date:
    """The calendar date at the window (station time zone): what "today" means in what a person states
    (arrival, change date, a permit's start) and in deadlines. After a day is closed early, new entries are
    filed under the next business day, but a change made this evening happened today, not tomorrow."""
    return (now or datetime.now(UTC)).astimezone(station.tz).date()


def prefill(spec: FormSpec, *, card: dict | None = None, person: people.Person | None = None,
            permit: people.Permit | None = None, policy: rules.Policy | None = None) -> dict[str, str]:
    """Initial text of every field: the card first, then the person file, then the spec's default."""
    sources = {"card": card or {}, "person": person.as_prefill() if person else {},
               "permit": permit.__dict__ if permit else {}}
    out: dict[str, str] = {}
    for fid, f in spec.fields.items():
        value = None
        if person is not None and f.identity:
            value = sources["person"].get(fid)
        if value is None and card and fid in card:
            value = card[fid]
        if value is None and f.prefill:
            root, _, key = f.prefill.partition(".")
            value = "0" if root == "today" else sources.get(root, {}).get(key or fid)
        if value is None:
            value = f.default
        if value is not None:
            out[fid] = str(value)
    return out


def _require_person(person: people.Person | None) -> people.Person:
    if person is None:
        raise CounterError("find the person first: this service needs a person on file")
    return person


def _open_permit(station, person: people.Person, today: date) -> people.Permit:
    permit = people.current_permit(station, person.person_id)
    if permit is None or not rules.permit_is_open(permit.status, permit.valid_until_date, today):
        raise ValidationError("this person has no open residence permit", field="permit")
    return permit


def _permit_to_extend(station, person, today: date, pol) -> people.Permit:
    permit = people.current_permit(station, person.person_id)
    if permit is None or permit.status != "issued":
        raise ValidationError("only a collected permit can be extended", field="validity_years")
    rules.check_extension(permit.valid_until_date, today, pol, field="validity_years")
    return permit


def _permit_to_replace(station, person, today: date) -> people.Permit:
    permit = _open_permit(station, person, today)
    if permit.status != "issued":
        raise ValidationError("the permit has not been collected yet; nothing to replace", field="replace_reason")
    return permit


def _permit_to_collect(station, person, today: date) -> people.Permit:
    permit = people.current_permit(station, person.person_id)
    if permit is None or permit.status != "accepted":
        raise ValidationError("no permit is waiting to be collected", field="collected_by")
    if permit.collection_date and today < date.fromisoformat(permit.collection_date):
        raise ValidationError("the card is ready from {date}", field="collected_by", date=permit.collection_date)
    return permit


def _require_registration(person) -> None:
    if not person.registration_number:
        raise ValidationError("no current residence registration: register first", field="purpose")


def origin_of(station, identity) -> eligibility.Origin | None:
    """The origin of a person on file, or of a card's / form's identity values (None: nothing known yet)."""
    if identity is None:
        return None
    if isinstance(identity, dict):
        # raw text as typed ("1" for citizen_id, " deu") or a card's prefill
        doc_type = raw_choice(identity, "doc_type")
        number = "".join((identity.get("id_number") or "").split()).upper()
        nationality = (identity.get("nationality") or "").strip().upper()
    else:
        doc_type, number, nationality = identity.doc_type, identity.id_number, identity.nationality
    if not number:
        return None
    return eligibility.origin_of(doc_type, number, nationality, station.config.district)


def check_eligibility(station, service: str, identity, pol: rules.Policy | None = None) -> None:
    """Refuse a registration or permit this person cannot have (eligibility.ServiceRefused, offering
    the right service)."""
    origin = origin_of(station, identity)
    if origin is None:
        return
    eligibility.check_service(service, origin, pol or policy_of(station))


def eligible_services(station, identity, services) -> tuple[list[str], rules.ServiceRefused | None]:
    """Of `services`, those the eligibility rules give this person (origin and policy only, not the file's
    state), and the first refusal among the others: what a hint may offer, and why nothing when nothing."""
    pol = policy_of(station)
    allowed: list[str] = []
    refusal: rules.ServiceRefused | None = None
    for service in services:
        try:
            check_eligibility(station, service, identity, pol)
        except rules.ServiceRefused as exc:
            refusal = refusal or exc
            continue
        allowed.append(service)
    return allowed, refusal


def precheck(station, service: str, person: people.Person | None, now: datetime | None = None,
             identity: dict | None = None) -> None:
    """Raise what would refuse `service` for this person whatever the form says (a local resident's
    registration, a foreigner's permit, no permit to extend, card not ready yet...), so the clerk hears
    it when the service key is pressed, not after confirming. `identity`: a card's values when the
    person is not on file yet."""
    pol = policy_of(station)
    check_eligibility(station, service, person if person is not None else identity, pol)
    if person is None:
        return
    today = event_date(station, now)
    from counter.services import register

    register.guard_permit_service(station, service, person, network=False)
    for check in FILE_PRECHECKS.get(service, ()):
        check(station, person, today, pol)


def _no_open_permit(station, person, today: date, pol) -> None:
    rules.check_no_open_permit(
        [(p.permit_id, p.status, p.valid_until_date) for p in people.permits(station, person.person_id)], today)


# What the person's file must show before a service, beyond eligibility (counter.domain.eligibility's
# REFUSALS): service -> checks, each (station, person, business date, policy), each raising its refusal.
FILE_PRECHECKS: dict[str, tuple] = {
    "permit_apply": (lambda st, person, today, pol: _check_permit_residence(st, person, today, pol),
                     _no_open_permit),
    "permit_extend": (lambda st, person, today, pol: _permit_to_extend(st, person, today, pol),),
    "permit_change": (lambda st, person, today, pol: _open_permit(st, person, today),),
    "permit_cancel": (lambda st, person, today, pol: _open_permit(st, person, today),),
    "permit_replace": (lambda st, person, today, pol: _permit_to_replace(st, person, today),),
    "permit_collect": (lambda st, person, today, pol: _permit_to_collect(st, person, today),),
    "residence_certificate": (lambda st, person, today, pol: _require_registration(person),),
    "registration_end": (lambda st, person, today, pol: _registration_to_end(st, person),),
}


def _registration_to_end(station, person) -> list:
    """The periods a departure ends: every current one (a window registration, a reported tenancy)."""
    from counter.services import houses

    current = [p for p in houses.periods(station, person.person_id) if p.current]
    if not current and not person.registration_number:
        raise ValidationError("no current registration to end", field="end_reason")
    return current


def _check_permit_residence(station, person, today: date, pol) -> None:
    origin = origin_of(station, person)
    since = date.fromisoformat(person.resident_since) if person is not None and person.resident_since else None
    if origin is None:
        rules.check_residence_length(since, today, pol)
        return
    eligibility.check_permit_residence(origin, since, today, pol)


def _check_service(station, spec, person, values, today, pol, derived, notes,
                   moment: datetime | None = None) -> tuple[int, str | None]:
    """Rules that need the person's file. Returns (late_days, permit_id) and fills derived/notes."""
    sid = spec.id
    late = 0
    permit_id = None
    moment = moment or datetime.now(UTC)
    check_eligibility(station, sid, person if person is not None else values, pol)
    if sid == "accommodation_registration":
        arrived = datetime.combine(date.fromisoformat(values["arrival_date"]),
                                   time.fromisoformat(values["arrival_time"]), station.tz)
        hours = eligibility.hours_late(arrived, moment.astimezone(station.tz), pol.foreigner_registration_hours)
        derived["deadline"] = (arrived + timedelta(hours=pol.foreigner_registration_hours)).strftime("%Y-%m-%d %H:%M")
        derived["late_hours"] = hours
        late = -(-hours // 24)  # days late, rounded up: the day figures count it late
        if arrived > moment.astimezone(station.tz):
            raise ValidationError("the arrival is in the future", field="arrival_time")
    elif sid in ("residence_registration", "lodging_registration"):
        t = rules.timeliness(date.fromisoformat(values["arrival_date"]), today, pol.registration_deadline_days)
        late = t.days_late
        derived["deadline"] = t.deadline.isoformat()
    elif sid == "permit_apply":
        if person is not None:
            rules.check_no_open_permit(
                [(p.permit_id, p.status, p.valid_until_date) for p in people.permits(station, person.person_id)],
                today)
        _check_permit_residence(station, person, today, pol)
        years = int(values["validity_years"])
        derived["valid_from"] = today.isoformat()
        derived["valid_until"] = rules.permit_valid_until(today, years).isoformat()
        derived["collection_date"] = rules.collection_date(today, pol).isoformat()
        birth = values.get("birth_date")
        if birth and rules.permit_optional(age_on(date.fromisoformat(birth), today),
                                           values.get("is_student") == "yes", pol):
            derived["optional"] = True
            notes.append("optional")
    elif sid == "permit_extend":
        permit = _permit_to_extend(station, person, today, pol)
        derived["previous_valid_until"] = permit.valid_until
        derived["valid_until"] = rules.extended_until(permit.valid_until_date, int(values["validity_years"])).isoformat()
        permit_id = permit.permit_id
    elif sid == "permit_change":
        permit = _open_permit(station, person, today)
        _refuse_same_address(values["new_address"], permit.address or person.current_address)
        t = rules.timeliness(date.fromisoformat(values["change_date"]), today, pol.change_deadline_days)
        late = t.days_late
        derived["previous_address"] = permit.address
        permit_id = permit.permit_id
    elif sid == "permit_replace":
        permit = _permit_to_replace(station, person, today)
        derived["cancelled_card"] = permit.card_number
        derived["collection_date"] = rules.collection_date(today, pol).isoformat()
        permit_id = permit.permit_id
    elif sid == "permit_cancel":
        permit = _open_permit(station, person, today)
        derived["cancelled_card"] = permit.card_number
        permit_id = permit.permit_id
    elif sid == "permit_collect":
        permit = _permit_to_collect(station, person, today)
        derived["valid_until"] = permit.valid_until
        permit_id = permit.permit_id
    elif sid == "residence_certificate":
        _require_registration(person)
        derived["resident_since"] = person.resident_since
        derived["address"] = person.current_address
        # earlier addresses are history, never the start date of the current residence
        earlier = [{"address": a, "since": since} for a, since in people.residences(station, person.person_id)
                   if a != person.current_address]
        if earlier:
            derived["earlier_addresses"] = earlier[-3:]
    elif sid in ("change_address", "change_employer"):
        if sid == "change_address":
            _refuse_same_address(values["new_address"], person.current_address)
        t = rules.timeliness(date.fromisoformat(values["change_date"]), today, pol.change_deadline_days)
        late = t.days_late
        derived["previous"] = person.current_address if sid == "change_address" else person.employer
    elif sid == "registration_end":
        current = _registration_to_end(station, person)
        end = values["end_date"]
        started = max([p.started_on for p in current] + [person.resident_since or ""])
        if end < started:
            raise ValidationError("the departure date is before the registration began ({date})", field="end_date",
                                  date=started)
        derived["ended"] = [{"address": p.address, "since": p.started_on} for p in current]
    elif sid == "change_phone":
        derived["previous"] = person.phone
    elif sid == "name_correction":
        if values["new_name"] == person.name:
            raise ValidationError("the corrected name is the same as the name on file", field="new_name")
    address_field = AT_ADDRESS.get(sid)
    if address_field and values.get(address_field):
        from counter.services import houses

        # the address picker gives a known house's address exactly: the period is linked to that house
        code = houses.house_at(station, values[address_field])
        if code:
            derived["house_code"] = code
    return late, permit_id


# services that state where the person lives, and the field that says it (linked to a known house)
AT_ADDRESS = {"residence_registration": "current_address", "lodging_registration": "current_address",
              "accommodation_registration": "current_address", "change_address": "new_address",
              "permit_change": "new_address"}


def _same_address(a: str | None, b: str | None) -> bool:
    """Spaces aside, and full-width forms as their plain ones (an input method in full-width mode types
    １０号 for 10号, Ａ座 for A座): the same address is not a change."""
    import unicodedata

    def norm(t):
        return "".join(unicodedata.normalize("NFKC", t or "").casefold().split())
    return bool(a) and norm(a) == norm(b)


def _refuse_same_address(new: str, current: str | None) -> None:
    if _same_address(new, current):
        raise ValidationError("the new address is the address on file; nothing changes", field="new_address")


def _clean_values(spec, raw: dict[str, str], person, pol, today: date) -> dict[str, str]:
    # fields not given start from what the form would have shown (person file, defaults)
    raw = {**prefill(spec, person=person, policy=pol), **raw}
    if person is not None:
        # identity on file is locked: only a name correction (its own service) changes it
        for fid in spec.identity_fields:  # the form spec marks them (`identity = true`)
            if getattr(person, fid) is not None:
                raw[fid] = getattr(person, fid)
    return clean(spec, raw, Context(today, pol))


@dataclass(frozen=True)
class Preview:
    """What perform() would record, for the review page: lateness and the derived values (old and new expiry)."""

    late_days: int
    derived: dict
    notes: tuple[str, ...]


def check(station, service: str, raw: dict[str, str], *, person_id: str | None = None,
          now: datetime | None = None) -> Preview:
    """Everything perform() would refuse for this person and these values, without recording: run
    before a supervisor is called over (a name correction to the same name...) and for the review page."""
    spec = form_specs.catalogue().get(service)
    pol = policy_of(station)
    today = event_date(station, now)
    person = people.get(station, person_id) if person_id else None
    if spec.person == "existing":
        _require_person(person)
    values = _clean_values(spec, raw, person, pol, today)
    derived: dict = {}
    notes: list[str] = []
    late, _permit_id = _check_service(station, spec, person, values, today, pol, derived, notes,
                                      now or datetime.now(UTC))
    return Preview(late, derived, tuple(notes))


def perform(station, service: str, raw: dict[str, str], *, person_id: str | None = None, clerk=None,
            supervisor=None, source: str = "manual", now: datetime | None = None,
            build_document: bool = True, catalogue: Catalogue | None = None,
            ticket: str | None = None) -> Outcome:
    """One clerk action. `clerk` and `supervisor` are counter.services.clerks.Clerk (the supervisor already authorised)."""
    spec = (catalogue or form_specs.catalogue()).get(service)
    moment = now or datetime.now(UTC)
    pol = policy_of(station)
    today = event_date(station, moment)
    person = people.get(station, person_id) if person_id else None
    if person_id and person is None:
        raise CounterError("no person with id {pid} on file", pid=person_id)
    if spec.person == "existing":
        _require_person(person)
    if spec.supervisor and supervisor is None:
        raise PermissionDenied("this service needs a supervisor's approval")
    values = _clean_values(spec, raw, person, pol, today)

    notes: list[str] = []
    derived: dict = {}
    clerk_id = clerk.clerk_id if clerk else None
    from counter.services import register

    # an adopted permit is re-checked with HQ first (outside the write transaction: it may wait on HQ)
    guard = register.guard_permit_service(station, service, person, clerk_id=clerk_id)
    if guard.note == "offline":
        notes.append("hq_offline")
    with write_transaction(station.db):
        if person is None:
            person = people.by_document(station, values["doc_type"], values["id_number"])
            if person is not None and person.name != values["name"]:
                raise ValidationError("this document number is on file under another name; use a name correction",
                                      field="id_number")
        if person is None:
            pid = uuid.uuid4().hex
            station.record(kinds.PERSON_REGISTERED, {
                "person_id": pid, **{f: values.get(f) for f in spec.identity_fields},
                "phone": values.get("phone"), "source": source, "form": spec.ref,
            }, clerk_id=clerk_id, now=moment)
            person = people.get(station, pid)
        late, permit_id = _check_service(station, spec, person, values, today, pol, derived, notes, moment)
        day = station.business_day(moment)
        allocated = []
        kind = NUMBER_KIND[spec.document]
        number = numbers.allocate(station, kind, day)
        allocated.append({"number": number, "kind": kind, "day_seq": numbers.parse_number(number).seq})
        if service == "permit_collect":
            card = numbers.allocate(station, "P", day)
            derived["card_number"] = card
            allocated.append({"number": card, "kind": "P", "day_seq": numbers.parse_number(card).seq})
        service_values = {k: v for k, v in values.items() if k not in spec.identity_fields}
        payload = {
            "service": service, "person_id": person.person_id, "name": person.name,
            "masked_id": mask(person.id_number), "number": number, "numbers": allocated,
            "values": service_values, "derived": derived, "late_days": late, "form": spec.ref,
        }
        if permit_id:
            payload["permit_id"] = permit_id
        if guard.basis is not None:
            payload["permit_basis"] = guard.basis  # what this window knew of the permit (HQ's conflict check)
        if ticket:
            payload["ticket"] = ticket
        if service == "name_correction":
            payload["old_name"] = person.name
        if supervisor is not None:
            payload["supervisor_id"] = supervisor.clerk_id
        entry = station.record(kinds.service_kind(service), payload, clerk_id=clerk_id, now=moment)
    register.forget_recheck(station, permit_id)
    outcome = Outcome(entry, person.person_id, number, service, late, notes)
    if build_document:
        from counter.services import documents

        outcome.document = documents.from_entry(station, entry)
    return outcome
