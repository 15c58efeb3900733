"""A landlord's or employer's report opens and closes a statistics period like a window registration and
departure do (counter/stats.py folds residence.started through the same `_registration`), at the station
and at HQ; an institution's guest keeps their home and opens none."""

from __future__ import annotations

from datetime import timedelta

from counter import stats as S
from counter.hq import admin
from counter.hq import stats as hq_stats
from counter.services import engine
from counter.services.reports import file_report
from tests.houses.conftest import EMPLOYER, HOTEL, HOUSE, citizen_id, row
from tests.stats.district import ingest_all

JI = citizen_id("110105", "19900101", 21)  # another province: a residence registration
AYI = citizen_id("650102", "19950505", 22)
FACTS = "SELECT kind, started, ended, origin, sex FROM stat_facts ORDER BY started, person_id"


def test_a_move_in_and_a_hire_are_inflow_and_a_move_out_outflow_at_the_station_and_hq(registers, clerk, store):
    st = registers
    today = engine.business_date(st)
    came, hired, left = today - timedelta(days=20), today - timedelta(days=15), today - timedelta(days=5)
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                rows=[row(1, "𠮷永康", JI, came)], today=today)
    file_report(st, clerk.clerk_id, reporter_kind="entity", reporter_code=EMPLOYER, report_type="hired",
                rows=[row(1, "阿依古丽·买买提", AYI, hired, house_code=None)], today=today)
    tx = S.station_facts(st)
    # the registers fixture's landlord came from another city and registered at the window two days back
    landlord = ("lodging", (today - timedelta(days=2)).isoformat(), None, "other_city", "M")
    assert tx.all(FACTS) == [("residence", came.isoformat(), None, "other_province", "M"),
                             ("residence", hired.isoformat(), None, "other_province", "F"), landlord]
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_out",
                rows=[row(1, "𠮷永康", JI, left)], today=today)
    tx = S.station_facts(st)
    assert tx.all(FACTS) == [("residence", came.isoformat(), left.isoformat(), "other_province", "M"),
                             ("residence", hired.isoformat(), None, "other_province", "F"), landlord]
    start = today - timedelta(days=40)
    flows = S.flow_counts(tx, "month", start, today)
    assert (sum(f.inflow for f in flows), sum(f.outflow for f in flows)) == (3, 1)
    edges = hq_stats.default_policy().stats_age_bands
    assert S.count(tx, ["sex"], today, today, edges) == {("F",): 1, ("M",): 1}  # 𠮷永康 moved out

    admin.enroll(store, st.station_id, st.key.public_pem())
    ingest_all(store, st)
    hq_stats.refresh(store)
    with store.transaction() as hq:
        assert hq.all(FACTS) == tx.all(FACTS)
        assert S.flow_table_counts(hq, "month", start, today) == S.flow_table_counts(tx, "month", start, today)


def test_a_hotel_guest_opens_no_period(registers, clerk):
    st = registers
    today = engine.business_date(st)
    before = S.station_facts(st).all(FACTS)
    file_report(st, clerk.clerk_id, reporter_kind="entity", reporter_code=HOTEL, report_type="guest_in",
                rows=[row(1, "阿依古丽·买买提", AYI, today - timedelta(days=1), house_code=None)], today=today)
    assert S.station_facts(st).all(FACTS) == before


def test_a_residents_hotel_stay_ending_leaves_their_home_period_open_at_the_station_and_hq(registers, clerk, store):
    st = registers
    today = engine.business_date(st)
    came = today - timedelta(days=20)
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                rows=[row(1, "𠮷永康", JI, came)], today=today)
    home = S.station_facts(st).all(FACTS)
    for kind, day in (("guest_in", today - timedelta(days=3)), ("guest_out", today - timedelta(days=1))):
        file_report(st, clerk.clerk_id, reporter_kind="entity", reporter_code=HOTEL, report_type=kind,
                    rows=[row(1, "𠮷永康", JI, day, house_code=None)], today=today)
    tx = S.station_facts(st)
    assert tx.all(FACTS) == home and ("residence", came.isoformat(), None, "other_province", "M") in home
    admin.enroll(store, st.station_id, st.key.public_pem())
    ingest_all(store, st)
    hq_stats.refresh(store)
    with store.transaction() as hq:
        assert hq.all(FACTS) == home



def test_voiding_a_departure_takes_its_outflow_back_at_the_station_and_hq(registers, clerk, store):
    from counter.services import amendments, clerks, houses, people

    st = registers
    clerks.add_clerk(st, "主管乙", "supervisor", "4321")
    supervisor = clerks.authorize_supervisor(st, "主管乙", "4321", "test")
    today = engine.business_date(st)
    came = today - timedelta(days=20)
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                rows=[row(1, "𠮷永康", JI, came)], today=today)
    pid = people.by_document(st, "citizen_id", JI).person_id
    out = engine.perform(st, "registration_end", {"end_reason": "1", "end_date": "-3"}, person_id=pid, clerk=clerk)
    mine = "SELECT started, ended, ended_seq FROM stat_facts WHERE person_id = ?"
    assert S.station_facts(st).all(mine, (pid,)) == [(came.isoformat(), (today - timedelta(days=3)).isoformat(),
                                                      out.entry.seq)]
    admin.enroll(store, st.station_id, st.key.public_pem())
    ingest_all(store, st)
    amendments.void(st, out.entry.seq, "wrong person", clerk=clerk, supervisor=supervisor)
    tx = S.station_facts(st)
    assert tx.all(mine, (pid,)) == [(came.isoformat(), None, None)]
    start = today - timedelta(days=40)
    assert sum(f.outflow for f in S.flow_counts(tx, "month", start, today)) == 0
    (p,) = houses.periods(st, pid)
    assert p.current and p.house_code == HOUSE
    hq_stats.refresh(store)  # the departure folded at HQ, then its void
    ingest_all(store, st)
    hq_stats.refresh(store)
    with store.transaction() as hq:
        assert hq.all(mine, (pid,)) == [(came.isoformat(), None, None)]
        assert hq.all("SELECT ended_on FROM residence_periods WHERE person_id = ?", (pid,)) == [(None,)]


def test_an_hq_that_folded_reports_before_they_counted_folds_them_again_on_upgrade(registers, clerk, store):
    from counter.hq import migrations
    from counter.hq.store import SCHEMA_VERSION

    st = registers
    today = engine.business_date(st)
    file_report(st, clerk.clerk_id, reporter_kind="house", reporter_code=HOUSE, report_type="move_in",
                rows=[row(1, "𠮷永康", JI, today - timedelta(days=20))], today=today)
    admin.enroll(store, st.station_id, st.key.public_pem())
    ingest_all(store, st)
    hq_stats.refresh(store)
    with store.transaction() as hq:
        folded = hq.all(FACTS)
        # what the fold before reports counted left: no period for the reported tenant
        hq.execute("DELETE FROM stat_facts WHERE started = ?", ((today - timedelta(days=20)).isoformat(),))
        refold = next(m for m in migrations.all_migrations() if m.name.endswith("_report_periods"))
        hq.execute("UPDATE hq_meta SET value = ? WHERE key = 'schema_version'", (str(refold.version - 1),))
    assert [m.version for m in store.migrate()] == list(range(refold.version, SCHEMA_VERSION + 1))
    assert hq_stats.pending(store) > 0
    hq_stats.refresh(store)
    with store.transaction() as hq:
        assert hq.all(FACTS) == folded and len(folded) == 2
