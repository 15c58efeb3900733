"""Benchmark: `counter hq stats --by origin,age,education` over N persons on PostgreSQL (goal: <= 2 s at 1M).

    python3 tests/bench/hq_stats.py [--persons 1000000]

Loads N anonymous facts into stat_facts of a private PostgreSQL cluster with COPY (the dimensions drawn
like the seeds' shares; loading is not timed), then times the real command in a subprocess (process
start, schema check, refresh with nothing pending, the GROUP BY, suppression, JSON) and the same query
in process. Baseline in the same run: a bare `SELECT COUNT(*)` over the same table (ratio); and the GROUP BY as it was
before the dashboard_speed migration (text columns under COALESCE) against today's (its integer columns).
Not a test: nothing asserts a speed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from counter import stats as S  # noqa: E402
from counter.domain import stats as D  # noqa: E402
from counter.hq import stats as hq_stats  # noqa: E402
from counter.hq.store import open_store  # noqa: E402
from tests.sync.fixtures import PgCluster, cli_env  # noqa: E402

COLUMNS = ("station_id", "person_id", "reg_seq", "kind", "started", "started_week", "started_month", "origin",
           "province", "birth_date", "birth_num", "sex", "education", "education_group", "occupation", "housing", "reason", "intended_stay",
           "started_num", "origin_code", "education_code")


def rows(n: int, today: date):
    rng = random.Random(14)
    provinces = list(D.PROVINCES)
    origins = ["same_county"] * 5 + ["other_county"] * 12 + ["other_city"] * 31 + ["other_province"] * 52
    for i in range(n):
        start = today - timedelta(days=rng.randrange(0, 900))
        birth = today - timedelta(days=rng.randrange(16 * 365, 75 * 365))
        origin = rng.choice(origins)
        yield (f"S{i % 500:03d}", f"p{i}", i + 1, "residence", start.isoformat(), D.period_of(start, "week"),
               D.period_of(start, "month"), origin, "21" if origin != "other_province" else rng.choice(provinces),
               birth.isoformat(), int(birth.strftime("%Y%m%d")), rng.choice("MF"), *(lambda e: (e, D.education_group(e)))(rng.choice(["70", "70", "80", "60", "40", "30", "20", "90"])),
               rng.choice("EHRFCG"), rng.choice(["rented", "dormitory", "work_site", "own", "relatives"]),
               rng.choice(["work", "business", "study", "family", "other"]), rng.choice(["lt_6m", "6_12m", "gt_12m"]),
               S.day_number(start.isoformat()), S.ORIGIN_CODES.index(origin), None)


def with_codes(rows):
    """The education code is derived from the group drawn above, as the projection derives it."""
    for row in rows:
        yield (*row[:-1], S.EDUCATION_CODES.index(row[13]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    cluster = PgCluster(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])
    cluster.start()
    try:
        url = cluster.create_database()
        store = open_store(url)
        store.init_schema()
        today = date.today()
        t0 = time.perf_counter()
        with store.connection() as conn, conn.cursor() as cur:
            with cur.copy(f"COPY stat_facts ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in with_codes(rows(args.persons, today)):
                    copy.write_row(row)
            conn.execute("ANALYZE stat_facts")
        print(f"loaded {args.persons} facts in {time.perf_counter() - t0:.1f} s (not timed below)")
        policy = hq_stats.default_policy()
        dims = ["origin", "age", "education"]

        def timed(fn) -> float:
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
            return statistics.median(times)

        def bare():
            with store.transaction() as tx:
                tx.one("SELECT COUNT(*) FROM stat_facts")

        def before():
            # the query before the dashboard_speed migration, in the same run: text columns under COALESCE, dates compared as text
            labels = D.age_band_labels(policy.stats_age_bands)
            age = "CASE WHEN birth_num IS NULL THEN 'unknown' " + " ".join(
                f"WHEN birth_num > {int(S.add_years(today, -e).strftime('%Y%m%d'))} THEN '{label}'"
                for label, e in zip(labels, policy.stats_age_bands, strict=False)) + f" ELSE '{labels[-1]}' END"
            with store.transaction() as tx:
                tx.all(f"SELECT COALESCE(origin, 'unknown'), {age}, COALESCE(education_group, 'unknown'), COUNT(*)"
                       " FROM stat_facts WHERE started <= ? AND (ended IS NULL OR ended >= ?) GROUP BY 1, 2, 3",
                       (today.isoformat(), today.isoformat()))

        def after():
            with store.transaction() as tx:
                S.count(tx, dims, today, today, policy.stats_age_bands)

        def in_process():
            hq_stats.refresh(store)
            pub = hq_stats.district_table(store, dims, today, today, policy=policy)
            S.render(pub, "json")

        def command():
            r = subprocess.run([sys.executable, "-m", "counter", "hq", "stats", "--db", url, "--by",
                                "origin,age,education", "--json"], cwd=REPO, env=cli_env(), capture_output=True)
            assert r.returncode == 0, r.stderr

        base = timed(bare)
        old, new = timed(before), timed(after)
        inproc = timed(in_process)
        cmd = timed(command)
        print(f"persons: {args.persons}  (median of {args.runs})")
        print(f"baseline SELECT COUNT(*):                      {base * 1000:8.1f} ms")
        print(f"GROUP BY before (text columns, COALESCE):    {old * 1000:8.1f} ms  ({old / base:.1f}x baseline)")
        print(f"GROUP BY now (integer derived columns):     {new * 1000:8.1f} ms  ({new / base:.1f}x baseline)")
        print(f"in process refresh + GROUP BY + suppress + JSON: {inproc * 1000:8.1f} ms  ({inproc / base:.1f}x baseline)")
        print(f"`counter hq stats --by origin,age,education`:  {cmd * 1000:8.1f} ms  (goal <= 2000 ms)")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
