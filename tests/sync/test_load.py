"""Load: 50 stations x 2,000 entries pushed concurrently to a PostgreSQL-backed HQ.

Not a timed test: it checks that under concurrency every count is exact and
every chain verifies. Throughput figures come from tests/bench/sync.py.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from counter.hq import admin
from counter.sync.client import sync_once
from tests.sync.fixtures import enroll_station, fill, fresh_hq, make_station

pytestmark = pytest.mark.postgres

STATIONS = 50
ENTRIES = 2000


def test_fifty_stations_push_concurrently(pg_cluster, hq_key_dir, server_factory, tmp_path):
    url = pg_cluster.create_database()
    store = fresh_hq(url, hq_key_dir)
    servers = [server_factory(url), server_factory(url)]  # two stateless processes on one PostgreSQL
    stations = []
    for n in range(STATIONS):
        st = make_station(tmp_path, f"LOAD-{n:02d}", servers[n % 2].url, hq_key_dir, batch_size=500)
        fill(st, ENTRIES - 1)
        enroll_station(store, st)
        stations.append(st)

    with ThreadPoolExecutor(max_workers=STATIONS) as pool:
        results = list(pool.map(sync_once, stations))

    assert [r.error for r in results if not r.ok] == []
    assert all((r.pushed, r.acked_seq, r.pending) == (ENTRIES, ENTRIES, 0) for r in results)
    with store.transaction() as tx:
        per_station = dict(tx.all("SELECT station_id, count(*) FROM hq_journal GROUP BY station_id"))
        distinct = tx.one("SELECT count(*) FROM (SELECT DISTINCT station_id, seq FROM hq_journal) d")[0]
    assert per_station == {st.station_id: ENTRIES for st in stations}
    assert distinct == STATIONS * ENTRIES
    reports = [admin.verify_station(store, st.station_id) for st in stations]
    assert [r.station_id for r in reports if not r.ok] == []
    assert all(r.count == ENTRIES for r in reports)
    for st in stations:
        st.close()
    store.close()
