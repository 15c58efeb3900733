"""Station policy and the rules it drives: deadlines, permit validity, extension, collection, eligibility.

Every number here comes from the [policy] section of station.toml with DOMAIN.md's defaults.
Public holidays are not known to the rules unless [policy] holidays lists them (ISO dates);
weekends are always skipped when counting working days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from counter.errors import ValidationError


@dataclass(frozen=True)
class Policy:
    registration_deadline_days: int = 7
    change_deadline_days: int = 7
    report_deadline_days: int = 7  # art. 14
    report_correction_days: int = 15  # art. 22 leaves the limit open: the district's choice
    permit_validity_years: tuple[int, ...] = (1, 2, 3)
    extension_window_days: int = 30
    collection_working_days: int = 15
    min_residence_months: int = 0
    accepted_proofs: tuple[str, ...] = ("rental_contract", "property_certificate", "employer_certificate",
                                        "school_certificate")
    permit_optional_under_age: int = 16
    fee: str = "0.00"
    holidays: frozenset[date] = field(default_factory=frozenset)
    # Statistics (seeds 000, 001, 003): what the forms offer and require, and how figures are published.
    occupations: tuple[str, ...] = ("A", "C", "E", "F", "G", "H", "I", "O", "P", "Q", "R")
    required_items: tuple[str, ...] = ()
    stats_min_cell: int = 5
    stats_age_bands: tuple[int, ...] = (20, 30, 50, 60)
    expiry_notice_days: int = 30
    permit_eligibility: str = "other_province"
    other_county_min_residence_months: int = 6
    foreigner_registration_hours: int = 24
    hmt_permit: bool = False
    hmt_min_residence_months: int = 6

    @classmethod
    def from_config(cls, section: Mapping) -> Policy:
        return cls(
            registration_deadline_days=section["registration_deadline_days"],
            change_deadline_days=section["change_deadline_days"],
            report_deadline_days=section.get("report_deadline_days", cls.report_deadline_days),
            report_correction_days=section.get("report_correction_days", cls.report_correction_days),
            permit_validity_years=tuple(section["permit_validity_years"]),
            extension_window_days=section["extension_window_days"],
            collection_working_days=section["collection_working_days"],
            min_residence_months=section["min_residence_months"],
            accepted_proofs=tuple(section["accepted_proofs"]),
            permit_optional_under_age=section["permit_optional_under_age"],
            fee=section["fee"],
            holidays=frozenset(date.fromisoformat(d) for d in section.get("holidays", [])),
            occupations=tuple(section.get("occupations", cls.occupations)),
            required_items=tuple(section.get("required_items", ())),
            stats_min_cell=section.get("stats_min_cell", cls.stats_min_cell),
            stats_age_bands=tuple(sorted(section.get("stats_age_bands", cls.stats_age_bands))),
            expiry_notice_days=section.get("expiry_notice_days", cls.expiry_notice_days),
            permit_eligibility=section.get("permit_eligibility", "other_province"),
            other_county_min_residence_months=section.get("other_county_min_residence_months", 6),
            foreigner_registration_hours=section.get("foreigner_registration_hours", 24),
            hmt_permit=section.get("hmt_permit", False),
            hmt_min_residence_months=section.get("hmt_min_residence_months", 6),
        )

    @property
    def free(self) -> bool:
        return self.fee in ("0", "0.00", "")


# --- deadlines: late is flagged, never refused ---------------------------------------------


@dataclass(frozen=True)
class Timeliness:
    event_date: date
    deadline: date
    days_late: int

    @property
    def late(self) -> bool:
        return self.days_late > 0


def timeliness(event_date: date, on: date, deadline_days: int) -> Timeliness:
    """Registered within N days of the event: day N is on time, day N+1 is late (and still accepted)."""
    deadline = event_date + timedelta(days=deadline_days)
    return Timeliness(event_date, deadline, max(0, (on - deadline).days))


# --- permit validity and extension ---------------------------------------------------------


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap target year
        return day.replace(year=day.year + years, day=28)


def check_validity_years(years: int, policy: Policy, field: str = "validity_years") -> int:
    if years not in policy.permit_validity_years:
        raise ValidationError("validity must be one of {choices} years", field=field,
                              choices=", ".join(str(y) for y in policy.permit_validity_years))
    return years


def permit_valid_until(valid_from: date, years: int) -> date:
    """A permit valid for N years from D ends the day before D's anniversary."""
    return add_years(valid_from, years) - timedelta(days=1)


