"""HQ's district register on both backends: projection through the stations' own projectors, lookups,
the audit of every lookup, conflicts, voids, rebuild, duplicates. Real stations doing real services."""

from __future__ import annotations

import json

import pytest

from counter.domain.citizen_id import check_character
from counter.hq.register import conflicts as hq_conflicts
from counter.hq.register import duplicates as hq_duplicates
from counter.hq.register import lookup as hq_lookup
from counter.hq.register import projection as hq_projection
from counter.hq.register import rebuild as hq_rebuild
from counter.services import amendments, clerks
from counter.services.engine import perform
from counter.sync.protocol import Ack
from db.journal import entry_hash
from db.name_keys import name_keys
from tests.register.helpers import YOSHIDA, ZHANG, copy_file, new_station, permit_near_expiry, push, service
from tests.stations import extended_at_two_windows


def _id_number(area: str, birth: str, order: str) -> str:
    body = area + birth.replace("-", "") + order
    return body + check_character(body)


def _keys_of(name: str) -> list[tuple[str, str]]:
    return sorted((key, kind) for kind, key in name_keys(name))


def _access(store):
    with store.transaction() as tx:
        return tx.all("SELECT station_id, clerk_id, action, ref, query_kind, query, results FROM hq_register_access"
                      " ORDER BY access_id")


def test_search_by_every_kind_with_masked_lists_and_each_search_recorded(store, tmp_path):
    a, clerk = new_station(tmp_path, "HP-01", store)
    z = service(a, "residence_registration", clerk, ZHANG)
    y = service(a, "residence_registration", clerk, YOSHIDA)
    shan = service(a, "residence_registration", clerk, {**ZHANG, "name": "单雄信",
                   "id_number": _id_number("110105", "1990-01-02", "114"), "birth_date": "1990-01-02"})
    uyghur = service(a, "residence_registration", clerk, {**ZHANG, "name": "阿依古丽·买买提",
                     "id_number": _id_number("110105", "1995-05-05", "124"), "birth_date": "1995-05-05"})
    permit = service(a, "permit_apply", clerk, {"validity_years": "1", "proof": "1"}, person_id=y.person_id)
    push(store, a)

    def refs(q, **kw):
        return [r["ref"] for r in hq_lookup.search(store, "HP-02", "C-9", q, **kw)["results"]]

    assert refs("110105198803142125") == [z.person_id]
    assert refs("11010519491231002x") == [y.person_id]  # x normalised
    assert refs(permit.number) == [y.person_id]
    assert refs(permit.number.lower()) == [y.person_id]
    assert refs(z.number) == [z.person_id]  # the registration's receipt number
    assert refs("张伟") == [z.person_id]
    assert refs("张伟 1988-03-14") == [z.person_id]
    assert refs("张伟 1988-03-15") == []
    assert refs("zhangwei") == [z.person_id] and refs("zw") == [z.person_id] and refs("Zhang Wei") == [z.person_id]
    # heteronyms: 单 as a surname is read shan; dan (its common reading) finds it too
    assert refs("shanxiongxin") == [shan.person_id] and refs("danxiongxin") == [shan.person_id]
    assert refs("sxx") == [shan.person_id]
    # 𠮷 (U+20BB7) is ji: by pinyin, by the character, and by the character sent as a UTF-16 surrogate pair
    assert refs("jitian") == [y.person_id] and refs("jt") == [y.person_id]
    assert refs("𠮷田") == [y.person_id] and refs("\ud842\udfb7田") == [y.person_id]
    # a minority name with its middle dot: by the whole name, a part of it (3+ characters), or pinyin
    assert refs("阿依古丽·买买提") == [uyghur.person_id]
    assert refs("买买提") == [uyghur.person_id]
    assert refs("ayigulimaimaiti") == [uyghur.person_id]
    assert refs("ayigu") == [uyghur.person_id]  # a full key's prefix

    hit = hq_lookup.search(store, "HP-02", "C-9", "jitian")["results"][0]
    assert hit["id_masked"] == "110105********002X" and "11010519491231002X" not in json.dumps(hit)
    assert hit["name"] == "𠮷田" and hit["station_id"] == "HP-01" and hit["source"] == "hq"
    assert hit["permits"] == [{"number": permit.number, "status": "accepted",
                               "valid_until": hit["permits"][0]["valid_until"]}]

    log = _access(store)
    assert len(log) == 23 and {r[2] for r in log} == {"search"}
    assert all(r[0] == "HP-02" and r[1] == "C-9" for r in log)
    # the ID number searched is recorded masked, never in full
    assert ("id_number", "110105********2125") in {(r[4], r[5]) for r in log}
    assert not any("110105198803142125" in (r[5] or "") for r in log)

    for bad, why in (("", "empty"), ("1234", "not an ID number"), ("21010219880314212Y", "not a valid ID number"),
                     ("张伟 1988-02-30", "not a real date"), ("\ud842", "half a character"), ("x" * 101, "longer")):
        with pytest.raises(ValueError, match=why):
            hq_lookup.search(store, "HP-02", "C-9", bad)
    a.close()


