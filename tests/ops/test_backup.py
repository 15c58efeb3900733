"""Backups: a live station backed up, restored after HQ moved on, caught up from HQ, synced; HQ's SQLite too."""

from __future__ import annotations

import os
import shutil
import stat

import pyrage

from counter.hq import admin
from counter.station import Station
from counter.sync import client as sync
from tests.sync.fixtures import cli_env, fill, local_rows, run_cli, served_station


def test_a_backup_older_than_hq_is_restored_and_caught_up_from_hq_without_a_fork(tmp_path, hq_key_dir,
                                                                                     server_factory):
    db_url, store, server, st = served_station(tmp_path, hq_key_dir, server_factory, 20)
    district = pyrage.x25519.Identity.generate()
    (tmp_path / "district.key").write_text(str(district) + "\n")
    env = cli_env(COUNTER_DATA_DIR=str(st.data_dir))

    plain = run_cli("backup", "--out", str(tmp_path / "b.tar"), env=env)
    assert plain.returncode == 2 and "refusing to write a plaintext backup" in plain.stderr
    assert not (tmp_path / "b.tar").exists()

    out = tmp_path / "backups" / "hp01.tar.age"
    made = run_cli("backup", "--out", str(out), "--include-keys", "--encrypt-to", str(district.to_public()), env=env)
    assert made.returncode == 0, made.stderr  # the station is open in this process meanwhile: a live backup
    assert "up to seq 21" in made.stdout and "encrypted" in made.stdout and "with the private keys" in made.stdout
    raw = out.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1\n") and "测试".encode() not in raw
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600

    fill(st, 15)  # HQ moves on after the backup
    assert sync.sync_once(st).ok
    expected = local_rows(st)
    st.close()
    shutil.rmtree(st.data_dir)  # the disk dies

    new_dir = tmp_path / "restored"
    server.stop()  # HQ down: a restore that cannot catch up leaves nothing (it would fork later)
    offline = run_cli("restore", str(out), "--identity", str(tmp_path / "district.key"), "--data-dir",
                      str(new_dir), env=cli_env())
    assert offline.returncode == 1 and "HQ unreachable" in offline.stderr and "nothing was restored" in offline.stderr
    assert not (new_dir / "station.toml").exists() and not (new_dir / "station.db").exists()
    server.start()
    no_identity = run_cli("restore", str(out), "--data-dir", str(new_dir), env=cli_env())
    assert no_identity.returncode == 2 and "--identity" in no_identity.stderr
    wrong = pyrage.x25519.Identity.generate()
    (tmp_path / "wrong.key").write_text(str(wrong) + "\n")
    bad = run_cli("restore", str(out), "--identity", str(tmp_path / "wrong.key"), "--data-dir", str(new_dir),
                  env=cli_env())
    assert bad.returncode == 1 and "cannot be decrypted" in bad.stderr and not (new_dir / "station.toml").exists()

    restored = run_cli("restore", str(out), "--identity", str(tmp_path / "district.key"), "--data-dir",
                       str(new_dir), env=cli_env())
    assert restored.returncode == 0, restored.stderr
    assert "up to seq 21" in restored.stdout and "fetched and verified 15 entries" in restored.stdout
    assert stat.S_IMODE(os.stat(new_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(new_dir / "keys" / "station.key").st_mode) == 0o600
    back = Station.open(new_dir)
    assert local_rows(back) == expected
    assert back.verify_journal().ok
    fill(back, 3)
    result = sync.sync_once(back)
    assert result.ok, result.error
    status = {r["station_id"]: r for r in admin.status(store)}["HP-01"]
    assert status["acked_seq"] == 39 and not status["quarantined"]
    assert not admin.alarms(store, "HP-01")
    back.close()
    store.close()


def test_hq_sqlite_backup_restores_and_stations_sync_to_it(tmp_path, hq_key_dir, server_factory):
    db_url, store, server, st = served_station(tmp_path, hq_key_dir, server_factory, 12)
    out = tmp_path / "hq-backups" / "hq-1.db"
    made = run_cli("hq", "backup", "--db", db_url, "--out", str(out), env=cli_env())
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    again = run_cli("hq", "backup", "--db", db_url, "--out", str(out), env=cli_env())
    assert again.returncode == 2 and "never overwrites" in again.stderr
    pg = run_cli("hq", "backup", "--db", "postgresql://hq@127.0.0.1:1/hq", "--out", str(tmp_path / "x"), env=cli_env())
    assert pg.returncode == 2 and "pg_dump" in pg.stderr and pg.stderr.count("\n") == 1
    server.stop()
    store.close()

    # HQ's disk dies: the backup goes into place and HQ serves again
    restored_path = tmp_path / "hq-restored.db"
    shutil.copy(out, restored_path)
    restored_url = f"sqlite:///{restored_path}"
    verify = run_cli("hq", "verify", "--db", restored_url, env=cli_env())
    assert verify.returncode == 0 and "ok 13 entries" in verify.stdout
    server2 = server_factory(restored_url)
    st.config.section("sync")["hq_url"] = server2.url
    st.config.save()
    fill(st, 4)
    result = sync.sync_once(st)
    assert result.ok, result.error
    assert result.pushed == 4
    st.close()
