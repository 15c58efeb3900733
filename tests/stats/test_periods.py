"""Each registration is its own fact: a person who registers, leaves and registers again at the same
station is an inflow, an outflow and an inflow, at the station and at HQ; the population tables still
count each person once."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from counter import stats as S
from counter.hq import admin
from counter.hq import stats as hq_stats
from counter.services import amendments, clerks, engine
from tests.conftest import run_cli
from tests.houses.conftest import citizen_id
from tests.stats.district import ingest_all

PERSON = {"doc_type": "citizen_id", "id_number": citizen_id("650102", "19950505", 22), "name": "阿依古丽·买买提",
          "sex": "F", "birth_date": "1995-05-05", "ethnicity": "05", "nationality": "CHN",
          "household_address": "乌鲁木齐市天山区", "current_address": "沈阳市和平区太原街8号", "stay_reason": "1"}


def months_back(today: date, n: int) -> date:
    """The 10th of the month n months before today's."""
    return S.add_months(today.replace(day=10), -n)


def offset(today: date, day: date) -> str:
    return str((day - today).days)


@pytest.fixture
def clerk(station):
    return clerks.add_clerk(station, "柜员甲", "clerk", "1234")


def in_out_in(station, clerk) -> tuple[str, list[date], list]:
    """The person arrives three months back, leaves two months back, arrives again one month back."""
    today = engine.business_date(station)
    first, out, again = months_back(today, 3), months_back(today, 2), months_back(today, 1)
    reg = engine.perform(station, "residence_registration", {**PERSON, "arrival_date": offset(today, first)},
                         clerk=clerk)
    end = engine.perform(station, "registration_end", {"end_reason": "1", "end_date": offset(today, out)},
                         person_id=reg.person_id, clerk=clerk)
    back = engine.perform(station, "residence_registration",
                          {**PERSON, "arrival_date": offset(today, again)}, person_id=reg.person_id, clerk=clerk)
    return reg.person_id, [first, out, again], [reg, end, back]


def monthly(counts: dict, days: list[date]) -> tuple[list[int], list[int]]:
    months = [d.strftime("%Y-%m") for d in days]
    return [counts[(m, "inflow")] for m in months], [counts[(m, "outflow")] for m in months]


def test_in_out_in_again_is_inflow_outflow_inflow_at_the_station_and_at_hq(station, clerk, store):
    pid, days, _ = in_out_in(station, clerk)
    start, end = days[0].replace(day=1), days[-1] + timedelta(days=25)
    here = S.flow_table_counts(S.station_facts(station), "month", start, end)
    assert monthly(here, days) == ([1, 0, 1], [0, 1, 0])

    admin.enroll(store, station.station_id, station.key.public_pem())
    ingest_all(store, station)
    hq_stats.refresh(store)
    with store.transaction() as tx:
        district = S.flow_table_counts(tx, "month", start, end)
    assert district == here

    # the published tables agree too (both suppress the same cells under k)
    args = ["--flow", "month", "--from", start.isoformat(), "--to", end.isoformat(), "--json"]
    mine = run_cli("stats", "--data-dir", str(station.data_dir), *args)
    hq = run_cli("hq", "stats", "--db", store.url, *args)
    assert mine.returncode == 0 and hq.returncode == 0, mine.stderr + hq.stderr
    assert json.loads(mine.stdout)["cells"] == json.loads(hq.stdout)["cells"]


def test_the_population_counts_each_person_once_in_their_latest_period(station, clerk, store):
    pid, days, _ = in_out_in(station, clerk)
    edges = hq_stats.default_policy().stats_age_bands
    tx = S.station_facts(station)
    # over the whole span the person had two periods, and counts once, in the later one
    assert S.count(tx, ["kind"], days[0], days[2] + timedelta(days=1), edges) == {("residence",): 1}
    assert sum(S.count(tx, ["stay"], days[0], days[2], edges).values()) == 1
    # between the departure and the return nobody lived here
    assert S.count(tx, ["kind"], days[1] + timedelta(days=1), days[2] - timedelta(days=1), edges) == {}
    # within the first period only the first counts
    assert S.count(tx, ["kind"], days[0], days[1], edges) == {("residence",): 1}


def test_a_void_of_the_return_removes_its_period_and_a_void_of_the_departure_reopens(station, clerk):
    clerks.add_clerk(station, "主管乙", "supervisor", "4321")
    supervisor = clerks.authorize_supervisor(station, "主管乙", "4321", "test")
    pid, days, (reg, end, back) = in_out_in(station, clerk)
    start, stop = days[0].replace(day=1), days[-1] + timedelta(days=25)
    amendments.void(station, back.entry.seq, "wrong date", clerk=clerk, supervisor=supervisor)
    counts = S.flow_table_counts(S.station_facts(station), "month", start, stop)
    assert monthly(counts, days) == ([1, 0, 0], [0, 1, 0])
    amendments.void(station, end.entry.seq, "wrong person", clerk=clerk, supervisor=supervisor)
    tx = S.station_facts(station)
    assert monthly(S.flow_table_counts(tx, "month", start, stop), days) == ([1, 0, 0], [0, 0, 0])
    assert tx.all("SELECT reg_seq, ended FROM stat_facts") == [(reg.entry.seq, None)]