def test_limit_bounds_the_list_and_says_truncated(store, tmp_path):
    a, clerk = new_station(tmp_path, "HP-01", store)
    for i in range(4):
        service(a, "residence_registration", clerk,
                {**ZHANG, "id_number": _id_number("110105", "1988-03-14", f"{200 + 2 * i}")})
    push(store, a)
    full = hq_lookup.search(store, "HP-02", "C-9", "zw", limit=10)
    assert len(full["results"]) == 4 and full["truncated"] is False
    cut = hq_lookup.search(store, "HP-02", "C-9", "zw", limit=3)
    assert len(cut["results"]) == 3 and cut["truncated"] is True
    a.close()


def test_open_returns_the_file_with_entries_that_verify_and_is_recorded(store, tmp_path):
    a, clerk = new_station(tmp_path, "HP-01", store)
    y = service(a, "residence_registration", clerk, YOSHIDA)
    service(a, "permit_apply", clerk, {"validity_years": "2", "proof": "1"}, person_id=y.person_id)
    push(store, a)
    f = hq_lookup.open_person(store, "HP-02", "C-9", y.person_id, "permit_collect")
    assert f["person"]["id_number"] == "11010519491231002X" and f["person"]["name"] == "𠮷田"
    assert [r["service"] for r in f["registrations"]] == ["residence_registration"]
    assert f["permits"][0]["validity_years"] == 2
    kinds = [e["kind"] for e in f["entries"]]
    assert kinds == ["person.registered", "service.residence_registration", "service.permit_apply"]
    for e in f["entries"]:  # the station can verify and cite every one of them
        assert e["station_id"] == "HP-01" and entry_hash("HP-01", e) == e["hash"]
    assert _access(store)[-1] == ("HP-02", "C-9", "open", y.person_id, None, None, 1)
    with pytest.raises(hq_lookup.NotFound):
        hq_lookup.open_person(store, "HP-02", "C-9", "0" * 32)
    assert _access(store)[-1][2:4] == ("open", "0" * 32)  # an opening that found nothing is recorded too
    a.close()


def test_a_batch_is_visible_to_lookups_once_acked_and_a_void_is_undone_at_hq(store, tmp_path):
    a, clerk = new_station(tmp_path, "HP-01", store)
    sup = clerks.add_clerk(a, "主管", "supervisor", "4321")
    supervisor = clerks.authorize_supervisor(a, "主管", "4321", "test")
    y = service(a, "residence_registration", clerk, YOSHIDA)
    app = service(a, "permit_apply", clerk, {"validity_years": "1", "proof": "1"}, person_id=y.person_id)
    assert hq_lookup.search(store, "HP-02", "C-9", "jitian")["results"] == []
    ack = push(store, a)
    assert ack.acked_seq == app.entry.seq
    assert hq_lookup.permit_status(store, "HP-02", "C-9", app.number)["status"] == "accepted"
    amendments.void(a, app.entry.seq, "录入错误", clerk=clerk, supervisor=supervisor)
    push(store, a)
    status = hq_lookup.permit_status(store, "HP-02", "C-9", app.number)
    assert status["status"] == "voided"
    assert status["last"]["kind"] == "service.voided"  # what a re-check sees last
    with store.transaction() as tx:
        assert tx.one("SELECT voided FROM hq_register_permit_events WHERE station_id = 'HP-01' AND seq = ?",
                      (app.entry.seq,))[0] == 1
        assert tx.one("SELECT status FROM transactions WHERE station_id = 'HP-01' AND seq = ?",
                      (app.entry.seq,))[0] == "voided"
    assert sup.clerk_id
    a.close()


