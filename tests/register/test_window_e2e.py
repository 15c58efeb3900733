"""Done-when of issue 15, station side: two real stations, a real `counter hq serve` on PostgreSQL.

One person through four steps (permit accepted at A; collected at B; extended at B a year later; HQ's
history shows both windows), every lookup recorded at HQ, the double-extension conflict detected and
shown on both sides, and going offline falling back to local data with the status said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from counter.errors import CounterError
from counter.hq import admin
from counter.hq.store import open_store
from counter.services import people, perform, register
from counter.sync import client as sync
from tests.register.helpers import YOSHIDA
from tests.stations import hq_window_session

pytestmark = pytest.mark.postgres

def synced(st):
    result = sync.sync_once(st)
    assert result.ok, result.error
    return result


@pytest.fixture
def district(pg_cluster, hq_key_dir, server_factory, tmp_path):
    url = pg_cluster.create_database()
    store = open_store(url, admin.load_key(hq_key_dir))
    store.init_schema()
    hq = server_factory(url)
    a = hq_window_session(tmp_path, "HP-01", store, hq.url, hq_key_dir)
    b = hq_window_session(tmp_path, "HP-02", store, hq.url, hq_key_dir)
    yield store, hq, a, b
    for st, _s in (a, b):
        st.close()
    store.close()


def test_one_person_through_two_windows(district):
    store, hq, (a, sa), (b, sb) = district
    now = datetime.now(UTC)
    t0 = now - timedelta(days=345)  # the permit (1 year) is within its extension window today

    # 1. accepted at A
    reg = perform(a, "residence_registration", {**YOSHIDA, "arrival_date": "0"}, clerk=sa.clerk, now=t0)
    applied = perform(a, "permit_apply", {"validity_years": "1"}, person_id=reg.person_id, clerk=sa.clerk, now=t0)
    pid, permit_id = reg.person_id, applied.number
    synced(a)

    # 2. found at B by pinyin (no local file), from HQ, and adopted
    found = register.find(b, "jt", clerk_id=sb.clerk.clerk_id)
    assert found.hq == "online"
    assert [(f.source, f.name, f.id_masked, f.station_id) for f in found.results] == [
        ("hq", "𠮷田", "110105********002X", "HP-01")]
    assert "11010519491231002X" not in repr(found.as_dict())
    remote = register.open_remote(b, sb, found.results[0].ref)
    assert register.adopt(b, sb, remote) == pid
    assert people.current_permit(b, pid).status == "accepted"
    assert [(f.source, f.station_id) for f in register.find(b, "jitian", clerk_id=sb.clerk.clerk_id).results] == [
        ("local", "HP-01")]  # now on file here, and it says where it came from

    # collected at B (re-checked with HQ first: online, no note)
    collected = perform(b, "permit_collect", {}, person_id=pid, clerk=sb.clerk, now=t0 + timedelta(days=22))
    assert collected.notes == [] and collected.number.startswith("A210102-HP-02-")
    synced(b)

    # A's file is now behind HQ: a service there is refused with the window that overtook it...
    with pytest.raises(CounterError, match="changed at window HP-02"):
        perform(a, "permit_extend", {"validity_years": "1"}, person_id=pid, clerk=sa.clerk, now=now)
    # ...and F3 offers HQ's newer file, which A adopts (a refresh of its own file)
    newer = [f for f in register.find(a, "jitian", clerk_id=sa.clerk.clerk_id).results if f.source == "hq"]
    assert len(newer) == 1 and newer[0].also_local and newer[0].station_id == "HP-02"
    register.adopt(a, sa, register.open_remote(a, sa, newer[0].ref))
    assert people.current_permit(a, pid).status == "issued"

    # 3. extended at B a year later; A extends too, before it has synced: the double extension
    perform(a, "permit_extend", {"validity_years": "1"}, person_id=pid, clerk=sa.clerk, now=now)
    extended = perform(b, "permit_extend", {"validity_years": "2"}, person_id=pid, clerk=sb.clerk, now=now)
    synced(b)
    assert register.conflicts(b) == []
    synced(a)  # HQ detects it now and says so in A's signed ack

    # 4. HQ's history shows both windows
    with store.transaction() as tx:
        history = tx.all("SELECT station_id, service FROM transactions WHERE person_id = ? ORDER BY station_id, seq",
                         (pid,))
        access = tx.all("SELECT station_id, clerk_id, action FROM hq_register_access ORDER BY access_id")
    assert ("HP-01", "permit_apply") in history and ("HP-02", "permit_collect") in history
    assert ("HP-02", "permit_extend") in history and ("HP-01", "permit_extend") in history
    # every lookup is recorded at HQ, by station and clerk
    assert ("HP-02", sb.clerk.clerk_id, "search") in access and ("HP-02", sb.clerk.clerk_id, "open") in access
    assert ("HP-02", sb.clerk.clerk_id, "permit") in access and ("HP-01", sa.clerk.clerk_id, "open") in access

    # the conflict is shown on both sides: A from its ack, B at its next sync (nothing to push: the cursor)
    [at_a] = register.conflicts(a)
    assert at_a.permit == permit_id and at_a.kind == "double_extend"
    assert {(e["station_id"]) for e in at_a.entries} == {"HP-01", "HP-02"}
    synced(b)
    [at_b] = register.conflicts(b)
    assert at_b.conflict_id == at_a.conflict_id
    assert f"HP-02#{extended.entry.seq}" in at_b.describe()

    # offline: HQ goes away; B works on its local file and says so
    hq.stop()
    offline = register.find(b, "jitian", clerk_id=sb.clerk.clerk_id)
    assert [(f.source, f.name) for f in offline.results] == [("local", "𠮷田")]
    assert offline.hq == "offline" and "working on local data" in offline.hq_message
    changed = perform(b, "permit_change", {"new_address": "沈阳市和平区太原街8号", "change_date": "0"},
                      person_id=pid, clerk=sb.clerk, now=now)
    assert changed.notes == ["hq_offline"]
