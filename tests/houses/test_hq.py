"""Houses, entities, reports and residence periods at HQ: the same projector in the district tables (SQLite
and PostgreSQL), the district-wide overdue list, rebuild with the same checksum, and a real HQ server on
loopback taking a station's sync."""

from __future__ import annotations

from datetime import timedelta

import pytest

from counter.hq.register import overdue as hq_overdue
from counter.hq.register import rebuild as hq_rebuild
from counter.services import engine, houses
from counter.services.reports import file_report
from tests.houses.conftest import EMPLOYER, LANDLORD, citizen_id, credit_code, row
from tests.register.helpers import new_station, push

JI = citizen_id("110105", "19900101", 21)
AYI = citizen_id("650102", "19950505", 22)
HOTEL_B = credit_code("91210102MA0QCB001")


def _setup(station, clerk, code: str, address: str, landlord_order: int) -> None:
    landlord = {**LANDLORD, "id_number": citizen_id("210202", "19700101", landlord_order)}
    pid = engine.perform(station, "lodging_registration", landlord, clerk=clerk).person_id
    houses.add_house(station, clerk.clerk_id, house_code=code, address=address, house_type="rental", capacity=3,
                     manager_ref=pid)


def test_two_stations_reports_make_one_district_overdue_list(store, tmp_path):
    a, ca = new_station(tmp_path, "HP-01", store)
    b, cb = new_station(tmp_path, "HP-02", store)
    _setup(a, ca, "HP-A001", "沈阳市和平区南京北街1号", 11)
    houses.add_entity(b, cb.clerk_id, entity_code=EMPLOYER, entity_type="employer", name="𠮷祥餐饮有限公司",
                      contact_name="阿依古丽·买买提", contact_phone="13800000000", address="沈阳市和平区中华路5号")
    houses.add_entity(b, cb.clerk_id, entity_code=HOTEL_B, entity_type="hotel", name="太原街宾馆",
                      contact_name="王", contact_phone="13800000001", address="沈阳市和平区太原街1号")
    today = engine.business_date(a)
    file_report(a, ca.clerk_id, reporter_kind="house", reporter_code="HP-A001", report_type="move_in",
                rows=[row(1, "𠮷永康", JI, today - timedelta(days=8), house_code="HP-A001")], today=today)
    file_report(b, cb.clerk_id, reporter_kind="entity", reporter_code=EMPLOYER, report_type="hired",
                rows=[row(1, "阿依古丽·买买提", AYI, today - timedelta(days=12), house_code=None),
                      row(2, "𠮷永康", JI, today - timedelta(days=9), house_code=None)], today=today)
    file_report(b, cb.clerk_id, reporter_kind="entity", reporter_code=HOTEL_B, report_type="guest_in",
                rows=[row(1, "阿依古丽·买买提", AYI, today - timedelta(days=7), house_code=None)], today=today)
    push(store, a)
    push(store, b)
    listed = hq_overdue.overdue(store)
    assert [(o["reporter_code"], o["late_rows"], o["name"]) for o in listed] == [
        (EMPLOYER, 2, "𠮷祥餐饮有限公司"), ("HP-A001", 1, "沈阳市和平区南京北街1号")]
    with store.transaction() as tx:
        periods = tx.all("SELECT person_id, house_code, entity_code, late, registration FROM residence_periods"
                         " WHERE started_via = 'report' ORDER BY house_code, entity_code")
        names = {r[0] for r in tx.all("SELECT name FROM persons")}
    assert len(periods) == 4 and {"𠮷永康", "阿依古丽·买买提"} <= names
    assert sorted(p[4] for p in periods) == ["institution", "residence", "residence", "residence"]
    # the same projector, whichever side: the station's rows equal HQ's for station A's house
    station_rows = a.db.conn.execute("SELECT house_code, address, capacity FROM houses").fetchall()
    with store.transaction() as tx:
        hq_rows = tx.all("SELECT house_code, address, capacity FROM houses WHERE house_code = 'HP-A001'")
    assert [tuple(r) for r in hq_rows] == [tuple(r) for r in station_rows]
    before = hq_rebuild.checksum(store)
    hq_rebuild.rebuild(store)
    assert hq_rebuild.checksum(store) == before
    a.close()
    b.close()


def test_a_departure_and_a_void_replay_at_hq(store, tmp_path):
    from counter.services import amendments, clerks

    a, ca = new_station(tmp_path, "HP-01", store)
    clerks.add_clerk(a, "主管乙", "supervisor", "4321")
    sup = clerks.authorize_supervisor(a, "主管乙", "4321", "test")
    person = {**LANDLORD, "id_number": AYI, "name": "阿依古丽·买买提", "sex": "F", "birth_date": "1995-05-05",
              "household_address": "乌鲁木齐市天山区"}
    reg = engine.perform(a, "residence_registration", person, clerk=ca)
    end = engine.perform(a, "registration_end", {"end_reason": "2", "end_date": "0"}, person_id=reg.person_id,
                         clerk=ca)
    push(store, a)
    with store.transaction() as tx:
        assert tx.one("SELECT end_reason FROM residence_periods WHERE period_id = ?", (reg.number,))[0] \
            == "left_district"
    amendments.void(a, end.entry.seq, "wrong person", clerk=ca, supervisor=sup)
    push(store, a)
    with store.transaction() as tx:
        assert tx.one("SELECT ended_on FROM residence_periods WHERE period_id = ?", (reg.number,))[0] is None
    a.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sync_to_a_real_hq_server_then_hq_overdue_on_the_command_line(hq_server, hq_url, hq_key_dir, tmp_path,
                                                                        backend):
    import json
    import shutil

    from counter.hq import admin
    from counter.hq.store import open_store
    from counter.services import clerks
    from counter.station import Station
    from tests.conftest import run_cli

    server = hq_server()
    st = Station.init(tmp_path / "st", "HP-09", "210102", "测试服务中心")
    shutil.copy(hq_key_dir / "hq.pub", st.data_dir / "keys" / "hq.pub")
    section = st.config.section("sync")
    section["hq_public_key"] = "keys/hq.pub"
    section["hq_url"] = server.url
    st.config.save()
    store = open_store(hq_url, admin.load_key(hq_key_dir))
    admin.enroll(store, st.station_id, st.key.public_pem())
    store.close()
    clerk = clerks.add_clerk(st, "柜员甲", "clerk", "1234")
    _setup(st, clerk, "HP-Z009", "沈阳市和平区八经街9号", 13)
    today = engine.business_date(st)
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code="HP-Z009", report_type="move_in",
                rows=[row(1, "𠮷永康", JI, today - timedelta(days=30), house_code=None)], today=today)
    st.close()
    pushed = run_cli("sync", "--once", "--data-dir", str(tmp_path / "st"))
    assert pushed.returncode == 0, pushed.stderr
    out = run_cli("hq", "overdue", "--db", hq_url, "--json")
    assert out.returncode == 0, out.stderr
    assert [(o["reporter_code"], o["late_rows"]) for o in json.loads(out.stdout)] == [("HP-Z009", 1)]
    bad = run_cli("hq", "overdue", "--db", hq_url, "--since", "yesterday")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
