"""Bundles into HQ through the sync ingest path: dedup with imports and with network sync, gaps."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pyrage
import pytest

from counter.hq import admin
from counter.hq.bundle_import import import_bundle
from counter.hq.ingest import Gap
from counter.hq.store import open_store
from counter.services import dayclose, export
from counter.sync import bundle as day_bundle
from counter.sync.client import sync_once
from db import journal
from tests.dayclose.conftest import NEXT_PAST_DAY, PAST_DAY, cli_env, run_cli
from tests.dayclose.seed import SUPERVISOR, another_transaction, seed_day
from tests.sync.fixtures import HQServer, hq_rows, local_rows


@pytest.fixture(scope="module")
def hq_keys(tmp_path_factory):
    key_dir = tmp_path_factory.mktemp("hq") / "keys"
    admin.init_keys(key_dir)
    return key_dir


@pytest.fixture
def hq(tmp_path, hq_keys):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url, admin.load_key(hq_keys))
    store.init_schema()
    yield store
    store.close()


@pytest.fixture
def two_days(station, tmp_path, hq):
    """Two closed days, each exported; the station enrolled at HQ."""
    seed_day(station, PAST_DAY, 6)
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    seed_day(station, NEXT_PAST_DAY, 4)
    dayclose.close_day(station, NEXT_PAST_DAY, *SUPERVISOR)
    first, b1 = export.export_day(station, PAST_DAY, tmp_path / "out")
    second, b2 = export.export_day(station, NEXT_PAST_DAY, tmp_path / "out")
    admin.enroll(hq, station.station_id, station.key.public_pem())
    assert b2.manifest["first_seq"] == b1.manifest["last_seq"] + 1  # consecutive days leave no gap
    return first, second


def held(store, station) -> list[tuple]:
    return hq_rows(store, station.station_id)


def test_importing_twice_stores_each_entry_once(station, hq, two_days):
    first, _ = two_days
    manifest, ack = import_bundle(hq, first.read_bytes())
    n = manifest["last_seq"]
    assert (ack.inserted, ack.duplicates, ack.acked_seq) == (n, 0, n)
    again_manifest, again = import_bundle(hq, first.read_bytes())
    assert (again.inserted, again.duplicates, again.acked_seq) == (0, n, n)
    assert held(hq, station) == local_rows(station)[:n]


def test_imports_out_of_order_hit_the_gap_rule(station, hq, two_days):
    first, second = two_days
    with pytest.raises(Gap, match="HQ holds station HP-01 up to seq 0, the batch starts at seq"):
        import_bundle(hq, second.read_bytes())
    assert held(hq, station) == []
    import_bundle(hq, first.read_bytes())
    _, ack = import_bundle(hq, second.read_bytes())
    close2 = station.db.conn.execute("SELECT closed_seq FROM day_closures WHERE business_day = ?",
                                     (NEXT_PAST_DAY,)).fetchone()[0]
    assert ack.acked_seq == close2
    assert held(hq, station) == local_rows(station)[:close2]


def test_a_tampered_bundle_stores_nothing(station, hq, two_days):
    first, _ = two_days
    data = bytearray(first.read_bytes())
    data[len(data) // 2] ^= 0x40
    with pytest.raises(day_bundle.BundleError):
        import_bundle(hq, bytes(data))
    assert held(hq, station) == []


def test_import_then_network_sync_then_import_again_has_no_duplicates(station, hq, hq_keys, two_days, tmp_path):
    first, second = two_days
    import_bundle(hq, first.read_bytes())
    person_id = station.db.conn.execute("SELECT person_id FROM persons LIMIT 1").fetchone()[0]
    another_transaction(station, person_id)
    server = HQServer(hq.url, hq_keys).start()
    try:
        section = station.config.section("sync")
        shutil.copy(hq_keys / "hq.pub", station.data_dir / "keys" / "hq.pub")
        section["hq_public_key"], section["hq_url"] = "keys/hq.pub", server.url
        station.config.save()
        result = sync_once(station)
    finally:
        server.stop()
    assert result.ok, result.error
    head = journal.head(station.db)[0]
    n_first = day_bundle.verify_bundle(first.read_bytes(), station.key.public).manifest["last_seq"]
    assert (result.duplicates, result.pushed, result.acked_seq) == (n_first, head - n_first, head)
    assert held(hq, station) == local_rows(station)
    assert dayclose.reconcile(station, station.business_day()).unsynced == 0
    _, ack = import_bundle(hq, second.read_bytes())  # already synced: all duplicates
    assert ack.inserted == 0 and ack.acked_seq == head
    assert held(hq, station) == local_rows(station)


def test_cli_import_encrypted_bundle(station, hq, hq_keys, two_days, tmp_path):
    district = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "district.key"
    identity_file.write_text(f"{district}\n")
    path, _ = export.export_day(station, PAST_DAY, tmp_path / "enc", recipient=str(district.to_public()))
    env = cli_env()
    args = ("hq", "import", str(path), "--db", hq.url, "--key-dir", str(hq_keys))
    refused = run_cli(*args, env=env)
    assert refused.returncode == 1 and "encrypted" in refused.stderr and "Traceback" not in refused.stderr
    done = run_cli(*args, "--identity", str(identity_file), env=env)
    assert done.returncode == 0, done.stderr
    assert f"station HP-01 day {PAST_DAY}" in done.stdout and "0 already held" in done.stdout
    _, second = two_days
    close2 = day_bundle.verify_bundle(second.read_bytes(), station.key.public).manifest["last_seq"]
    for expected in (" 0 already held", " 0 new"):  # second day: new entries, then all duplicates
        proc = run_cli("hq", "import", str(second), "--db", hq.url, "--key-dir", str(hq_keys), env=env)
        assert proc.returncode == 0 and expected in proc.stdout, proc.stderr
        assert f"HQ holds up to seq {close2}" in proc.stdout
    assert held(hq, station) == local_rows(station)[:close2]


def test_a_late_close_overlaps_the_next_bundle_and_import_deduplicates(station, hq, tmp_path):
    """The next day began before the previous day was closed: its bundle starts at its own first entry."""
    seed_day(station, PAST_DAY, 3)
    seed_day(station, NEXT_PAST_DAY, 3)  # recorded before PAST_DAY's close
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    dayclose.close_day(station, NEXT_PAST_DAY, *SUPERVISOR)
    first, b1 = export.export_day(station, PAST_DAY, tmp_path)
    second, b2 = export.export_day(station, NEXT_PAST_DAY, tmp_path)
    m1, m2 = b1.manifest, b2.manifest
    assert m2["first_seq"] <= m1["last_seq"]  # every entry of the second day is in its own bundle
    assert m1["figures"]["transactions"] == m2["figures"]["transactions"] == 3
    admin.enroll(hq, station.station_id, station.key.public_pem())
    import_bundle(hq, first.read_bytes())
    _, ack = import_bundle(hq, second.read_bytes())
    assert ack.duplicates == m1["last_seq"] - m2["first_seq"] + 1 and ack.acked_seq == m2["last_seq"]
    assert held(hq, station) == local_rows(station)[:m2["last_seq"]]


def test_days_made_by_demo_seed_close_export_and_import_in_order(station, hq, tmp_path):
    """`counter demo seed`'s generator (passports, minority names, late entries) over several days."""
    from counter.services.seed import seed
    from tests.dayclose.seed import clerk_of

    # ending 3 days ago: the generator's clock runs past `now` by the attempts it retries
    result = seed(station, 320, clerk=clerk_of(station), now=datetime.now(UTC) - timedelta(days=3))
    days = dayclose.open_days(station)
    assert len(days) >= 2 and result.transactions == 320
    admin.enroll(hq, station.station_id, station.key.public_pem())
    total = 0
    for day in days:
        dayclose.close_day(station, day, *SUPERVISOR)
        path, bundle = export.export_day(station, day, tmp_path)
        total += bundle.manifest["figures"]["transactions"]
        _, ack = import_bundle(hq, path.read_bytes())
        assert ack.acked_seq == bundle.manifest["last_seq"]
    assert total == 320
    last_close = station.db.conn.execute("SELECT max(closed_seq) FROM day_closures").fetchone()[0]
    assert held(hq, station) == local_rows(station)[:last_close]


