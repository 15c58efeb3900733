"""`counter hq stats` across a district: facts folded from the ingested journals, the same figures as
the stations', by station, week and month, suppressed under k."""

from __future__ import annotations

import json

import pytest

from counter import stats as S
from counter.hq import stats as hq_stats
from counter.services import engine
from tests.conftest import run_cli
from tests.stats.district import make_district


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    root = tmp_path_factory.mktemp("district")
    store, url, key_dir, stations = make_district(root, {"HP-01": 300, "HP-02": 200})
    yield store, url, stations
    for st in stations.values():
        st.close()


def test_district_equals_the_sum_of_its_stations(district):
    store, url, stations = district
    hq_stats.refresh(store)
    policy = hq_stats.default_policy()
    st = stations["HP-01"]
    day = engine.business_date(st)
    total = {}
    for s in stations.values():
        for key, n in S.count(S.station_facts(s), ["origin", "age"], day, day, policy.stats_age_bands).items():
            total[key] = total.get(key, 0) + n
    assert hq_stats.district_counts(store, ["origin", "age"], day, day, policy) == total
    assert sum(total.values()) > 100


def test_refresh_is_incremental_and_idempotent(district):
    store, url, stations = district
    hq_stats.refresh(store)
    assert hq_stats.refresh(store) == 0
    assert hq_stats.pending(store) == 0


def test_cli_by_station_and_week_json(district):
    store, url, stations = district
    r = run_cli("hq", "stats", "--db", url, "--by", "station,week", "--from", "2026-01-01", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {c["dims"]["station"] for c in out["cells"]} == {"HP-01", "HP-02"}
    assert all(c["dims"]["week"].startswith("20") for c in out["cells"])
    assert out["k"] == 5 and out["total"] is not None
    shown = [c["count"] for c in out["cells"] if c["count"] is not None]
    assert all(n >= 5 or n == 0 for n in shown)


def test_cli_by_origin_age_education_has_no_personal_data(district):
    store, url, stations = district
    r = run_cli("hq", "stats", "--db", url, "--by", "origin,age,education", "--csv")
    assert r.returncode == 0, r.stderr
    names = [row[0] for row in stations["HP-01"].db.conn.execute("SELECT name FROM persons LIMIT 50")]
    numbers = [row[0] for row in stations["HP-01"].db.conn.execute("SELECT id_number FROM persons LIMIT 50")]
    for secret in names + numbers:
        assert secret not in r.stdout
    assert "外省" in r.stdout and "不予公布" in r.stdout


def test_min_cell_cannot_go_under_policy(district):
    store, url, stations = district
    r = run_cli("hq", "stats", "--db", url, "--by", "origin", "--min-cell", "2")
    assert r.returncode == 2 and r.stderr.startswith("error:") and "--min-cell 2" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_cancelled_permit_ends_the_registration_as_outflow(district):
    store, url, stations = district
    hq_stats.refresh(store)
    with store.transaction() as tx:
        ended = tx.one("SELECT COUNT(*) FROM stat_facts WHERE ended IS NOT NULL")[0]
        flows = S.flow_counts(tx, "month", __import__("datetime").date(2026, 1, 1),
                              __import__("datetime").date(2026, 12, 31))
    assert sum(f.outflow for f in flows) == ended
    assert sum(f.inflow for f in flows) > 0


def test_cli_flow_per_month_across_the_district(district):
    store, url, stations = district
    r = run_cli("hq", "stats", "--db", url, "--flow", "month", "--from", "2026-01-01", "--to", "2026-12-31", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["by"] == ["month", "flow"] and data["scope"] == "全区 District"
    assert {c["dims"]["month"] for c in data["cells"]} == {f"2026-{m:02d}" for m in range(1, 13)}
    hq_stats.refresh(store)
    with store.transaction() as tx:
        flows = S.flow_counts(tx, "month", __import__("datetime").date(2026, 1, 1),
                              __import__("datetime").date(2026, 12, 31))
    published = {(c["dims"]["month"], c["dims"]["flow"]): c["count"] for c in data["cells"]}
    for f in flows:  # each published cell is the true count; the others are hidden, never altered
        assert published[(f.period, "inflow")] in (f.inflow, None)
        assert published[(f.period, "outflow")] in (f.outflow, None)
        for v in (published[(f.period, "inflow")], published[(f.period, "outflow")]):
            assert v is None or v == 0 or v >= 5
    r = run_cli("hq", "stats", "--db", url, "--flow", "week", "--by", "station")
    assert r.returncode == 2 and "--flow and --by" in r.stderr


def test_the_speed_migration_derives_the_integer_columns_of_facts_already_held(tmp_path):
    from datetime import date

    from counter.hq import migrations
    from counter.hq.store import SCHEMA_VERSION, open_store, schema_statements

    s = open_store(f"sqlite:///{tmp_path / 'before.db'}")
    speed = next(m for m in migrations.all_migrations() if m.name.endswith("_dashboard_speed"))
    with s.transaction() as tx:  # a database at the version before it, holding facts
        for statement in schema_statements("sqlite"):
            tx.execute(statement)
        for m in migrations.all_migrations():
            if migrations.BASELINE_VERSION < m.version < speed.version:
                m.upgrade(tx)
        tx.execute("UPDATE hq_meta SET value = ? WHERE key = 'schema_version'", (str(speed.version - 1),))
        facts = [("p1", "2026-03-01", None, "other_province", "1990-01-01", "junior_or_less"),
                 ("p2", "2026-03-02", "2026-06-30", "same_county", "1950-05-05", "college_or_above"),
                 ("p3", "2025-12-31", None, "abroad", None, None),
                 ("p4", "2026-07-01", None, "unknown", "2010-02-02", "senior_secondary")]
        for pid, started, ended, origin, birth, edu in facts:
            tx.execute("INSERT INTO stat_facts (station_id, person_id, reg_seq, kind, started, started_week,"
                       " started_month, ended, origin, birth_date, birth_num, sex, education_group) VALUES"
                       " ('HP-01', ?, 1, 'residence', ?, '', '', ?, ?, ?, ?, 'M', ?)",
                       (pid, started, ended, origin, birth, S.birth_number(birth), edu))
    with s.transaction() as tx:  # the speed migration itself (the next one, stat_periods, folds the facts again)
        speed.upgrade(tx)
        tx.execute("UPDATE hq_meta SET value = ? WHERE key = 'schema_version'", (str(speed.version),))
    assert s.schema_version() == speed.version < SCHEMA_VERSION
    with s.transaction() as tx:
        rows = {r[0]: r[1:] for r in tx.all("SELECT person_id, started_num, ended_num, origin_code, education_code"
                                             " FROM stat_facts")}
        assert rows["p2"] == (20260302, 20260630, S.ORIGIN_CODES.index("same_county"),
                              S.EDUCATION_CODES.index("college_or_above"))
        assert rows["p3"] == (20251231, None, S.ORIGIN_CODES.index("abroad"), 0)
        # today's count also reads 0011's next_started_num: NULL (no later period), the derived columns decide
        tx.execute("ALTER TABLE stat_facts ADD COLUMN next_started_num INTEGER")
        counts = S.count(tx, ["origin", "age", "education"], date(2026, 6, 1), date(2026, 6, 30), (20, 30, 50, 60))
    assert counts == {("other_province", "30-49", "junior_or_less"): 1, ("same_county", "60+", "college_or_above"): 1,
                      ("abroad", "unknown", "unknown"): 1}
