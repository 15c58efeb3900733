"""Who gets which registration, and who may apply for a residence permit (DOMAIN.md, "eligibility").

Pure rules: the person's origin comes from the citizen ID number's area code against the station's
district, or from the document and nationality for people without a mainland household registration.
Which line the permit draws (other province, Liaoning art. 10; other county, the national Interim
Regulations art. 2) and whether HMT residents may apply are policy values, not code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from counter.domain.language import N_
from counter.domain.policy import Policy, ServiceRefused, months_between

LOCAL = "local"                    # household registered in this district (art. 8)
IN_PROVINCE = "in_province"        # another district of this province (寄住人口, art. 9)
OTHER_PROVINCE = "other_province"  # the floating population (流动人口, art. 10)
FOREIGNER = "foreigner"            # 境外人员 (art. 25: national law)
HMT = "hmt"                        # residents of Hong Kong, Macao and Taiwan
UNKNOWN = "unknown"                # a Chinese citizen filed without a citizen ID number

ORIGINS = (LOCAL, IN_PROVINCE, OTHER_PROVINCE, FOREIGNER, HMT, UNKNOWN)

HMT_AREA_PREFIXES = ("81", "82", "83")  # the HMT residence permit's number: 810000, 820000, 830000
HMT_NATIONALITIES = ("HKG", "MAC", "TWN")

REGISTRATIONS = ("residence_registration", "lodging_registration", "accommodation_registration")
PERMIT_SERVICES = ("permit_apply",)


@dataclass(frozen=True)
class Origin:
    kind: str
    area_code: str | None = None  # the household area, where the ID number gives one


def origin_of(doc_type: str | None, id_number: str | None, nationality: str | None, district: str) -> Origin:
    """The person's origin seen from the station's district (a 6-digit GB/T 2260 code)."""
    number = (id_number or "").upper()
    nat = (nationality or "").upper()
    if (doc_type or "citizen_id") == "citizen_id" and len(number) == 18 and number[:6].isdigit():
        area = number[:6]
        if area[:2] in HMT_AREA_PREFIXES:
            return Origin(HMT, area)
        if area == district:
            return Origin(LOCAL, area)
        if area[:2] == district[:2]:
            return Origin(IN_PROVINCE, area)
        return Origin(OTHER_PROVINCE, area)
    if nat in HMT_NATIONALITIES:
        return Origin(HMT)
    if nat and nat != "CHN":
        return Origin(FOREIGNER)
    return Origin(UNKNOWN)


def registration_for(origin: Origin, policy: Policy) -> str | None:
    """The one registration the person makes here, or None (a local resident)."""
    kind = origin.kind
    if kind == LOCAL:
        return None
    if kind in (FOREIGNER, HMT):
        return "accommodation_registration"
    if kind == IN_PROVINCE and policy.permit_eligibility == "other_province":
        return "lodging_registration"  # art. 9: 寄住登记 within the province
    return "residence_registration"


# --- the reasons, one per refusal (their zh_CN text is in the catalog) --------------------------

LOCAL_REASON = N_("the household registration ({area}) is in this district: there is nothing to register here;"
                  " household matters go to the household police station (art. 8)")
IN_PROVINCE_REASON = N_("the household registration ({area}) is in this province: a lodging registration (寄住登记),"
                        " not a residence permit (art. 9, 10)")
OTHER_PROVINCE_REASON = N_("the household registration ({area}) is in another province: a residence registration"
                           " (art. 10)")
FOREIGNER_REASON = N_("a foreigner registers the accommodation within {hours} hours (Exit and Entry Administration"
                      " Law art. 39) and is not issued a residence permit (art. 25)")
HMT_REASON = N_("a resident of Hong Kong, Macao or Taiwan registers the accommodation; the residence permit is not"
                " offered at this station (policy hmt_permit)")
HMT_REGISTRATION_REASON = N_("a resident of Hong Kong, Macao or Taiwan registers the accommodation")
UNKNOWN_REASON = N_("the household registration is read from the citizen ID number: file the person with the"
                    " resident ID card to apply for a permit")


def _refuse(template: str, offers: tuple[str, ...], **params) -> None:
    raise ServiceRefused(template, offers=offers, **params)


# --- the refusals as a table ----------------------------------------------------------------------
# When does a row refuse: each condition sees the service asked for, the person's origin and the policy.

def _always(service: str, origin: Origin, policy: Policy) -> bool:
    return True


def _not_their_registration(service: str, origin: Origin, policy: Policy) -> bool:
    return service != registration_for(origin, policy)


def _not_accommodation(service: str, origin: Origin, policy: Policy) -> bool:
    return service != "accommodation_registration"


def _no_hmt_permit(service: str, origin: Origin, policy: Policy) -> bool:
    return not policy.hmt_permit


def _permit_for_other_provinces_only(service: str, origin: Origin, policy: Policy) -> bool:
    return policy.permit_eligibility == "other_province"


class Refusal(NamedTuple):
    """One row: `services` asked for by a person of `origin` are refused when `when` holds, with
    `reason`, offering their own registration when `offer_theirs`; `article` is the rule's source."""

    services: tuple[str, ...]
    origin: str
    when: Callable[[str, Origin, Policy], bool]
    reason: str
    offer_theirs: bool
    article: str


