"""The imported permits sync: HQ's real ingest takes the legacy entries (SQLite and PostgreSQL HQ)."""

from __future__ import annotations

from datetime import date

from counter.intake import legacy
from counter.services import clerks
from db import kinds
from tests.intake.test_legacy import MAPPING, _legacy_file
from tests.register.helpers import new_station, push
from tests.stations import hq_window_session


def test_a_legacy_import_syncs_to_hq(store, tmp_path):
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


def _synced(st):
    from counter.sync import client as sync

    result = sync.sync_once(st)
    assert result.ok, result.error
    return result


def test_a_person_imported_at_one_window_is_adopted_and_extended_at_another(
        store, hq_url, hq_key_dir, server_factory, tmp_path):
    """Two real stations and a real `counter hq serve` (SQLite and PostgreSQL): the legacy permit and the
    residence period reach HQ, window B adopts the file from the cited legacy entries and extends the
    imported permit (art. 13: the period continues); HQ's file names both windows; rebuild changes nothing."""
    import json as jsonlib

    from counter.hq.register import lookup as hq_lookup
    from counter.hq.register import rebuild as hq_rebuild
    from counter.services import engine, houses, people, perform, register
    from tests.intake.test_legacy import JI
    from tests.sync.fixtures import run_cli

    hq = server_factory(hq_url)
    a, sa = hq_window_session(tmp_path, "HP-01", store, hq.url, hq_key_dir)
    b, sb = hq_window_session(tmp_path, "HP-02", store, hq.url, hq_key_dir)
    try:
        today = engine.business_date(a)
        boss = clerks.add_clerk(a, "主管乙", "supervisor", "4321")
        legacy.record(a, legacy.review(a, _legacy_file(tmp_path, today), legacy.load_mapping(MAPPING)), boss)
        imported = people.by_document(a, "citizen_id", JI)
        pid = imported.person_id
        [old_permit] = people.permits(a, pid)
        _synced(a)

        # HQ's district tables hold the imported permit and the date the residence began
        with store.transaction() as tx:
            row = tx.one("SELECT name, resident_since, registration_kind FROM persons WHERE person_id = ?", (pid,))
            permit = tx.one("SELECT permit_id, status, valid_until, card_number FROM permits WHERE person_id = ?",
                            (pid,))
            failures = tx.all("SELECT station_id, seq, kind FROM hq_register_failures")
        assert row == ("𠮷永康", "2016-05-20", "residence") and failures == []
        assert permit == (old_permit.permit_id, "issued", old_permit.valid_until, "K2016000123")

        # found at B by ID number and by pinyin (𠮷 is ji), masked, at HQ only
        by_number = register.find(b, JI, clerk_id=sb.clerk.clerk_id)
        assert by_number.hq == "online"
        assert [(f.source, f.name, f.id_masked, f.station_id) for f in by_number.results] == [
            ("hq", "𠮷永康", JI[:6] + "********" + JI[-4:], "HP-01")]
        assert JI not in repr(by_number.as_dict()["results"])  # the query is the clerk's own
        by_pinyin = register.find(b, "jiyongkang", clerk_id=sb.clerk.clerk_id)
        assert [f.ref for f in by_pinyin.results if f.source == "hq"] == [by_number.results[0].ref]

        # adopted at B: the legacy entries are cited by hash and replayed; the permit and the period come along
        remote = register.open_remote(b, sb, by_number.results[0].ref)
        assert register.adopt(b, sb, remote) == pid
        assert register.adopted_from(b, pid) == "HP-01"
        at_b = people.get(b, pid)
        assert at_b.name == "𠮷永康" and at_b.resident_since == "2016-05-20"
        assert people.current_permit(b, pid).valid_until == old_permit.valid_until
        adopted = b.db.conn.execute("SELECT payload FROM journal WHERE kind = 'register.adopted'").fetchone()[0]
        sources = jsonlib.loads(adopted)["sources"]
        assert {s["kind"] for s in sources} >= {kinds.PERSON_REGISTERED, kinds.LEGACY_PERSON_IMPORTED,
                                                 kinds.LEGACY_PERMIT_IMPORTED, kinds.RESIDENCE_STARTED}
        assert all(s["station_id"] == "HP-01" for s in sources)
        assert [(p.started_on, p.started_via) for p in houses.periods(b, pid)] == [("2016-05-20", "import")]
        # B's file names A's import in its history (no transaction row: the adoption says it)
        assert [(h["station_id"], h["service"], h["number"]) for h in register.remote_history(b, pid)
                if h["service"] == "legacy_import"] == [("HP-01", "legacy_import", old_permit.permit_id),
                                                        ("HP-01", "legacy_import", imported.registration_number)]

        # extended at B (re-checked with HQ first): the imported permit's period continues
        extended = perform(b, "permit_extend", {"validity_years": "1"}, person_id=pid, clerk=sb.clerk)
        assert extended.notes == []
        until = people.current_permit(b, pid).valid_until
        soon = date.fromisoformat(old_permit.valid_until)
        assert until == soon.replace(year=soon.year + 1).isoformat()
        _synced(b)

        # HQ's file shows both windows: A's import, B's extension; its permit has B's date
        with store.transaction() as tx:
            assert tx.one("SELECT valid_until FROM permits WHERE permit_id = ?", (old_permit.permit_id,))[0] == until
            conflicts = tx.all("SELECT conflict_id FROM hq_register_conflicts")
        assert conflicts == []
        file = hq_lookup.open_person(store, "HP-02", sb.clerk.clerk_id, pid)
        assert ("HP-01", kinds.LEGACY_PERMIT_IMPORTED) in [(h["station_id"], h.get("kind")) for h in file["history"]]
        assert ("HP-02", "permit_extend") in [(h["station_id"], h.get("service")) for h in file["history"]]

        # a supervisor at B voids the extension: HQ re-derives the file from the legacy entries too
        from counter.services import amendments

        boss_b = clerks.add_clerk(b, "主管丙", "supervisor", "4321")
        amendments.void(b, extended.entry.seq, "录入错误", clerk=sb.clerk, supervisor=boss_b)
        assert people.current_permit(b, pid).valid_until == old_permit.valid_until
        _synced(b)
        with store.transaction() as tx:
            assert tx.one("SELECT status, valid_until FROM permits WHERE permit_id = ?",
                          (old_permit.permit_id,)) == ("issued", old_permit.valid_until)
            assert tx.one("SELECT resident_since FROM persons WHERE person_id = ?", (pid,))[0] == "2016-05-20"

        # both stations' projections rebuild identical (B's void re-derives the adopted file the same way)
        from db import rebuild

        for st in (a, b):
            sum_before = rebuild.checksum(st.db)
            rebuild.rebuild(st.db)
            assert rebuild.checksum(st.db) == sum_before
        assert people.current_permit(b, pid).valid_until == old_permit.valid_until

        # the register rebuilds to the same checksum (both backends)
        before = hq_rebuild.checksum(store)
        out = run_cli("hq", "rebuild", "--db", hq_url, "--json", check=True)
        result = jsonlib.loads(out.stdout)
        assert result["same"] is True and result["checksum_before"] == before == result["checksum_after"]
        assert result["entries"] > 0
    finally:
        a.close()
        b.close()