def test_a_name_correction_and_its_void_move_the_pinyin_keys_at_hq(store, tmp_path):
    a, clerk = new_station(tmp_path, "HP-01", store)
    clerks.add_clerk(a, "主管", "supervisor", "4321")
    supervisor = clerks.authorize_supervisor(a, "主管", "4321", "test")
    z = service(a, "residence_registration", clerk, ZHANG)
    push(store, a)

    def refs(q):
        return [r["ref"] for r in hq_lookup.search(store, "HP-02", "C-9", q)["results"]]

    def keys():
        with store.transaction() as tx:
            return sorted(tuple(r) for r in tx.all("SELECT key, kind FROM person_name_keys WHERE person_id = ?",
                                                  (z.person_id,)))

    assert refs("zhangwei") == [z.person_id] and ("zw", "initials") in keys() and keys() == _keys_of("张伟")
    fix = perform(a, "name_correction", {"new_name": "王芳", "correction_reason": "2"}, person_id=z.person_id,
                  clerk=clerk, supervisor=supervisor)
    push(store, a)
    assert refs("zhangwei") == [] and refs("zw") == [] and refs("wangfang") == [z.person_id] and refs("wf")
    assert ("wangfang", "full") in keys() and keys() == _keys_of("王芳")  # the old name's keys went, by key
    amendments.void(a, fix.entry.seq, "录入错误", clerk=clerk, supervisor=supervisor)
    push(store, a)
    # the void gives the file its name back at HQ, and the name's keys with it
    assert refs("wangfang") == [] and refs("zhangwei") == [z.person_id]
    assert keys() == _keys_of("张伟")
    before = hq_rebuild.checksum(store)
    hq_rebuild.rebuild(store)
    assert hq_rebuild.checksum(store) == before and keys() == _keys_of("张伟")
    a.close()


def test_two_windows_extending_one_permit_offline_is_a_conflict_both_sides_learn(store, tmp_path):
    from counter.hq import admin

    a, ca = new_station(tmp_path, "HP-01", store)
    b, cb = new_station(tmp_path, "HP-02", store)
    pid, permit = permit_near_expiry(a, ca, YOSHIDA)
    push(store, a)
    copy_file(a, b, pid)  # B took the file over while online ...
    # ... then went offline and extended it; A extended it too, and synced at once
    extend_b = service(b, "permit_extend", cb, {"validity_years": "1"}, person_id=pid)
    extend_a = service(a, "permit_extend", ca, {"validity_years": "2"}, person_id=pid)
    ack_a = push(store, a)
    assert ack_a.conflicts == ()
    ack_b = push(store, b)  # B is back online
    assert len(ack_b.conflicts) == 1
    c = ack_b.conflicts[0]
    assert c["permit"] == permit and c["kind"] == "double_extend"
    assert c["entries"] == [{"station_id": "HP-01", "seq": extend_a.entry.seq, "kind": "service.permit_extend"},
                            {"station_id": "HP-02", "seq": extend_b.entry.seq, "kind": "service.permit_extend"}]
    # the conflicts are signed with the rest of the ack: a station verifying it sees any change
    assert store.hq_key.public and Ack.from_dict(ack_b.as_dict()).message() == ack_b.message()
    from counter import keys

    assert keys.verify(store.hq_key.public, ack_b.message(), ack_b.signature)
    forged = Ack.from_dict({**ack_b.as_dict(), "conflicts": []})
    assert not keys.verify(store.hq_key.public, forged.message(), forged.signature)
    # A learns of it on its next contact (its cursor ack, or its next batch's ack)
    from counter.hq.ingest import cursor_ack

    assert [x["conflict_id"] for x in cursor_ack(store, "HP-01").conflicts] == [c["conflict_id"]]
    service(a, "proof_of_life", ca, person_id=pid)
    assert [x["conflict_id"] for x in push(store, a).conflicts] == [c["conflict_id"]]
    # both entries are stored; the alarm names both stations, hq status counts it
    alarms = [x for x in admin.alarms(store) if x["kind"] == "permit_conflict"]
    assert {x["station_id"] for x in alarms} == {"HP-01", "HP-02"}
    assert all(f"HP-01 seq {extend_a.entry.seq}" in x["detail"] and f"HP-02 seq {extend_b.entry.seq}" in x["detail"]
               for x in alarms)
    assert {s["station_id"]: s["conflicts"] for s in admin.status(store)} == {"HP-01": 1, "HP-02": 1}
    assert hq_lookup.permit_status(store, "HP-03", "C-9", permit)["conflict"] is True
    a.close()
    b.close()


