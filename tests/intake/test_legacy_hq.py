"""The imported permits sync: HQ's real ingest takes the legacy entries (SQLite and PostgreSQL HQ)."""

from __future__ import annotations

from counter.intake import legacy
from counter.services import clerks
from db import kinds
from tests.intake.test_legacy import MAPPING, _legacy_file
from tests.register.helpers import new_station, push
from tests.sync.fixtures import backend, hq_key_dir, hq_url, pg_cluster, store  # noqa: F401


def test_a_legacy_import_syncs_to_hq(store, tmp_path):  # noqa: F811
    from counter.services import engine

    station, _clerk = new_station(tmp_path, "HP-01", store)
    boss = clerks.add_clerk(station, "主管乙", "supervisor", "4321")
    path = _legacy_file(tmp_path, engine.business_date(station))
    legacy.record(station, legacy.review(station, path, legacy.load_mapping(MAPPING)), boss)
    result = push(store, station)
    assert result is not None
    with store.transaction() as tx:
        n = tx.one("SELECT count(*) FROM hq_journal WHERE station_id = ? AND kind IN (?, ?, ?)",
                   ("HP-01", kinds.LEGACY_FILE_IMPORTED, kinds.LEGACY_PERSON_IMPORTED,
                    kinds.LEGACY_PERMIT_IMPORTED))[0]
        names = {r[0] for r in tx.all("SELECT name FROM persons")}
        failures = tx.all("SELECT station_id, seq, kind FROM hq_register_failures")
    assert n == 1 + 3 + 3 and failures == []
    assert {"𠮷永康", "阿依古丽·买买提", "张伟"} <= names  # the person.registered entries, projected at HQ