REFUSALS: tuple[Refusal, ...] = (
    # registrations: each person makes the one registration that is theirs
    Refusal(REGISTRATIONS, LOCAL, _always, LOCAL_REASON, False, "art. 8"),
    Refusal(REGISTRATIONS, FOREIGNER, _not_accommodation, FOREIGNER_REASON, True,
            "Exit and Entry Administration Law art. 39; art. 25"),
    Refusal(REGISTRATIONS, HMT, _not_accommodation, HMT_REGISTRATION_REASON, True, "art. 25"),
    Refusal(REGISTRATIONS, IN_PROVINCE, _not_their_registration, IN_PROVINCE_REASON, True, "art. 9, 10"),
    Refusal(REGISTRATIONS, OTHER_PROVINCE, _not_their_registration, OTHER_PROVINCE_REASON, True, "art. 10"),
    # origin unknown: the clerk picks residence or lodging registration; the permit asks for the ID card
    Refusal(("accommodation_registration",), UNKNOWN, _always, OTHER_PROVINCE_REASON, True, "art. 10"),
    # the residence permit
    Refusal(PERMIT_SERVICES, LOCAL, _always, LOCAL_REASON, False, "art. 8"),
    Refusal(PERMIT_SERVICES, FOREIGNER, _always, FOREIGNER_REASON, True,
            "Exit and Entry Administration Law art. 39; art. 25"),
    Refusal(PERMIT_SERVICES, HMT, _no_hmt_permit, HMT_REASON, True, "policy hmt_permit"),
    Refusal(PERMIT_SERVICES, UNKNOWN, _always, UNKNOWN_REASON, False, "art. 12"),
    Refusal(PERMIT_SERVICES, IN_PROVINCE, _permit_for_other_provinces_only, IN_PROVINCE_REASON, True,
            "art. 9, 10 (policy permit_eligibility)"),
)


def refusal_for(service: str, origin: Origin, policy: Policy) -> Refusal | None:
    """The first row of REFUSALS that refuses this service to this person, or None."""
    for row in REFUSALS:
        if service in row.services and origin.kind == row.origin and row.when(service, origin, policy):
            return row
    return None


def check_service(service: str, origin: Origin, policy: Policy) -> None:
    """Refuse a registration or permit this person cannot have, offering the right service."""
    row = refusal_for(service, origin, policy)
    if row is None:
        return
    theirs = registration_for(origin, policy)
    offers = (theirs,) if row.offer_theirs and theirs else ()
    _refuse(row.reason, offers, area=origin.area_code or "", hours=policy.foreigner_registration_hours)


def permit_min_residence_months(origin: Origin, policy: Policy) -> int:
    """Months of registered residence before a permit application, for this person under this policy."""
    if origin.kind == HMT:
        return policy.hmt_min_residence_months
    if policy.permit_eligibility == "other_county":
        return max(policy.min_residence_months, policy.other_county_min_residence_months)
    return policy.min_residence_months


def check_permit_residence(origin: Origin, resident_since: date | None, today: date, policy: Policy) -> None:
    """The minimum registered residence before applying (0 under the Liaoning default)."""
    months = permit_min_residence_months(origin, policy)
    if months <= 0:
        return
    if resident_since is None:
        _refuse(N_("register residence first: a permit needs {months} months of registered residence"),
                (registration_for(origin, policy),) if registration_for(origin, policy) else (), months=months)
    if months_between(resident_since, today) < months:
        _refuse(N_("a permit needs {months} months of registered residence; resident since {date}"), (),
                months=months, date=resident_since.isoformat())


def hours_late(arrived_at, registered_at, deadline_hours: int) -> int:
    """Whole hours past the deadline (0 when on time): late is flagged, never refused."""
    over = (registered_at - arrived_at).total_seconds() - deadline_hours * 3600
    return max(0, int(-(-over // 3600))) if over > 0 else 0
