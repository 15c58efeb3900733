"""A station with a landlord, a house and entities of each kind, and helpers that make valid numbers."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import uscc

from counter.domain.citizen_id import check_character
from counter.services import clerks, engine, houses
from counter.services.reports import ReportRow
from counter.station import Station

DISTRICT = "210102"
HOUSE = "HP-0001"


def citizen_id(area: str, birth: str, order: int) -> str:
    first17 = f"{area}{birth}{order:03d}"
    return first17 + check_character(first17)


def credit_code(body: str) -> str:
    """A valid unified social credit code from 17 characters (stdnum computes the check character)."""
    return body + uscc.calc_check_digit(body)


EMPLOYER = credit_code("91210102MA0QC1234")
AGENCY = credit_code("91210102MA0QC5678")
HOTEL = credit_code("91210102MA0QC9012")
HOSPITAL = credit_code("12210102MB1234567")

LANDLORD = {"doc_type": "citizen_id", "id_number": citizen_id("210102", "19700101", 11), "name": "房东李",
            "sex": "M", "birth_date": "1970-01-01", "ethnicity": "01", "nationality": "CHN",
            "household_address": "沈阳市和平区", "current_address": "沈阳市和平区十一纬路1号",
            "arrival_date": "-2", "stay_reason": "1"}


def row(n: int, name: str, id_number: str, event: date, house_code: str | None = HOUSE, address=None):
    return ReportRow(n, "citizen_id", id_number, name, event, house_code, address)


@pytest.fixture
def station(tmp_path):
    st = Station.init(tmp_path / "station", "T-01", DISTRICT, "测试服务中心")
    yield st
    st.close()


@pytest.fixture
def clerk(station):
    return clerks.add_clerk(station, "柜员甲", "clerk", "1234")


@pytest.fixture
def landlord(station, clerk):
    # a local resident cannot register a residence here: the landlord comes onto the file from another county
    person = {**LANDLORD, "id_number": citizen_id("210202", "19700101", 11), "household_address": "大连市中山区"}
    out = engine.perform(station, "lodging_registration", person, clerk=clerk)
    return out.person_id


@pytest.fixture
def registers(station, clerk, landlord):
    houses.add_house(station, clerk.clerk_id, house_code=HOUSE, address="沈阳市和平区南京北街10号3单元201",
                     house_type="rental", capacity=4, manager_ref=landlord)
    for code, kind, name in ((EMPLOYER, "employer", "沈阳和平建筑有限公司"), (AGENCY, "housing_agency", "和平房屋中介"),
                             (HOTEL, "hotel", "南京街宾馆"), (HOSPITAL, "hospital", "和平区人民医院")):
        houses.add_entity(station, clerk.clerk_id, entity_code=code, entity_type=kind, name=name,
                          contact_name="联系人", contact_phone="024-23456789", address="沈阳市和平区中华路5号")
    return station