def extension_opens(valid_until: date, policy: Policy) -> date:
    return valid_until - timedelta(days=policy.extension_window_days)


def check_extension(valid_until: date, today: date, policy: Policy, field: str = "permit") -> None:
    """Extend from N days before expiry up to the expiry day; after that it is a new application."""
    if today > valid_until:
        raise ValidationError("the permit expired on {date}; make a new application instead", field=field,
                              date=valid_until.isoformat())
    opens = extension_opens(valid_until, policy)
    if today < opens:
        raise ValidationError("extension opens on {date}, {days} days before the permit expires", field=field,
                              date=opens.isoformat(), days=policy.extension_window_days)


def extended_until(valid_until: date, years: int) -> date:
    return add_years(valid_until, years)


# --- collection date: N working days after acceptance --------------------------------------


def is_working_day(day: date, holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in set(holidays)


def collection_date(accepted: date, policy: Policy) -> date:
    """The N-th working day after the acceptance day (weekends and listed holidays skipped)."""
    day, left = accepted, policy.collection_working_days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, policy.holidays):
            left -= 1
    return day


# --- eligibility ----------------------------------------------------------------------------


def months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(0, months)


def check_residence_length(resident_since: date | None, today: date, policy: Policy,
                           field: str = "resident_since") -> None:
    if policy.min_residence_months <= 0:
        return
    if resident_since is None:
        raise ValidationError("register residence first: a permit needs {months} months of registered residence",
                              field=field, months=policy.min_residence_months)
    have = months_between(resident_since, today)
    if have < policy.min_residence_months:
        raise ValidationError("a permit needs {months} months of registered residence; resident since {date}",
                              field=field, months=policy.min_residence_months, date=resident_since.isoformat())


def check_proof(proof: str, policy: Policy, field: str = "proof") -> str:
    if proof not in policy.accepted_proofs:
        raise ValidationError("{proof} is not an accepted proof of residence here", field=field, proof=proof)
    return proof


def permit_optional(age: int, is_student: bool, policy: Policy) -> bool:
    """Under-16s and students need not apply, but may (art. 10)."""
    return age < policy.permit_optional_under_age or is_student


# --- duplicates -----------------------------------------------------------------------------

OPEN_PERMIT_STATES = ("accepted", "issued")


class ServiceRefused(ValidationError):
    """A service this person cannot have, whatever the form says; `offers` are the services to use
    instead (none for a local resident, who has nothing to register)."""

    def __init__(self, template: str, offers: tuple[str, ...] = (), field: str = "service", **params):
        super().__init__(template, field=field, **params)
        self.offers = offers


class DuplicatePermit(ServiceRefused):
    """An open permit blocks a second application."""

    def __init__(self, number: str, offers: tuple[str, ...] = ("permit_extend", "permit_change")):
        super().__init__("this person already holds permit {number}; extend or change it instead",
                         offers=offers, field="permit", number=number)


def permit_is_open(status: str, valid_until: date | None, today: date) -> bool:
    if status not in OPEN_PERMIT_STATES:
        return False
    return valid_until is None or valid_until >= today


def check_no_open_permit(permits: Iterable[tuple[str, str, date | None]], today: date) -> None:
    """permits: (number, status, valid_until) of the person's permits."""
    for number, status, valid_until in permits:
        if permit_is_open(status, valid_until, today):
            raise DuplicatePermit(number)