def test_cancel_at_one_window_and_extend_at_another_is_a_conflict(store, tmp_path):
    a, ca = new_station(tmp_path, "HP-01", store)
    b, cb = new_station(tmp_path, "HP-02", store)
    c, cc = new_station(tmp_path, "HP-03", store)
    pid, permit = permit_near_expiry(a, ca, YOSHIDA)
    push(store, a)
    copy_file(a, b, pid)
    copy_file(a, c, pid)
    extend_c = service(c, "permit_extend", cc, {"validity_years": "1"}, person_id=pid)  # C goes offline
    cancel = service(a, "permit_cancel", ca, {"cancel_reason": "1"}, person_id=pid)
    push(store, a)  # A cancelled and synced
    with b.db.conn:
        b.db.conn.execute("UPDATE permits SET status = 'issued'")  # B's copy predates the cancel
    extend_b = service(b, "permit_extend", cb, {"validity_years": "1"}, person_id=pid)
    assert push(store, b).conflicts == ()
    # B's extend was made after A's cancel reached HQ: B could have seen it, so by the clock rule it is no
    # conflict (B acted on stale data; the re-check before a service, GET /v1/register/permits, prevents that)
    ack = push(store, c)  # C's extend was made before either reached HQ: it conflicts with both
    assert sorted((x["kind"], x["entries"][0]["seq"], x["entries"][1]["station_id"]) for x in ack.conflicts) == [
        ("cancel_extend", cancel.entry.seq, "HP-03"), ("double_extend", extend_b.entry.seq, "HP-03")]
    assert all(x["entries"][1]["seq"] == extend_c.entry.seq for x in ack.conflicts)
    for st in (a, b, c):
        st.close()


def test_a_permit_basis_in_the_payload_makes_the_check_exact(store, tmp_path):
    """A station that re-checked the permit names the last entry it saw; anything newer is a conflict."""
    from counter.hq.ingest import raise_alarm

    a, ca = new_station(tmp_path, "HP-01", store)
    pid, permit = permit_near_expiry(a, ca, YOSHIDA)
    push(store, a)
    last = hq_lookup.permit_status(store, "HP-02", "C-9", permit)["last"]
    service(a, "permit_change", ca, {"new_address": "沈阳市和平区太原街8号", "change_date": "0"}, person_id=pid)
    push(store, a)
    row = {"seq": 1, "uuid": "u", "business_day": "2026-01-01", "device_time_utc": "2030-01-01T00:00:00.000000Z",
           "monotonic_ns": 1, "boot_id": "b", "clerk_id": "c", "schema_ver": 1, "prev_hash": "0" * 64, "hash": "1" * 64}
    with store.transaction() as tx:  # the clock rule alone would not see it: made far in the future
        now = "2026-12-01T00:00:00.000000Z"
        payload = {"service": "permit_extend", "person_id": pid, "permit_id": permit,
                   "values": {"validity_years": "1"}, "derived": {"valid_until": "2099-01-01"}, "numbers": [],
                   "permit_basis": {"station_id": last["station_id"], "seq": last["seq"]}}
        found = hq_projection.project_entries(tx, "HP-09", [{**row, "kind": "service.permit_extend",
                                                        "payload": json.dumps(payload)}], now, 0.0,
                                         lambda s, k, d: raise_alarm(tx, s, k, d, now))
    assert [(c.kind, c.first[2]) for c in found] == [("concurrent", "service.permit_change")]
    a.close()


