"""`counter journal verify` reads the station without opening it for writing, and falls back to the
writer's open where that must run first; the result is the same either way."""

from __future__ import annotations

import os
import sqlite3

import pytest

from counter.journal_check import verify_station_journal
from counter.station import Station
from counter.sync.key_rotation import rotate
from db.connection import DatabaseError, latest_schema_version, open_read_only


@pytest.fixture
def station_dir(tmp_path):
    station = Station.init(tmp_path / "st", "JC-1", "210102", "和平区政务服务中心")
    for name in ("𠮷田", "阿依古丽·买买提"):
        station.record("clerk.added", {"clerk_id": name, "name": name, "role": "clerk", "pin_hash": "x"})
    station.close()
    return tmp_path / "st"


def test_the_read_only_check_changes_no_data_and_agrees_with_the_open_station(station_dir):
    db_file = station_dir / "station.db"
    before = (db_file.read_bytes(), db_file.stat().st_mtime_ns)
    checked = verify_station_journal(station_dir)
    assert checked is not None
    result, notices = checked
    assert (db_file.read_bytes(), db_file.stat().st_mtime_ns) == before and notices == []
    # SQLite's WAL index files, if a read-only reader leaves them, are private like the database
    for extra in (station_dir / "station.db-wal", station_dir / "station.db-shm"):
        assert not extra.exists() or (extra.stat().st_mode & 0o777) == 0o600
    station = Station.open(station_dir)
    try:
        assert result == station.verify_journal()
    finally:
        station.close()
    assert result.ok and result.count == 3


def test_an_edited_row_is_caught_read_only(station_dir):
    conn = sqlite3.connect(station_dir / "station.db", isolation_level=None)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("UPDATE journal SET payload = replace(payload, '𠮷田', '吉田') WHERE seq = 2")
    conn.close()
    result, _ = verify_station_journal(station_dir)
    assert not result.ok and result.bad_seq == 2 and "edited" in result.reason


def test_a_head_signed_by_another_key_is_caught_read_only(station_dir):
    conn = sqlite3.connect(station_dir / "station.db", isolation_level=None)
    conn.execute("UPDATE journal_head SET signature = ?", ("A" * 86,))
    conn.close()
    result, _ = verify_station_journal(station_dir)
    assert not result.ok and "signature" in result.reason


def test_an_older_schema_needs_the_writers_open(station_dir):
    conn = sqlite3.connect(station_dir / "station.db", isolation_level=None)
    conn.execute(f"PRAGMA user_version={latest_schema_version() - 1}")
    conn.close()
    assert open_read_only(station_dir / "station.db") is None
    assert verify_station_journal(station_dir) is None


def test_a_newer_schema_is_refused_in_one_line(station_dir):
    conn = sqlite3.connect(station_dir / "station.db", isolation_level=None)
    conn.execute(f"PRAGMA user_version={latest_schema_version() + 1}")
    conn.close()
    with pytest.raises(DatabaseError, match="newer than this software"):
        open_read_only(station_dir / "station.db")


def test_a_pending_key_rotation_needs_the_writers_open(station_dir):
    (station_dir / "keys" / "station.key.new").write_bytes((station_dir / "keys" / "station.key").read_bytes())
    assert verify_station_journal(station_dir) is None


def test_a_head_signed_before_a_rotation_verifies_with_the_retired_key(station_dir):
    station = Station.open(station_dir)
    try:
        rotate(station)  # the rotation entry's head is signed with the old key, now retired
    finally:
        station.close()
    result, _ = verify_station_journal(station_dir)
    assert result.ok and result.count == 4


def test_a_key_others_can_read_is_a_notice(station_dir):
    key = station_dir / "keys" / "station.key"
    os.chmod(key, 0o644)
    _, notices = verify_station_journal(station_dir)
    assert notices == [f"{key} can be read by other users; run: chmod 600 {key}"]


def test_the_chain_hash_is_hashlibs_sha256_of_the_framed_fields():
    """db.chain hashes with CPython's own SHA-256 (no OpenSSL load): the digests are hashlib's."""
    import hashlib

    from db.chain import HASH_DOMAIN, canonical_json, compute_hash

    header = {"kind": "clerk.added", "clerk_id": "𠮷田", "uuid": "u-1"}
    payload = '{"name":"阿依古丽·买买提"}'
    parts = (HASH_DOMAIN, b"JC-1", b"7", b"ab" * 32, hashlib.sha256(canonical_json(header).encode()).digest(),
             hashlib.sha256(payload.encode()).digest())
    framed = b"".join(len(p).to_bytes(4, "big") + p for p in parts)
    assert compute_hash("JC-1", 7, "ab" * 32, header, payload) == hashlib.sha256(framed).hexdigest()
    assert compute_hash("JC-1", 7, "ab" * 32, header, payload + " ") != hashlib.sha256(framed).hexdigest()


VERIFY_PROBE = """
import atexit, gc, sys
from counter.cli import main
atexit.register(lambda: print("FROZEN:", gc.get_freeze_count() > 0))  # runs after the command's handlers
try:
    main(["journal", "verify", "--data-dir", sys.argv[1]])
except SystemExit as exc:
    print("EXIT:", exc.code, "HASHLIB:", "hashlib" in sys.modules, "COLLECTOR:", gc.isenabled())
    print("SKIPPED:", *(m for m in ("tomllib", "typing", "cryptography.exceptions") if m not in sys.modules))
"""


def test_verify_runs_without_openssls_hashlib_and_gives_the_collector_back(station_dir):
    """...nor, once station.toml is in the checked-config cache, tomllib, typing or cryptography's Python layer."""
    import subprocess
    import sys

    from tests.conftest import REPO, cli_env

    for _ in ("first run: station.toml checked", "second: from the cache"):
        out = subprocess.run([sys.executable, "-c", VERIFY_PROBE, str(station_dir)], capture_output=True,
                             text=True, env=cli_env(), cwd=REPO, timeout=60)
        lines = out.stdout.splitlines()
        assert lines[0].startswith("journal intact: 3 entries"), out.stderr
        assert lines[1] == "EXIT: 0 HASHLIB: False COLLECTOR: True" and lines[3:] == ["FROZEN: True"]
    assert lines[2] == "SKIPPED: tomllib typing cryptography.exceptions"


def test_the_station_key_through_cryptographys_binding_is_of_its_public_classes(station_dir):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    from counter import keys

    assert keys._ed25519 is not None  # this cryptography has the binding the start-up path uses
    key = keys.load_private(station_dir / "keys" / "station.key")
    assert isinstance(key.private, Ed25519PrivateKey) and isinstance(key.public, Ed25519PublicKey)
    message = "阿依古丽·买买提 𠮷".encode()
    signature = key.sign(message)
    assert keys.verify(key.public, message, signature) and keys.verify(key.public_raw, message, signature)
    key.public.verify(keys.unb64(signature), message)  # cryptography's public API agrees
    assert not keys.verify(key.public_raw, message + b".", signature)
    assert not keys.verify(Ed25519PrivateKey.generate().public_key(), message, signature)
    assert not keys.verify(key.public_raw, message, keys.b64(bytes(64)))
    assert not keys.verify(key.public_raw, message, "A")  # not base64 of anything
    with pytest.raises(ValueError):
        keys.verify(b"too short for a key", message, signature)
