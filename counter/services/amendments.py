"""Corrections and voids: a past entry is never edited. Each is a new entry that references the
old one by seq and hash, is approved with a supervisor's PIN, and shows in the person's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from counter import numbers
from counter.domain import fields as rules
from counter.domain.citizen_id import mask
from counter.errors import CounterError, PermissionDenied, ValidationError
from counter.forms.clean import FormInvalid
from counter.services import people
from db import journal, kinds
from db.connection import write_transaction

# What a correction may change, and how each value is checked.
CORRECTABLE = {
    "current_address": rules.check_address,
    "household_address": rules.check_address,
    "phone": rules.check_phone,
    "employer": lambda t, field: (t or "").strip() or None,
}


@dataclass
class Amendment:
    entry: journal.Entry
    number: str
    document: object | None = None


def _target(station, ref_seq: int):
    item = people.transaction(station, ref_seq)
    entry = journal.get(station.db, ref_seq)
    if item is None or entry is None:
        raise CounterError("entry {seq} is not a service on file", seq=ref_seq)
    if item.status in ("voided",):
        raise CounterError("entry {seq} is already voided", seq=ref_seq)
    if item.service in ("void", "correction"):
        raise CounterError("a void or correction cannot itself be amended; amend the original entry")
    return item, entry


def check_amendable(station, ref_seq: int) -> None:
    """Raise the reason an entry cannot be voided or corrected, before anyone types a reason or a
    supervisor walks over to enter a PIN."""
    _target(station, ref_seq)


def receipt_number(station, ref_seq: int) -> str:
    """The number the clerk and the person know an entry by (its receipt), for dialogs."""
    item, _entry = _target(station, ref_seq)
    return item.number or str(ref_seq)


def void_shown(station, ref_seq: int) -> tuple[str, list[tuple[str, str]]]:
    """(service, [(field, value)]) of the entry a void takes back: what it recorded beyond the person's
    identity (an address, a date, a permit's validity), for the supervisor who approves the void."""
    item, _entry = _target(station, ref_seq)
    from counter.forms import spec as form_specs

    spec = form_specs.catalogue().specs.get(item.service)
    values = item.summary.get("values", {}) if isinstance(item.summary, dict) else {}
    if spec is None:
        return item.service, []
    return item.service, [(fid, str(values[fid])) for fid, f in spec.fields.items()
                          if not f.identity and values.get(fid) not in (None, "")]


def changes_shown(station, ref_seq: int, changes: dict[str, str | None]) -> list[tuple[str, str | None, str | None]]:
    """(field, old, new) of a correction, old from the person file: what the supervisor approves."""
    item, entry = _target(station, ref_seq)
    person = people.get(station, entry.data["person_id"])
    return [(k, getattr(person, k, None), v) for k, v in changes.items()]


def _record(station, kind, ref_entry, payload, clerk, supervisor, now):
    if supervisor is None or not getattr(supervisor, "is_supervisor", False):
        raise PermissionDenied("a supervisor's PIN is needed")
    d = ref_entry.data
    person = people.get(station, d["person_id"])
    moment = now or datetime.now(UTC)
    with write_transaction(station.db):
        day = station.business_day(moment)
        number = numbers.allocate(station, "A", day)
        full = {
            "person_id": d["person_id"], "name": person.name, "masked_id": mask(person.id_number),
            "ref_seq": ref_entry.seq, "ref_hash": ref_entry.hash, "ref_number": d.get("number"),
            "number": number, "numbers": [{"number": number, "kind": "A", "day_seq": numbers.parse_number(number).seq}],
            "supervisor_id": supervisor.clerk_id, **payload,
        }
        entry = station.record(kind, full, clerk_id=clerk.clerk_id if clerk else None, now=moment)
    from counter.services import documents

    return Amendment(entry, number, documents.from_entry(station, entry))


def void(station, ref_seq: int, reason: str, *, clerk=None, supervisor=None, now=None) -> Amendment:
    if not (reason or "").strip():
        raise ValidationError("give the reason for the void", field="reason")
    _item, ref_entry = _target(station, ref_seq)
    return _record(station, kinds.SERVICE_VOIDED, ref_entry, {"reason": reason.strip()}, clerk, supervisor, now)


def correct(station, ref_seq: int, changes: dict[str, str], reason: str, *, clerk=None, supervisor=None,
            now=None) -> Amendment:
    clean = check_correction(changes, reason)
    _item, ref_entry = _target(station, ref_seq)
    person = people.get(station, ref_entry.data["person_id"])
    previous = {k: getattr(person, k, None) for k in clean}
    if all(previous[k] == v for k, v in clean.items()):
        raise ValidationError("the corrected values are the ones on file; nothing changes", field=next(iter(clean)))
    return _record(station, kinds.SERVICE_CORRECTED, ref_entry,
                   {"changes": clean, "previous": previous, "reason": reason.strip()}, clerk, supervisor, now)


def check_correction(changes: dict[str, str], reason: str) -> dict[str, str | None]:
    """The checked changes, or FormInvalid/ValidationError (also run before the supervisor's PIN)."""
    if not (reason or "").strip():
        raise ValidationError("give the reason for the correction", field="reason")
    if not changes:
        raise ValidationError("nothing to correct", field="changes")
    clean: dict[str, str | None] = {}
    errors = {}
    for key, value in changes.items():
        check = CORRECTABLE.get(key)
        if check is None:
            raise ValidationError("{field} cannot be corrected here", field=key)
        try:
            clean[key] = check(value, field=key)
        except ValidationError as exc:
            errors[key] = exc
    if errors:
        raise FormInvalid(errors)
    return clean
