"""Houses, reporting entities and their reports: the rules of art. 11, 14 and 22 (pure).

- art. 14: landlords, housing and job agencies and employers report their tenants' and employees'
  data within 7 days (`report_deadline_days` in templates/policy/default.toml); a later report is
  accepted and flagged late.
- art. 11: hotels, hospitals, schools and training centres and shelters register their guests,
  patients and boarders; registration only, no permit is issued.
- art. 22: a late report is ordered corrected within a time limit (限期改正): the overdue list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from counter.domain.policy import timeliness
from counter.errors import ValidationError

HOUSE_TYPES = ("rental", "dormitory", "work_site", "own", "other")
ENTITY_TYPES = ("employer", "job_agency", "housing_agency", "hotel", "hospital", "school", "shelter")
INSTITUTIONS = ("hotel", "hospital", "school", "shelter")  # art. 11: registration only
REPORTER_KINDS = ("house", "entity")

# What each kind of reporter reports (art. 11, 14).
REPORT_TYPES_OF = {
    "house": ("move_in", "move_out"),
    "housing_agency": ("move_in", "move_out"),
    "employer": ("hired", "left"),
    "job_agency": ("hired", "left"),
    **{t: ("guest_in", "guest_out") for t in INSTITUTIONS},
}
REPORT_TYPES = ("move_in", "move_out", "hired", "left", "guest_in", "guest_out")
STARTS = ("move_in", "hired", "guest_in")
# the residence.ended reason a report of this type gives
END_REASONS = {"move_out": "report_move_out", "left": "report_left", "guest_out": "report_left"}
WINDOW_END_REASONS = ("moved_away", "left_district")

_HOUSE_CODE = re.compile(r"^[0-9A-Z][0-9A-Z-]{3,31}$")


def check_house_code(text: str) -> str:
    """A house code as stored: upper case letters, digits and -, 4 to 32 characters."""
    code = "".join((text or "").split()).upper()
    if not _HOUSE_CODE.match(code):
        raise ValidationError("a house code has 4 to 32 letters, digits or -; got {code!r}", field="house_code",
                              code=text)
    return code


def check_uscc(text: str) -> str:
    """A unified social credit code (GB 32100-2015), its check character verified (python-stdnum)."""
    from stdnum.cn import uscc
    from stdnum.exceptions import InvalidChecksum
    from stdnum.exceptions import ValidationError as StdnumError

    code = "".join((text or "").split()).upper()
    try:
        return uscc.validate(code)
    except InvalidChecksum:
        raise ValidationError("the credit code {code} has a wrong check character: a character was mistyped",
                              field="entity_code", code=code) from None
    except StdnumError:
        raise ValidationError("{code} is not a unified social credit code (18 characters, GB 32100)",
                              field="entity_code", code=code) from None


def check_choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise ValidationError("{name} is {value!r}; it must be one of {allowed}", field=field, name=field,
                              value=value, allowed=", ".join(allowed))
    return value


def report_types_for(reporter_kind: str, entity_type: str | None) -> tuple[str, ...]:
    """The report types a reporter may file: a house's landlord reports tenants, an employer hires..."""
    return REPORT_TYPES_OF["house" if reporter_kind == "house" else entity_type or ""]


def check_report_type(reporter_kind: str, entity_type: str | None, report_type: str) -> str:
    allowed = report_types_for(reporter_kind, entity_type)
    if report_type not in allowed:
        if reporter_kind == "house":
            raise ValidationError("a house files {allowed} reports, not {type}", field="report_type",
                                  allowed=" / ".join(allowed), type=report_type)
        raise ValidationError("an entity of type {entity_type} files {allowed} reports, not {type}",
                              field="report_type", entity_type=entity_type, allowed=" / ".join(allowed),
                              type=report_type)
    return report_type


def registration_of(report_type: str, in_province: bool) -> str:
    """The registration a report starts: institution (art. 11, no permit), lodging for an in-province
    person (art. 9), residence otherwise (art. 10)."""
    if report_type == "guest_in":
        return "institution"
    return "lodging" if in_province else "residence"


@dataclass(frozen=True)
class Lateness:
    deadline: date
    days_late: int

    @property
    def late(self) -> bool:
        return self.days_late > 0


def report_lateness(event_date: date, filed_on: date, deadline_days: int) -> Lateness:
    """art. 14: filed within `deadline_days` of the event is on time (day 7 on time, day 8 late)."""
    t = timeliness(event_date, filed_on, deadline_days)
    return Lateness(t.deadline, t.days_late)


def check_event_date(event_date: date, filed_on: date) -> None:
    if event_date > filed_on:
        raise ValidationError("the event date {date} is after the day of the report", field="event_date",
                              date=event_date.isoformat())
