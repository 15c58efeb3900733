"""A file adopted from HQ brings the residence periods that reports at another station started, not only
those of window registrations: HQ cites the `residence.started` entries (real ingest, SQLite and PostgreSQL)
and the adopting window replays them."""

from __future__ import annotations

from datetime import timedelta

from counter.hq.register import lookup as hq_lookup
from counter.services import clerks, engine, houses, register, reports
from tests.houses.conftest import HOUSE, LANDLORD, citizen_id, row
from tests.register.helpers import YOSHIDA, new_station, push, service


def test_an_adopted_file_brings_the_periods_a_report_started(store, tmp_path):
    a, clerk_a = new_station(tmp_path, "HP-01", store)
    landlord = {**LANDLORD, "id_number": citizen_id("210202", "19700101", 11), "household_address": "大连市中山区"}
    manager = service(a, "lodging_registration", clerk_a, landlord).person_id
    houses.add_house(a, clerk_a.clerk_id, house_code=HOUSE, address="沈阳市和平区南京北街10号3单元201",
                     house_type="rental", capacity=4, manager_ref=manager)
    pid = service(a, "residence_registration", clerk_a, {**YOSHIDA, "arrival_date": "-10"}).person_id
    moved = engine.business_date(a) - timedelta(days=2)
    reports.file_report(a, clerk_a.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                        rows=[row(1, YOSHIDA["name"], YOSHIDA["id_number"], moved)])
    at_a = [(p.started_via, p.started_on, p.ended_on) for p in houses.periods(a, pid)]
    assert len(at_a) == 2 and {v for v, _s, _e in at_a} == {"window", "report"}
    assert push(store, a) is not None

    b, clerk_b = new_station(tmp_path, "HP-02", store)
    file = hq_lookup.open_person(store, "HP-02", clerk_b.clerk_id, pid)
    assert "residence.started" in {e["kind"] for e in file["entries"]}
    remote = register.RemoteFile(pid, file["person"], file["registrations"], file["permits"], file["entries"])
    assert register.adopt(b, clerks.Session("s-b", clerk_b), remote) == pid
    # the same periods as at A: the window's, ended by the report's move-in, and the report's, open
    assert sorted((p.started_via, p.started_on, p.ended_on) for p in houses.periods(b, pid)) == sorted(at_a)
    report_period = next(p for p in houses.periods(b, pid) if p.started_via == "report")
    assert report_period.house_code == HOUSE and report_period.started_on == moved.isoformat()
    a.close()
    b.close()
