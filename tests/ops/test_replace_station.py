"""Replacing a broken station PC: HQ rekeys it, the new PC rebuilds from HQ and continues, no fork.

Real components: `counter hq serve` on loopback (SQLite), two stations syncing to it, the CLI as IT runs it.
"""

from __future__ import annotations

import sqlite3

from counter.hq import admin
from counter.station import Station
from counter.sync import client as sync
from tests.sync.fixtures import cli_env, fill, fresh_hq, make_station, run_cli, served_station


def seeded_station(root, station_id, hq_url, hq_key_dir, count):
    from counter.services import clerks
    from counter.services.seed import seed

    st = make_station(root, station_id, hq_url, hq_key_dir)
    clerks.add_clerk(st, "王芳", "supervisor", "2468")
    clerks.add_clerk(st, "阿依古丽·买买提", "clerk", "1357", approved_by=clerks.find_clerk(st, "王芳"))
    seed(st, count, clerk=clerks.find_clerk(st, "王芳"), rng_seed=hash(station_id) % 1000)
    return st


def persons(st: Station) -> list[tuple]:
    return [tuple(r) for r in st.db.conn.execute("SELECT * FROM persons ORDER BY 1").fetchall()]


def test_a_replaced_pc_restores_from_hq_and_continues_without_a_fork(tmp_path, hq_key_dir, server_factory):
    db_url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = fresh_hq(db_url, hq_key_dir)
    server = server_factory(db_url)
    old = seeded_station(tmp_path, "HP-01", server.url, hq_key_dir, 60)
    other = seeded_station(tmp_path, "HP-02", server.url, hq_key_dir, 20)
    for st in (old, other):
        admin.enroll(store, st.station_id, st.key.public_pem())
        assert sync.sync_once(st).ok
    acked = sync.sync_status(old)["acked_seq"]
    old_people = persons(old)
    assert any("𠮷" in str(p) or "·" in str(p) for p in old_people)
    fill(old, 3)  # recorded after the last sync: lost with the old disk
    old_key = old.key

    new_dir = tmp_path / "new-pc"
    env = cli_env()
    hq_pub = str(hq_key_dir / "hq.pub")
    first = run_cli("init", "--restore-from-hq", server.url, "--station-id", "HP-01", "--hq-public-key", hq_pub,
                    "--data-dir", str(new_dir), env=env)
    assert first.returncode == 0, first.stderr
    assert "counter hq rekey HP-01" in first.stdout
    assert (new_dir / "keys" / "station.pub").exists() and not (new_dir / "station.toml").exists()

    early = run_cli("init", "--restore-from-hq", server.url, "--station-id", "HP-01", "--hq-public-key", hq_pub,
                    "--data-dir", str(new_dir), env=env)  # HQ does not know this PC's key yet
    assert early.returncode == 1 and early.stderr.count("\n") == 1 and "counter hq rekey" in early.stderr
    assert not (new_dir / "station.toml").exists() and not (new_dir / "station.db").exists()

    no_reason = run_cli("hq", "rekey", "HP-01", "--db", db_url, "--public-key", str(new_dir / "keys" / "station.pub"),
                        "--reason", " ", "--approved-by", "李主管", "--yes", env=env)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    rekeyed = run_cli("hq", "rekey", "HP-01", "--db", db_url, "--public-key", str(new_dir / "keys" / "station.pub"),
                      "--reason", "disk failed, ticket 4711", "--approved-by", "李主管", "--yes", env=env)
    assert rekeyed.returncode == 0, rekeyed.stderr
    assert f"at seq {acked}" in rekeyed.stdout
    keys = {k["key_id"]: k for k in admin.keys_of(store, "HP-01")}
    assert keys[old_key.key_id]["status"] == "revoked" and keys[old_key.key_id]["retired_seq"] == acked
    assert "disk failed" in keys[old_key.key_id]["retire_reason"]
    new_key_id = next(k for k, v in keys.items() if v["status"] == "active")
    assert keys[new_key_id]["approved_by"] == "李主管"
    again = run_cli("hq", "rekey", "HP-01", "--db", db_url, "--public-key", str(new_dir / "keys" / "station.pub"),
                    "--reason", "again", "--approved-by", "李主管", "--yes", env=env)
    assert again.returncode == 1 and "enrolled before" in again.stderr

    restored = run_cli("init", "--restore-from-hq", server.url, "--station-id", "HP-01", "--hq-public-key", hq_pub,
                       "--data-dir", str(new_dir), env=env)
    assert restored.returncode == 0, restored.stderr
    assert f"{acked} entries from HQ verified" in restored.stdout
    assert f"continuing at seq {acked + 1}" in restored.stdout
    assert "are lost with its disk" in restored.stderr and "interval_seconds" in restored.stderr
    assert "HQ accepted" in restored.stdout
    assert "Traceback" not in restored.stderr

    assert "clerk(s) came back without a PIN" in restored.stdout
    # PINs never leave a station: the first supervisor's is set without approval, later ones with it
    denv = cli_env(COUNTER_DATA_DIR=str(new_dir))
    from tests.conftest import run_cli as run_with_input

    first_pin = run_with_input("clerk", "pin", "王芳", "--pin-stdin", env=denv, input="8642\n")
    assert first_pin.returncode == 0, first_pin.stderr
    unapproved = run_with_input("clerk", "pin", "阿依古丽·买买提", "--pin-stdin", env=denv, input="9753\n")
    assert unapproved.returncode == 2 and "--supervisor" in unapproved.stderr
    approved = run_with_input("clerk", "pin", "阿依古丽·买买提", "--supervisor", "王芳", "--pin-stdin", env=denv,
                       input="8642\n9753\n")
    assert approved.returncode == 0 and "approved by 王芳" in approved.stdout, approved.stderr
    twice = run_with_input("clerk", "pin", "王芳", "--supervisor", "王芳", "--pin-stdin", env=denv, input="8642\n1111\n")
    assert twice.returncode == 2 and "already has a PIN" in twice.stderr

    new = Station.open(new_dir)
    from counter.services import clerks

    assert clerks.sign_in(new, "阿依古丽·买买提", "9753")
    assert new.key.key_id == new_key_id
    assert new.verify_journal().ok
    assert persons(new) == old_people  # the projections rebuilt from HQ's copy
    assert new.config.district == old.config.district and new.config.office == old.config.office
    # continues: new entries sync under the new key, no quarantine, no fork alarm
    fill(new, 5)
    result = sync.sync_once(new)
    assert result.ok, result.error
    status = {r["station_id"]: r for r in admin.status(store)}
    assert status["HP-01"]["acked_seq"] == new.db.conn.execute("SELECT max(seq) FROM journal").fetchone()[0] and not status["HP-01"]["quarantined"]
    assert status["HP-01"]["active_key_id"] == new_key_id
    assert not [a for a in admin.alarms(store, "HP-01") if a["kind"] in ("fork", "chain_broken", "bad_signature")]
    assert [a["kind"] for a in admin.alarms(store, "HP-01")] == ["rekey"]
    assert admin.verify_station(store, "HP-01").ok

    # the old PC's key is refused from now on, and changes nothing
    refused = sync.sync_once(old)
    assert not refused.ok and "401" in refused.error
    assert {r["station_id"]: r for r in admin.status(store)}["HP-01"]["acked_seq"] == status["HP-01"]["acked_seq"]
    # the other station is untouched
    fill(other, 2)
    assert sync.sync_once(other).ok
    # HQ still holds every entry of the station's people (what the district register reads)
    with store.transaction() as tx:
        held = tx.one("SELECT count(*) FROM hq_journal WHERE station_id = 'HP-01' AND seq <= ?", (acked,))[0]
    assert held == acked
    new.close()
    old.close()
    other.close()
    store.close()