def fact_columns(tx, dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [r[1] for r in tx.all("PRAGMA table_info(stat_facts)")]
    return [r[0] for r in tx.all("SELECT column_name FROM information_schema.columns WHERE table_name = 'stat_facts'"
                                 " AND table_schema = current_schema() ORDER BY ordinal_position")]


def test_a_database_at_0010_is_upgraded_and_its_facts_folded_again(station, clerk, empty_url, hq_key_dir):
    from counter.hq import migrations
    from counter.hq.store import SCHEMA_VERSION, open_store, schema_statements

    pid, days, (reg, end, back) = in_out_in(station, clerk)
    s = open_store(empty_url, admin.load_key(hq_key_dir))
    periods = next(m for m in migrations.all_migrations() if m.name.endswith("_stat_periods"))
    assert periods.version == 11
    with s.transaction() as tx:  # the schema at 0010
        for statement in schema_statements(s.dialect):
            tx.execute(statement)
        for m in migrations.all_migrations():
            if migrations.BASELINE_VERSION < m.version < periods.version:
                m.upgrade(tx)
        tx.execute("UPDATE hq_meta SET value = ? WHERE key = 'schema_version'", (str(periods.version - 1),))
    admin.enroll(s, station.station_id, station.key.public_pem())
    ingest_all(s, station)
    with s.transaction() as tx:  # what 0010's fold left: the person's latest registration only
        tx.execute("INSERT INTO stat_facts (station_id, person_id, reg_seq, kind, started, started_week,"
                   " started_month, origin, sex, started_num) VALUES (?, ?, ?, 'residence', ?, '', '',"
                   " 'other_province', 'F', ?)", (station.station_id, pid, back.entry.seq, days[2].isoformat(),
                                                  S.day_number(days[2].isoformat())))
        tx.execute("INSERT INTO stat_cursor (station_id, last_seq) VALUES (?, ?)",
                   (station.station_id, back.entry.seq))
    # 0011 first, then any later migration (0012 is the register's file entries)
    assert [m.version for m in s.migrate()] == list(range(periods.version, SCHEMA_VERSION + 1))
    assert s.schema_version() == SCHEMA_VERSION
    assert hq_stats.pending(s) > 0  # folded again from the journal
    hq_stats.refresh(s)
    start, stop = days[0].replace(day=1), days[-1] + timedelta(days=25)
    with s.transaction() as tx:
        assert monthly(S.flow_table_counts(tx, "month", start, stop), days) == ([1, 0, 1], [0, 1, 0])
        assert sorted(tx.all("SELECT reg_seq, ended_seq FROM stat_facts")) == [(reg.entry.seq, end.entry.seq),
                                                                               (back.entry.seq, None)]
        # the station's in-memory facts and HQ's have the same table
        assert fact_columns(tx, s.dialect) == fact_columns(S.memory_facts(), "sqlite")
    with pytest.raises(Exception, match="(?i)unique|duplicate"), s.transaction() as tx:
        tx.execute("INSERT INTO stat_facts (station_id, person_id, reg_seq, kind, started, started_week,"
                   " started_month, origin, sex) VALUES (?, 'other', ?, 'residence', '2026-01-01', '', '', 'x', 'M')",
                   (station.station_id, reg.entry.seq))
    s.close()


def test_a_registration_over_an_open_one_ends_it_and_its_void_reopens_it():
    tx = S.memory_facts()
    reg = {"person_id": "p1", "values": {"arrival_date": "2026-03-05"}}
    rows = [(1, "2026-03-01", "person.registered", json.dumps({"person_id": "p1", "doc_type": "passport", "sex": "M"})),
            (2, "2026-03-05", "service.residence_registration", json.dumps(reg)),
            (3, "2026-05-20", "service.lodging_registration",
             json.dumps({**reg, "values": {"arrival_date": "2026-05-20"}}))]
    S.apply_entries(tx, "T", rows)
    facts = "SELECT reg_seq, kind, ended, ended_seq, next_started_num FROM stat_facts ORDER BY reg_seq"
    assert tx.all(facts) == [(2, "residence", "2026-05-20", 3, 20260520), (3, "lodging", None, None, None)]
    edges = (20, 30, 50, 60)
    assert S.count(tx, ["kind"], date(2026, 3, 1), date(2026, 6, 30), edges) == {("lodging",): 1}
    assert S.count(tx, ["kind"], date(2026, 3, 1), date(2026, 5, 19), edges) == {("residence",): 1}
    flows = S.flow_table_counts(tx, "month", date(2026, 3, 1), date(2026, 5, 31))
    assert [flows[(m, f)] for m in ("2026-03", "2026-05") for f in ("inflow", "outflow")] == [1, 0, 1, 1]
    S.apply_entries(tx, "T", [(4, "2026-05-21", "service.voided", json.dumps({"ref_seq": 3}))])
    assert tx.all(facts) == [(2, "residence", None, None, None)]
    assert S.count(tx, ["kind"], date(2026, 3, 1), date(2026, 6, 30), edges) == {("residence",): 1}
