"""Safe defaults: no plaintext bundle unless asked, no invented people in a real station."""

from __future__ import annotations

import json
import os
import stat

import pyrage

from counter.station import Station
from tests.dayclose.conftest import PAST_DAY, cli_env, run_cli
from tests.dayclose.seed import SUPERVISOR, make_station, seed_day


def closed_station(tmp_path):
    st = make_station(tmp_path / "station")
    seed_day(st, PAST_DAY, 3)
    st.close()
    env = cli_env(tmp_path / "station")
    done = run_cli("day", "close", "--date", PAST_DAY, "--supervisor", SUPERVISOR[0], "--pin-stdin", "--yes",
                   env=env, stdin=SUPERVISOR[1] + "\n")
    assert done.returncode == 0, done.stderr
    return env


def test_export_refuses_plaintext_unless_a_recipient_is_set_or_no_encrypt_is_given(tmp_path):
    env = closed_station(tmp_path)
    out = tmp_path / "out"
    refused = run_cli("export", "--date", PAST_DAY, "--out", str(out), env=env)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "refusing to write a plaintext bundle" in refused.stderr
    assert "age_recipient" in refused.stderr and "--no-encrypt" in refused.stderr
    assert not out.exists() or not list(out.iterdir())
    shown = run_cli("journal", "show", "--json", env=env)
    assert "day.exported" not in shown.stdout  # nothing journaled for the refusal

    identity = pyrage.x25519.Identity.generate()
    station = Station.open(tmp_path / "station")
    station.config.section("export")["age_recipient"] = str(identity.to_public())
    station.config.save()
    station.close()
    encrypted = run_cli("export", "--date", PAST_DAY, "--out", str(out), "--json", env=env)
    assert encrypted.returncode == 0, encrypted.stderr
    info = json.loads(encrypted.stdout)
    assert info["encrypted"] is True and info["file"].endswith(".tar.age")
    assert open(info["file"], "rb").read().startswith(b"age-encryption.org/v1\n")
    assert stat.S_IMODE(os.stat(info["file"]).st_mode) == 0o600

    plain = run_cli("export", "--date", PAST_DAY, "--out", str(tmp_path / "plain"), "--no-encrypt", "--json", env=env)
    assert plain.returncode == 0, plain.stderr
    info = json.loads(plain.stdout)
    assert info["encrypted"] is False and info["file"].endswith(".tar")
    assert stat.S_IMODE(os.stat(info["file"]).st_mode) == 0o600


def test_demo_seed_refuses_a_station_not_made_by_counter_demo(tmp_path):
    real = tmp_path / "real"
    made = run_cli("init", "--data-dir", str(real), "--station-id", "HP-01", "--district", "210102",
                   "--office", "和平区政务服务中心", env=cli_env())
    assert made.returncode == 0, made.stderr
    refused = run_cli("demo", "seed", "--count", "3", "--data-dir", str(real), env=cli_env())
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "not one made by 'counter demo'" in refused.stderr
    assert "--force" in refused.stderr
    station = Station.open(real)
    assert station.db.conn.execute("SELECT count(*) FROM journal").fetchone()[0] == 1  # only station.initialized
    assert not station.is_demo()
    station.close()

    # a station.toml edited to look like the demo is still not one: the signed first entry decides
    demo_dir = tmp_path / "demo"
    seeded = run_cli("demo", "seed", "--count", "3", "--data-dir", str(demo_dir), env=cli_env())
    assert seeded.returncode == 0, seeded.stderr
    assert "seeded 3 transactions" in seeded.stdout
    again = run_cli("demo", "seed", "--count", "2", "--data-dir", str(demo_dir), env=cli_env())
    assert again.returncode == 0, again.stderr
    demo = Station.open(demo_dir)
    assert demo.is_demo()
    demo.close()

    forced = run_cli("demo", "seed", "--count", "2", "--data-dir", str(real), "--force", env=cli_env())
    assert forced.returncode == 0, forced.stderr
