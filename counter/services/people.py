"""Read side of the person file: lookups and history, as Person, Permit and HistoryItem. The queries
live beside the projector of their tables (db.projectors.services)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from counter.domain.citizen_id import mask, parse_citizen_id
from counter.domain.language import N_
from counter.errors import ValidationError
from counter.numbers import looks_like_number, parse_number
from db import kinds
from db.projectors import services as reads


@dataclass(frozen=True)
class Person:
    person_id: str
    doc_type: str
    id_number: str
    name: str
    sex: str | None = None
    birth_date: str | None = None
    ethnicity: str | None = None
    nationality: str | None = None
    household_address: str | None = None
    current_address: str | None = None
    phone: str | None = None
    employer: str | None = None
    registration_kind: str | None = None
    registration_number: str | None = None
    resident_since: str | None = None
    registered_on: str | None = None

    @property
    def masked_id(self) -> str:
        return mask(self.id_number)

    def as_prefill(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, str)}

# A permit's status and what an entry did to it, as the clerk reads them (catalog msgids).
PERMIT_STATUS_TEXT = {"accepted": N_("accepted, being made"), "issued": N_("issued"),
                      "cancelled": N_("cancelled"), "voided": N_("voided")}
PERMIT_ACTION_TEXT = {kinds.service_kind("permit_apply"): N_("application"),
                      kinds.service_kind("permit_extend"): N_("extension"),
                      kinds.service_kind("permit_change"): N_("change"),
                      kinds.service_kind("permit_replace"): N_("replacement"),
                      kinds.service_kind("permit_cancel"): N_("cancellation"),
                      kinds.service_kind("permit_collect"): N_("collection"),
                      kinds.SERVICE_VOIDED: N_("void")}


@dataclass(frozen=True)
class Permit:
    permit_id: str
    status: str
    application_number: str
    validity_years: int
    accepted_on: str
    collection_date: str | None
    valid_from: str
    valid_until: str
    card_number: str | None
    collected_on: str | None
    address: str | None

    @property
    def valid_until_date(self) -> date:
        return date.fromisoformat(self.valid_until)


@dataclass(frozen=True)
class HistoryItem:
    seq: int
    service: str
    number: str | None
    business_day: str
    status: str
    late_days: int
    summary: dict = field(default_factory=dict)
    ref_seq: int | None = None
    form_version: str | None = None


def _person(row) -> Person | None:
    return Person(*row) if row else None


def get(station, person_id: str) -> Person | None:
    return _person(reads.person_row(station.db, person_id))


def by_document(station, doc_type: str, id_number: str) -> Person | None:
    return _person(reads.person_row_by_document(station.db, doc_type, id_number))


def search(station, query: str, limit: int = 50) -> list[Person]:
    """By ID or passport number, name (or its start), phone, or an application/permit/card number."""
    q = (query or "").strip()
    if not q:
        return []
    db = station.db
    if looks_like_number(q):
        return [Person(*r) for r in reads.person_rows_by_number(db, q.upper(), limit)]
    from counter import search_query as pinyin

    try:
        asked = pinyin.detect(q)  # the same reading of a query as HQ's
    except ValueError:
        asked = None  # a phone, a passport number...: the plain lookups below
    if asked is not None and asked.kind == "pinyin":  # zhangwei, zw; a Latin name keys the same way
        return [Person(*r) for r in reads.person_rows_by_key(db, asked.text, limit)]
    if asked is not None and asked.kind == "id_number":  # valid, 18 characters (a 15-digit one converted)
        rows = reads.person_rows_by_id_number(db, (asked.text, q.upper()), limit)
        if rows:
            return [Person(*r) for r in rows]
    if asked is not None and asked.kind == "name":
        q = asked.text  # surrogate pairs joined, NFC
        if asked.birth_date is not None:  # "张伟 1990-01-02": that name born that day
            return [Person(*r) for r in reads.person_rows_by_name_and_birth(db, q, asked.birth_date, limit)]
    upper = q.upper()
    as_citizen_id = _citizen_id_form(q) or upper  # an old 15-digit ID number finds its 18-digit file
    return [Person(*r) for r in reads.person_rows_matching(db, q, (upper, as_citizen_id), limit)]


_ID_LIKE = re.compile(r"^(\d{15}|\d{17}[\dXx])$")
def _citizen_id_form(query: str) -> str | None:
    """A valid citizen ID number as stored: an old 15-digit number becomes its 18-character form."""
    if not _ID_LIKE.match(query):
        return None
    try:
        return parse_citizen_id(query).number
    except ValidationError:
        return None


def query_problem(query: str) -> ValidationError | None:
    """Why a query that found nobody is probably mistyped: an ID number or an application number whose
    check character does not match. None when it is just not on file."""
    q = (query or "").strip()
    try:
        if _ID_LIKE.match(q):
            parse_citizen_id(q)
        elif looks_like_number(q):
            parse_number(q)
    except ValidationError as exc:
        return exc
    return None


def permits(station, person_id: str) -> list[Permit]:
    return [Permit(*r) for r in reads.permit_rows(station.db, person_id)]


def current_permit(station, person_id: str) -> Permit | None:
    """The latest permit that is not voided."""
    for p in permits(station, person_id):
        if p.status != "voided":
            return p
    return None


def history(station, person_id: str) -> list[HistoryItem]:
    return [_history_item(r) for r in reads.transaction_rows(station.db, person_id)]


def _history_item(r: tuple) -> HistoryItem:
    return HistoryItem(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8])


_MOVES = {"residence_registration": ("current_address", "arrival_date"),
          "lodging_registration": ("current_address", "arrival_date"),
          "accommodation_registration": ("current_address", "arrival_date"),
          "change_address": ("new_address", "change_date"), "permit_change": ("new_address", "change_date")}


def residences(station, person_id: str) -> list[tuple[str, str]]:
    """(address, since) of each residence on file, oldest first; voided entries left out (a correction
    of the address counts from its own day). The last is the current residence."""
    out: list[tuple[str, str]] = []
    for h in reversed(history(station, person_id)):
        if h.status == "voided":
            continue
        values = h.summary.get("values", {})
        if h.service in _MOVES:
            address, since = (values.get(k) for k in _MOVES[h.service])
        elif h.service == "correction" and (h.summary.get("changes") or {}).get("current_address"):
            address, since = h.summary["changes"]["current_address"], h.business_day
        else:
            continue
        if address and since and (not out or out[-1][0] != address):
            out.append((address, since))
    return out


def transaction(station, seq: int) -> HistoryItem | None:
    r = reads.transaction_row(station.db, seq)
    return _history_item(r) if r else None


def known_addresses(station, limit: int = 500) -> list[str]:
    """Addresses already on file, most used first: the address field completes from these."""
    return reads.known_addresses(station.db, limit)


def known_employers(station, limit: int = 500) -> list[str]:
    return reads.known_employers(station.db, limit)


AMENDMENTS = ("void", "correction")


def today_counts(station, business_day: str) -> dict[str, int]:
    """Services done on the day, by service, as the day's figures count them (F9: a voided service was
    performed, and its void is counted apart); voids and corrections are under "void" / "correction",
    which are not services."""
    return reads.service_counts(station.db, business_day)


def day_summary(station, business_day: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """(services total, services by service, amendments by kind): the total is the breakdown's sum."""
    counts = today_counts(station, business_day)
    services = {s: n for s, n in counts.items() if s not in AMENDMENTS}
    amended = {s: n for s, n in counts.items() if s in AMENDMENTS}
    return sum(services.values()), services, amended


@dataclass(frozen=True)
class PersonFile:
    person: Person
    permit: Permit | None
    history: list[HistoryItem]


def open_file(station, session, person_id: str, purpose: str = "service") -> PersonFile:
    """The whole file of one person; every opening is journaled (who, when, which record)."""
    from counter.services import clerks

    person = get(station, person_id)
    if person is None:
        from counter.errors import CounterError

        raise CounterError("no person with id {pid} on file", pid=person_id)
    clerks.open_record(station, session, "person", person_id, purpose)
    return PersonFile(person, current_permit(station, person_id), history(station, person_id))