def test_a_tampered_hq_copy_is_refused_and_nothing_is_left(tmp_path, hq_key_dir, server_factory):
    db_url, store, server, old = served_station(tmp_path, hq_key_dir, server_factory, 30)
    new_dir = tmp_path / "new-pc"
    hq_pub = str(hq_key_dir / "hq.pub")
    args = ("init", "--restore-from-hq", server.url, "--station-id", "HP-01", "--hq-public-key", hq_pub,
            "--data-dir", str(new_dir))
    assert run_cli(*args, env=cli_env()).returncode == 0
    admin.rekey(store, "HP-01", (new_dir / "keys" / "station.pub").read_bytes(), reason="disk", approved_by="李")

    # someone with access to HQ's database changes one entry (and its hash, to keep the chain "valid")
    conn = sqlite3.connect(tmp_path / "hq.db")
    conn.execute("UPDATE hq_journal SET payload = replace(payload, '测试', '篡改') WHERE station_id = 'HP-01'"
                 " AND seq = 7")
    conn.commit()
    conn.close()
    refused = run_cli(*args, env=cli_env())
    assert refused.returncode == 1, refused.stdout
    assert refused.stderr.count("\n") == 1 and "seq 7" in refused.stderr and "nothing was restored" in refused.stderr
    assert sorted(p.name for p in new_dir.iterdir()) == ["keys"]
    old.close()
    store.close()


