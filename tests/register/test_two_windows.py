"""Done-when of issue 15 on the HQ side: two real stations syncing with their own sync client to a real
`counter hq serve` on PostgreSQL take one person through four steps (permit accepted at A; collected at
B; extended at B a year later; HQ's history shows both windows); the double extension is detected and
reaches both stations in signed acks; every lookup is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from counter.hq import admin
from counter.hq.register import conflicts as hq_conflicts
from counter.hq.register import lookup as hq_lookup
from counter.hq.register import rebuild as hq_rebuild
from counter.services import clerks
from counter.sync.client import sync_once
from db import journal
from tests.register.helpers import YOSHIDA, copy_file, service
from tests.stations import hq_window


@pytest.fixture
def pg_store(pg_cluster, hq_key_dir):
    from counter.hq.store import open_store

    url = pg_cluster.create_database()
    store = open_store(url, admin.load_key(hq_key_dir))
    store.init_schema()
    yield url, store
    store.close()


def _sync(station):
    result = sync_once(station)
    assert result.ok, result.error
    return result


def test_one_person_through_four_steps_at_two_windows_on_postgresql(pg_store, hq_key_dir, server_factory, tmp_path):
    url, store = pg_store
    server = server_factory(url)
    a, ca = hq_window(tmp_path, "HP-01", store, server.url, hq_key_dir, office="测试服务中心")
    b, cb = hq_window(tmp_path, "HP-02", store, server.url, hq_key_dir, office="测试服务中心")
    t0 = datetime.now(UTC)
    # 1. the permit is accepted at window A
    reg = service(a, "residence_registration", ca, YOSHIDA, now=t0)
    app = service(a, "permit_apply", ca, {"validity_years": "1", "proof": "1"}, person_id=reg.person_id, now=t0)
    _sync(a)
    # 2. the person comes back to window B, which finds the file at HQ by pinyin and opens it
    (hit,) = hq_lookup.search(store, "HP-02", cb.clerk_id, "jitian")["results"]
    assert hit["station_id"] == "HP-01" and hit["permits"][0]["number"] == app.number
    opened = hq_lookup.open_person(store, "HP-02", cb.clerk_id, hit["ref"], "permit_collect")
    assert {e["station_id"] for e in opened["entries"]} == {"HP-01"}
    copy_file(a, b, reg.person_id)  # the station side's adoption (branch register-window) does this for real
    collected = service(b, "permit_collect", cb, person_id=reg.person_id, now=t0 + timedelta(days=25))
    _sync(b)
    status = hq_lookup.permit_status(store, "HP-02", cb.clerk_id, app.number)
    assert status["status"] == "issued" and status["last"] == {
        "station_id": "HP-02", "seq": collected.entry.seq, "kind": "service.permit_collect",
        "at": status["last"]["at"]}
    # 3. a year later, window B extends it
    valid_until = status["valid_until"]
    later = datetime.fromisoformat(valid_until).replace(tzinfo=UTC) - timedelta(days=10)
    service(b, "permit_extend", cb, {"validity_years": "2"}, person_id=reg.person_id, now=later)
    _sync(b)
    # 4. HQ's history of the person shows both windows, and the permit as B left it
    f = hq_lookup.open_person(store, "HP-01", ca.clerk_id, reg.person_id, "history")
    assert [(h["station_id"], h["service"]) for h in f["history"]] == [
        ("HP-01", "residence_registration"), ("HP-01", "permit_apply"), ("HP-02", "permit_collect"),
        ("HP-02", "permit_extend")]
    (permit,) = f["permits"]
    assert permit["status"] == "issued" and permit["valid_until"] > valid_until and permit["card_number"]
    assert f["person"]["last_station_id"] == "HP-02" and f["person"]["station_id"] == "HP-01"
    assert hq_conflicts.all_conflicts(store) == []
    # every lookup was recorded: which station, which clerk, which record
    with store.transaction() as tx:
        log = tx.all("SELECT station_id, clerk_id, action, ref FROM hq_register_access ORDER BY access_id")
    assert [(s, c, act) for s, c, act, _ in log if act != "permit"] == [
        ("HP-02", cb.clerk_id, "search"), ("HP-02", cb.clerk_id, "open"), ("HP-01", ca.clerk_id, "open")]
    # the permit re-checks: this test's own, and the station's before each permit service (collect, extend)
    assert [(s, c) for s, c, act, _ in log if act == "permit"] == [("HP-02", cb.clerk_id)] * 3
    assert log[1][3] == reg.person_id and log[-1][3] == reg.person_id
    # the register is the journals' projection: a rebuild changes nothing
    before = hq_rebuild.checksum(store)
    hq_rebuild.rebuild(store)
    assert hq_rebuild.checksum(store) == before
    a.close()
    b.close()


def test_double_extension_reaches_both_stations_in_their_signed_acks(pg_store, hq_key_dir, server_factory, tmp_path):
    url, store = pg_store
    server = server_factory(url)
    a, ca = hq_window(tmp_path, "HP-01", store, server.url, hq_key_dir, office="测试服务中心")
    b, cb = hq_window(tmp_path, "HP-02", store, server.url, hq_key_dir, office="测试服务中心")
    t0 = datetime.now(UTC) - timedelta(days=350)
    reg = service(a, "residence_registration", ca, YOSHIDA, now=t0)
    service(a, "permit_apply", ca, {"validity_years": "1", "proof": "1"}, person_id=reg.person_id, now=t0)
    service(a, "permit_collect", ca, person_id=reg.person_id, now=t0 + timedelta(days=30))
    _sync(a)
    copy_file(a, b, reg.person_id)
    b.config.section("sync")["hq_url"] = "http://127.0.0.1:9"  # B loses the network
    ext_b = service(b, "permit_extend", cb, {"validity_years": "1"}, person_id=reg.person_id)
    assert not sync_once(b).ok  # offline: the entry waits
    ext_a = service(a, "permit_extend", ca, {"validity_years": "1"}, person_id=reg.person_id)
    _sync(a)
    b.config.section("sync")["hq_url"] = server.url  # back online
    _sync(b)
    conflicts = hq_conflicts.all_conflicts(store)
    assert [(c["kind"], [(e["station_id"], e["seq"]) for e in c["entries"]]) for c in conflicts] == [
        ("double_extend", [("HP-01", ext_a.entry.seq), ("HP-02", ext_b.entry.seq)])]
    # both stations get it in an ack HQ signed over it: B in the ack of the batch that raised it, A at its next sync
    from counter.hq.ingest import cursor_ack

    for station in ("HP-01", "HP-02"):
        assert [c["conflict_id"] for c in cursor_ack(store, station).conflicts] == [conflicts[0]["conflict_id"]]
    service(a, "proof_of_life", ca, person_id=reg.person_id)
    _sync(a)  # the client verified the ack's signature, conflicts included (else it would not be ok)
    assert {s["station_id"]: s["conflicts"] for s in admin.status(store)} == {"HP-01": 1, "HP-02": 1}

    # a district admin resolves it: A's extension stands; who, when and why are recorded at HQ
    from counter.errors import CounterError
    from counter.hq import staff
    from counter.services import amendments
    from counter.services import register as window_register

    staff.add_user(store, "区管理员", "admin", "a long enough password")
    staff.add_user(store, "查看员", "viewer", "a long enough password")
    cid = conflicts[0]["conflict_id"]
    for keep, by, why in (("C", "区管理员", "--keep must be A"), ("A", "查看员", "not an active HQ admin"),
                          ("A", "区管理员 ", "needs a reason")):
        with pytest.raises(CounterError, match=why):
            hq_conflicts.resolve_conflict(store, cid, keep, "" if "reason" in why else "x", by)
    with pytest.raises(CounterError, match="no register conflict 999"):
        hq_conflicts.resolve_conflict(store, 999, "A", "x", "区管理员")
    done = hq_conflicts.resolve_conflict(store, cid, "a", "  HP-01 extended first;\n HP-02 voids  ", "区管理员")
    assert done["status"] == "resolved" and done["resolution"]["keep"] == "first"
    assert done["resolution"]["reason"] == "HP-01 extended first; HP-02 voids"
    with pytest.raises(CounterError, match="resolved already by 区管理员"):
        hq_conflicts.resolve_conflict(store, cid, "B", "changed my mind", "区管理员")
    assert ("区管理员", "register.conflict_resolved", f"conflict {cid} keep first") in [
        (r[1], r[2], r[3]) for r in staff.audit_log(store)]
    assert {s["station_id"]: s["conflicts"] for s in admin.status(store)} == {"HP-01": 0, "HP-02": 0}

    # both stations learn it in their next signed ack and journal it once; B is told to void its extension
    for st in (a, b):
        _sync(st)
        _sync(st)
        [c] = window_register.conflicts(st, open_only=False)
        assert c.resolved_at == done["resolution"]["resolved_at"] and c.resolution["resolved_by"] == "区管理员"
        assert len([e for e in journal.entries(st.db) if e.kind == "register.conflict_resolved"]) == 1
        assert window_register.conflicts(st) == []
    [at_a], [at_b] = window_register.recently_resolved(a), window_register.recently_resolved(b)
    assert at_a.to_void == [] and [v["seq"] for v in at_b.to_void] == [ext_b.entry.seq]
    assert f"void seq {ext_b.entry.seq} at this window" in at_b.describe()
    assert "the entry that reached HQ first stands (HP-01 extended first; HP-02 voids)" in at_a.describe()
    # B's supervisor voids it (a new entry; nothing is edited) and the notice stops asking for it
    boss = clerks.add_clerk(b, "主管HP-02", "supervisor", "4321")
    amendments.void(b, ext_b.entry.seq, "conflict resolved at HQ: HP-01's extension stands", clerk=cb,
                    supervisor=boss)
    old = datetime.now(UTC) + timedelta(days=window_register.two_windows.RESOLUTION_SHOWN_DAYS + 1)
    assert window_register.recently_resolved(b, now=old) == []
    assert window_register.recently_resolved(a, now=old) == []
    _sync(b)
    with store.transaction() as tx:  # HQ's register takes the void like any other: B's extension is gone
        events = tx.all("SELECT station_id, seq, voided FROM hq_register_permit_events WHERE kind ="
                        " 'service.permit_extend' ORDER BY station_id", ())
    assert events == [("HP-01", ext_a.entry.seq, 0), ("HP-02", ext_b.entry.seq, 1)]
    a.close()
    b.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