def test_importing_for_a_station_not_enrolled_says_how_to_enrol(station, hq_keys, tmp_path):
    seed_day(station, PAST_DAY, 2)
    dayclose.close_day(station, PAST_DAY, *SUPERVISOR)
    bundle, _ = export.export_day(station, PAST_DAY, tmp_path / "out")
    url = f"sqlite:///{tmp_path / 'empty-hq.db'}"
    open_store(url).init_schema()
    proc = run_cli("hq", "import", str(bundle), "--db", url, "--key-dir", str(hq_keys), env=cli_env())
    assert proc.returncode != 0
    assert proc.stderr == (f"error: station {station.station_id} is not enrolled at this HQ; enrol its key first:"
                           f" counter hq enroll --station-id {station.station_id} --public-key STATION.pub\n")


def test_hq_import_of_a_foreign_or_damaged_file_names_it(station, hq, hq_keys, two_days, tmp_path):
    """Worded as 'counter export verify' words it; it said only the reason, not which file."""
    first, _ = two_days
    foreign = tmp_path / "notes.pdf"
    foreign.write_bytes(b"%PDF-1.4 not a bundle")
    damaged = tmp_path / "damaged.tar"
    data = bytearray(first.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    for path in (foreign, damaged):
        proc = run_cli("hq", "import", str(path), "--db", hq.url, "--key-dir", str(hq_keys), env=cli_env())
        assert proc.returncode == 1
        assert proc.stderr.startswith(f"error: {path}: rejected: ") and proc.stderr.count("\n") == 1
    assert held(hq, station) == []  # nothing stored
