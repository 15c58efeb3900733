"""Departure at the window (registration_end), periods from the window's own registrations, and voids."""

from __future__ import annotations

from datetime import timedelta

import pytest

from counter.errors import ValidationError
from counter.services import amendments, clerks, engine, houses, people
from counter.services.reports import file_report
from db.rebuild import checksum, rebuild
from tests.houses.conftest import HOUSE, citizen_id, row

AYI = {"doc_type": "citizen_id", "id_number": citizen_id("650102", "19950505", 22), "name": "阿依古丽·买买提",
       "sex": "F", "birth_date": "1995-05-05", "ethnicity": "05", "nationality": "CHN",
       "household_address": "乌鲁木齐市天山区", "current_address": "沈阳市和平区太原街8号",
       "arrival_date": "-3", "stay_reason": "1"}


@pytest.fixture
def supervisor(station):
    clerks.add_clerk(station, "主管乙", "supervisor", "4321")
    return clerks.authorize_supervisor(station, "主管乙", "4321", "test")


def test_window_registration_move_and_departure_make_the_history(station, clerk):
    reg = engine.perform(station, "residence_registration", AYI, clerk=clerk)
    pid = reg.person_id
    (p,) = houses.periods(station, pid)
    assert (p.period_id, p.address, p.started_via, p.registration) == (reg.number, "沈阳市和平区太原街8号", "window",
                                                                       "residence")
    today = engine.business_date(station)
    move = engine.perform(station, "change_address", {"new_address": "沈阳市和平区中山路9号", "change_date": "-1"},
                          person_id=pid, clerk=clerk)
    new, old = houses.periods(station, pid)
    assert old.ended_on == (today - timedelta(days=1)).isoformat() and old.end_reason == "superseded"
    assert new.period_id == move.number and new.current and new.address == "沈阳市和平区中山路9号"
    out = engine.perform(station, "registration_end", {"end_reason": "2", "end_date": "0"}, person_id=pid,
                         clerk=clerk)
    assert out.document is not None  # the receipt, through the same path as every service
    assert all(not p.current for p in houses.periods(station, pid))
    assert houses.periods(station, pid)[0].end_reason == "left_district"
    person = people.get(station, pid)
    assert person.registration_number is None and person.resident_since is None
    with pytest.raises(ValidationError, match="no current registration"):
        engine.precheck(station, "registration_end", person)
    with pytest.raises(ValidationError, match="no current residence registration"):
        engine.perform(station, "residence_certificate", {}, person_id=pid, clerk=clerk)
    before = checksum(station.db)
    rebuild(station.db)
    assert checksum(station.db) == before


def test_a_departure_before_the_arrival_is_refused(station, clerk):
    reg = engine.perform(station, "residence_registration", AYI, clerk=clerk)
    with pytest.raises(ValidationError, match="before the registration began"):
        engine.perform(station, "registration_end", {"end_reason": "1", "end_date": "-5"}, person_id=reg.person_id,
                       clerk=clerk)


def test_voiding_a_departure_reopens_the_registration(station, clerk, supervisor):
    reg = engine.perform(station, "residence_registration", AYI, clerk=clerk)
    out = engine.perform(station, "registration_end", {"end_reason": "1", "end_date": "0"}, person_id=reg.person_id,
                         clerk=clerk)
    amendments.void(station, out.entry.seq, "wrong person", clerk=clerk, supervisor=supervisor)
    (p,) = houses.periods(station, reg.person_id)
    assert p.current and p.end_reason is None
    assert people.get(station, reg.person_id).registration_number == reg.number
    before = checksum(station.db)
    rebuild(station.db)
    assert checksum(station.db) == before


def test_a_landlords_move_out_ends_a_window_registration_at_the_house(registers, clerk):
    st = registers
    reg = engine.perform(st, "residence_registration", {**AYI, "current_address": "沈阳市和平区南京北街10号3单元201"}, clerk=clerk)
    (p,) = houses.periods(st, reg.person_id)
    assert p.house_code == HOUSE
    today = engine.business_date(st)
    file_report(st, None, reporter_kind="house", reporter_code=HOUSE, report_type="move_out",
                rows=[row(1, AYI["name"], AYI["id_number"], today)], today=today)
    (p,) = houses.periods(st, reg.person_id)
    assert p.ended_on == today.isoformat() and p.end_reason == "report_move_out"


def test_a_departure_counts_as_outflow_in_the_statistics_on_its_day(station, clerk):
    from counter import stats

    reg = engine.perform(station, "residence_registration", AYI, clerk=clerk)
    engine.perform(station, "registration_end", {"end_reason": "1", "end_date": "-1"}, person_id=reg.person_id,
                   clerk=clerk)
    tx = stats.station_facts(station)
    today = engine.business_date(station)
    (ended,) = tx.one("SELECT ended FROM stat_facts WHERE person_id = ?", (reg.person_id,))
    assert ended == (today - timedelta(days=1)).isoformat()
    flows = stats.flow_counts(tx, "month", today - timedelta(days=40), today)
    assert sum(f.outflow for f in flows) == 1


def test_a_landlords_move_out_ends_the_registration_in_the_statistics_and_a_return_is_a_new_inflow(registers,
                                                                                                      clerk):
    from counter import stats

    st = registers
    at_house = {**AYI, "current_address": "沈阳市和平区南京北街10号3单元201", "arrival_date": "-20"}
    reg = engine.perform(st, "residence_registration", at_house, clerk=clerk)
    today = engine.business_date(st)
    file_report(st, None, reporter_kind="house", reporter_code=HOUSE, report_type="move_out",
                rows=[row(1, AYI["name"], AYI["id_number"], today - timedelta(days=10))], today=today)
    tx = stats.station_facts(st)
    mine = "SELECT reg_seq, ended FROM stat_facts WHERE person_id = ?"
    assert tx.all(mine, (reg.person_id,)) == [
        (reg.entry.seq, (today - timedelta(days=10)).isoformat())]
    back = engine.perform(st, "residence_registration", {**at_house, "arrival_date": "-2"}, person_id=reg.person_id,
                          clerk=clerk)
    tx = stats.station_facts(st)
    assert sorted(tx.all(mine, (reg.person_id,))) == [
        (reg.entry.seq, (today - timedelta(days=10)).isoformat()), (back.entry.seq, None)]
    others = tx.all("SELECT COUNT(*) FROM stat_facts WHERE person_id != ? AND started >= ?",
                    (reg.person_id, (today - timedelta(days=30)).isoformat()))[0][0]
    flows = stats.flow_counts(tx, "week", today - timedelta(days=30), today)
    assert (sum(f.inflow for f in flows), sum(f.outflow for f in flows)) == (2 + others, 1)