def test_projection_failure_is_recorded_and_never_blocks_the_journal(store, tmp_path):
    from counter.hq import admin

    a, ca = new_station(tmp_path, "HP-01", store)
    b, cb = new_station(tmp_path, "HP-02", store)
    pid, _ = permit_near_expiry(a, ca, YOSHIDA)
    copy_file(a, b, pid)  # A never synced: HQ has no such person
    ext = service(b, "permit_extend", cb, {"validity_years": "1"}, person_id=pid)
    other = service(b, "residence_registration", cb, ZHANG)
    ack = push(store, b)
    assert ack.acked_seq == other.entry.seq  # stored and acked all the same
    with store.transaction() as tx:
        failures = tx.all("SELECT station_id, seq, kind FROM hq_register_failures")
    assert failures == [("HP-02", ext.entry.seq, "service.permit_extend")]
    assert [x["kind"] for x in admin.alarms(store, "HP-02")] == ["projection_failed"]
    assert [r["ref"] for r in hq_lookup.search(store, "HP-03", "C", "zhangwei")["results"]] == [other.person_id]
    a.close()
    b.close()


def test_rebuild_recomputes_the_register_with_the_same_checksum_and_repairs_a_tampered_row(store, tmp_path):
    a, ca, b, cb, pid, _ = extended_at_two_windows(tmp_path, store, YOSHIDA)
    service(b, "residence_registration", cb, ZHANG)
    push(store, b)
    conflicts = hq_conflicts.all_conflicts(store)
    assert len(conflicts) == 1
    before = hq_rebuild.checksum(store)
    replayed = hq_rebuild.rebuild(store)
    assert replayed == 8 and hq_rebuild.checksum(store) == before
    assert hq_conflicts.all_conflicts(store) == conflicts  # same ids (acks carried them), no second alarm
    with store.transaction() as tx:
        tx.execute("UPDATE persons SET name = '张三' WHERE person_id = ?", (pid,))
        tx.execute("DELETE FROM person_name_keys WHERE person_id = ?", (pid,))
    assert hq_rebuild.checksum(store) != before
    hq_rebuild.rebuild(store)
    assert hq_rebuild.checksum(store) == before
    assert [r["ref"] for r in hq_lookup.search(store, "HP-03", "C", "jitian")["results"]] == [pid]
    a.close()
    b.close()


def test_duplicates_lists_one_number_under_two_names_and_one_person_under_two_numbers(store, tmp_path):
    a, ca = new_station(tmp_path, "HP-01", store)
    b, cb = new_station(tmp_path, "HP-02", store)
    service(a, "residence_registration", ca, ZHANG)
    service(b, "residence_registration", cb, {**ZHANG, "name": "张玮"})  # B never heard of A's file
    twin = _id_number("110105", "1949-12-31", "004")
    service(a, "residence_registration", ca, YOSHIDA)
    service(b, "residence_registration", cb, {**YOSHIDA, "id_number": twin})
    service(b, "residence_registration", cb, {**ZHANG, "name": "李四", "id_number": _id_number("110105", "1970-01-01",
                                                                                              "012"),
                                              "birth_date": "1970-01-01"})
    push(store, a)
    push(store, b)
    found = hq_duplicates.duplicates(store)
    assert found["same_number"] == [{"doc_type": "citizen_id", "id_masked": "110105********2125", "files": [
        {"name": "张伟", "station_id": "HP-01", "ref": found["same_number"][0]["files"][0]["ref"]},
        {"name": "张玮", "station_id": "HP-02", "ref": found["same_number"][0]["files"][1]["ref"]}]}]
    (group,) = found["same_person"]
    assert (group["name"], group["birth_date"], group["household_area"]) == ("𠮷田", "1949-12-31", "110105")
    assert sorted((f["station_id"], f["id_masked"]) for f in group["files"]) == [
        ("HP-01", "110105********002X"), ("HP-02", f"110105********{twin[-4:]}")]
    assert "11010519491231002X" not in json.dumps(found)
    a.close()
    b.close()