def test_restore_from_an_hq_on_postgresql_with_several_workers(pg_cluster, hq_key_dir, server_factory, tmp_path):
    db_url = pg_cluster.create_database()
    store = fresh_hq(db_url, hq_key_dir)
    server = server_factory(db_url, workers=2)
    old = make_station(tmp_path, "PG-01", server.url, hq_key_dir, batch_size=100)
    fill(old, 450)
    admin.enroll(store, "PG-01", old.key.public_pem())
    assert sync.sync_once(old).ok
    new_dir = tmp_path / "new-pc"
    args = ("init", "--restore-from-hq", server.url, "--station-id", "PG-01", "--hq-public-key",
            str(hq_key_dir / "hq.pub"), "--data-dir", str(new_dir))
    assert run_cli(*args, env=cli_env()).returncode == 0
    admin.rekey(store, "PG-01", (new_dir / "keys" / "station.pub").read_bytes(), reason="disk", approved_by="李")
    restored = run_cli(*args, env=cli_env())
    assert restored.returncode == 0, restored.stderr
    assert "451 entries from HQ verified (5 station signatures" in restored.stdout
    new = Station.open(new_dir)
    assert new.verify_journal().ok
    assert [tuple(r) for r in new.db.conn.execute("SELECT seq, hash FROM journal WHERE seq <= 451 ORDER BY seq")] == \
        [tuple(r) for r in old.db.conn.execute("SELECT seq, hash FROM journal ORDER BY seq")]
    assert {r["station_id"]: r for r in admin.status(store)}["PG-01"]["acked_seq"] == 452
    new.close()
    old.close()
    store.close()


def test_the_journal_endpoint_answers_only_the_station_itself(tmp_path, hq_key_dir, server_factory):
    import httpx

    from tests.sync.fixtures import signed_get

    db_url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = fresh_hq(db_url, hq_key_dir)
    server = server_factory(db_url)
    own = make_station(tmp_path, "HP-01", server.url, hq_key_dir)
    other = make_station(tmp_path, "HP-02", server.url, hq_key_dir)
    for st in (own, other):
        fill(st, 4)
        admin.enroll(store, st.station_id, st.key.public_pem())
        assert sync.sync_once(st).ok
    url = f"{server.url}/v1/stations/HP-01/journal?after=0&limit=10"
    assert httpx.get(url).status_code == 401  # unsigned
    stolen = signed_get(url, other)  # another enrolled station's valid signature
    assert stolen.status_code == 401 and stolen.json()["error"] == "unauthorized"
    assert "测试" not in stolen.text
    mine = signed_get(url, own)
    assert mine.status_code == 200 and [e["seq"] for e in mine.json()["entries"]] == [1, 2, 3, 4, 5]
    for bad in ("after=-1", "limit=0", "limit=100000", "after=x"):
        refused = signed_get(f"{server.url}/v1/stations/HP-01/journal?{bad}", own)
        assert refused.status_code == 400 and refused.json()["error"] == "malformed", bad
    own.close()
    other.close()
    store.close()
