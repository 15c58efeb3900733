"""`counter person find/adopt/conflicts` as IT and scripts run them, against a real `counter hq serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from counter.hq import admin
from counter.hq.store import open_store
from counter.services import perform
from counter.sync import client as sync
from tests.register.helpers import YOSHIDA
from tests.stations import hq_window
from tests.sync.fixtures import REPO


def counter(data_dir, *args):
    env = {**os.environ, "COUNTER_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "counter", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def two_windows(tmp_path, hq_key_dir, server_factory):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url, admin.load_key(hq_key_dir))
    store.init_schema()
    hq = server_factory(url)
    a, clerk_a = hq_window(tmp_path, "HP-01", store, hq.url, hq_key_dir)
    b, clerk_b = hq_window(tmp_path, "HP-02", store, hq.url, hq_key_dir)
    reg = perform(a, "residence_registration", {**YOSHIDA, "arrival_date": "0"}, clerk=clerk_a)
    perform(a, "permit_apply", {"validity_years": "1"}, person_id=reg.person_id, clerk=clerk_a)
    assert sync.sync_once(a).ok
    a.close()
    b.close()
    yield hq, b.data_dir, clerk_b, reg.person_id
    store.close()


def test_find_then_adopt_from_the_command_line(two_windows):
    hq, b_dir, clerk_b, pid = two_windows
    local = counter(b_dir, "person", "find", "jitian", "--json")
    assert local.returncode == 1 and json.loads(local.stdout)["results"] == []
    assert "HQ not asked: pass --clerk ID" in local.stderr  # lookups at HQ are recorded per clerk
    found = counter(b_dir, "person", "find", "jitian", "--clerk", clerk_b.clerk_id, "--json")
    assert found.returncode == 0, found.stderr
    data = json.loads(found.stdout)
    assert data["hq"] == "online"
    [r] = data["results"]
    assert (r["source"], r["name"], r["id_masked"], r["station_id"]) == ("hq", "𠮷田", "110105********002X", "HP-01")
    assert "11010519491231002X" not in found.stdout
    text = counter(b_dir, "person", "find", "jt", "--clerk", clerk_b.clerk_id)
    assert "HQ (last at HP-01)" in text.stdout and "110105********002X" in text.stdout
    adopted = counter(b_dir, "person", "adopt", r["ref"], "--clerk", clerk_b.clerk_id, "--json")
    assert adopted.returncode == 0, adopted.stderr
    out = json.loads(adopted.stdout)
    assert out["person_id"] == pid and out["source_station"] == "HP-01"
    assert [p["status"] for p in out["permits"]] == ["accepted"]
    again = counter(b_dir, "person", "find", "jt", "--clerk", clerk_b.clerk_id)
    assert again.stdout.startswith("𠮷田  110105********002X  1949-12-31  here (adopted from HP-01)")
    unknown = counter(b_dir, "person", "adopt", "no-such-ref", "--clerk", clerk_b.clerk_id)
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: HQ refused the request (404)")
    assert len(unknown.stderr.strip().splitlines()) == 1
    # HQ gone: local results and one note line, no traceback
    hq.stop()
    offline = counter(b_dir, "person", "find", "jt", "--clerk", clerk_b.clerk_id)
    assert offline.returncode == 0 and "here (adopted from HP-01)" in offline.stdout
    assert offline.stderr.startswith("note: HQ unreachable at") and "Traceback" not in offline.stderr
    bad = counter(b_dir, "person", "adopt", "no-such-ref", "--clerk", clerk_b.clerk_id)
    assert bad.returncode == 1 and bad.stderr.startswith("error: HQ unreachable")
    none = counter(b_dir, "person", "conflicts")
    assert none.returncode == 0 and none.stdout.strip() == "no register conflicts"


def test_person_conflicts_shows_a_resolution_until_it_is_old_and_acted_on(station):
    """HQ's resolution of a conflict, as an ack brought it: `counter person conflicts` lists it by default
    (it asks this window to void its entry), with who decided, when and why; JSON carries the same."""
    from counter.sync.state import store_conflicts, store_resolutions
    from db.connection import write_transaction

    item = {"conflict_id": 8, "permit": "A210102-HP-01-20260302-00003X", "kind": "double_extend",
            "entries": [{"station_id": "HP-01", "seq": 41, "kind": "service.permit_extend"},
                        {"station_id": station.station_id, "seq": 3, "kind": "service.permit_extend"}],
            "detected_at": "2026-03-02T02:00:00.000000Z", "status": "resolved",
            "resolution": {"keep": "first", "reason": "HP-01 先办理", "resolved_by": "区管理员",
                           "resolved_at": "2026-03-03T02:00:00.000000Z"}}
    with write_transaction(station.db):
        store_conflicts(station.db, [item])
        store_resolutions(station, [item])
    data_dir = station.data_dir
    station.close()
    shown = counter(data_dir, "person", "conflicts")
    assert shown.returncode == 0 and shown.stdout.startswith("8  resolved  permit A210102-HP-01-20260302-00003X")
    assert "resolved at HQ by 区管理员 on 2026-03-03: the entry that reached HQ first stands (HP-01 先办理)" in shown.stdout
    assert "void seq 3 at this window" in shown.stdout
    [as_json] = json.loads(counter(data_dir, "person", "conflicts", "--json").stdout)
    assert as_json["resolution"]["to_void"] == [item["entries"][1]] and as_json["resolved_at"] == "2026-03-03T02:00:00.000000Z"