def test_ingest_without_projection_leaves_the_register_empty(store, tmp_path):
    """The benchmark's baseline switch really switches the projection off."""
    a, ca = new_station(tmp_path, "HP-01", store)
    service(a, "residence_registration", ca, ZHANG)
    push(store, a, project=False)
    with store.transaction() as tx:
        assert hq_rebuild.counts(tx) == {"persons": 0, "permits": 0, "transactions": 0}
    assert hq_rebuild.rebuild(store) == 2
    with store.transaction() as tx:
        assert hq_rebuild.counts(tx)["persons"] == 1
    a.close()


def test_hq_tables_are_the_station_tables_district_wide(store, station):
    """HQ's shared projection tables are derived from the station's migration: every station column, in the
    station's order, with HQ's station key and bookkeeping added, on both backends."""
    from counter.hq.register_schema import HQ_COLUMNS, SHARED_TABLES

    with store.transaction() as tx:
        for table in SHARED_TABLES:
            at_station = [r[1] for r in station.db.conn.execute(f"PRAGMA table_info({table})")]
            if tx.dialect == "sqlite":
                cols = [r[1] for r in tx.all(f"PRAGMA table_info({table})")]
            else:
                cols = [r[0] for r in tx.all("SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                                             " AND table_schema = current_schema() ORDER BY ordinal_position",
                                             (table,))]
            hq_only = [c.split()[0] for c in HQ_COLUMNS.get(table, ())]
            assert [c for c in cols if c != "station_id" and c not in hq_only] == at_station, table
            # rows a station keys by its seq or numbers by its own series name their station at HQ
            assert ("station_id" in cols) == (table in ("persons", "transactions", "numbers")), table


def test_one_batch_writing_a_file_between_other_registrations_ends_as_the_station_holds_it(store, tmp_path):
    """HQ groups a batch's writes per statement (counter/hq/register/projection.py): the rows one file's
    entries write, interleaved with other people's registrations, still land in journal order."""
    a, ca = new_station(tmp_path, "HP-01", store)
    y = service(a, "residence_registration", ca, YOSHIDA)
    service(a, "residence_registration", ca, ZHANG)
    service(a, "change_phone", ca, {"new_phone": "13900000001"}, person_id=y.person_id)
    app = service(a, "permit_apply", ca, {"validity_years": "1", "proof": "1"}, person_id=y.person_id)
    service(a, "residence_registration", ca, {**ZHANG, "id_number": "110105199001011232", "sex": "M", "birth_date": "1990-01-01",
                                                      "name": "李娜"})
    service(a, "change_phone", ca, {"new_phone": "13900000002"}, person_id=y.person_id)
    service(a, "change_address", ca, {"new_address": "沈阳市和平区太原街8号", "change_date": "0"},
            person_id=y.person_id)
    push(store, a)  # one batch
    cols = "person_id, name, phone, current_address, resident_since, registration_number, updated_seq"
    station = a.db.conn.execute(f"SELECT {cols} FROM persons ORDER BY person_id").fetchall()
    with store.transaction() as tx:
        assert [tuple(r) for r in tx.all(f"SELECT {cols} FROM persons ORDER BY person_id")] == station
        assert tx.one("SELECT last_seq FROM persons WHERE person_id = ?", (y.person_id,))[0] == station[
            [r[0] for r in station].index(y.person_id)][-1]
        assert tx.one("SELECT status, person_id FROM permits WHERE permit_id = ?", (app.number,)) == (
            "accepted", y.person_id)
    assert [r[3] for r in station if r[0] == y.person_id] == ["沈阳市和平区太原街8号"]
    a.close()
