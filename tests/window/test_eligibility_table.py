"""The eligibility refusals are one table (counter.domain.eligibility.REFUSALS): every row is reached,
names its source, and offers only the person's own registration."""

from __future__ import annotations

import dataclasses
import itertools

from counter.domain import eligibility as E
from counter.domain.policy import Policy, ServiceRefused

POLICIES = [dataclasses.replace(Policy(), permit_eligibility=line, hmt_permit=hmt)
            for line, hmt in itertools.product(("other_province", "other_county"), (True, False))]
SERVICES = (*E.REGISTRATIONS, *E.PERMIT_SERVICES)


def test_every_row_is_reached_and_names_its_source():
    reached = set()
    for policy, kind, service in itertools.product(POLICIES, E.ORIGINS, SERVICES):
        row = E.refusal_for(service, E.Origin(kind, "370102"), policy)
        if row is not None:
            reached.add(row)
    assert reached == set(E.REFUSALS)
    assert all(row.article and row.reason for row in E.REFUSALS)


def test_a_refusal_offers_the_persons_own_registration_and_never_the_refused_service():
    for policy, kind, service in itertools.product(POLICIES, E.ORIGINS, SERVICES):
        origin = E.Origin(kind, "370102")
        try:
            E.check_service(service, origin, policy)
        except ServiceRefused as refused:
            assert service not in refused.offers
            assert set(refused.offers) <= {E.registration_for(origin, policy)}
        else:
            assert E.refusal_for(service, origin, policy) is None


def test_the_liaoning_line_and_the_national_line():
    liaoning, national = (dataclasses.replace(Policy(), permit_eligibility=line)
                          for line in ("other_province", "other_county"))
    lodger = E.Origin(E.IN_PROVINCE, "211002")
    assert E.refusal_for("permit_apply", lodger, liaoning).reason == E.IN_PROVINCE_REASON
    assert E.refusal_for("permit_apply", lodger, national) is None
    assert E.refusal_for("lodging_registration", lodger, liaoning) is None
    assert E.refusal_for("lodging_registration", lodger, national).reason == E.IN_PROVINCE_REASON
