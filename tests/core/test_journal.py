"""The journal is append-only and every kind of tampering is caught by verify."""

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from db import journal, rebuild


def _fill(station, n=6):
    for i in range(n):
        station.record("test.note", {"i": i, "name": "阿依古丽·买买提 𠮷"}, clerk_id="c1")


def _raw(station) -> sqlite3.Connection:
    """A second connection that drops the guards, as an attacker with file access would."""
    conn = sqlite3.connect(station.db_path if hasattr(station, "db_path") else station.data_dir / "station.db",
                           isolation_level=None)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("DROP TRIGGER journal_no_delete")
    return conn


def test_appends_chain_and_verify(station):
    _fill(station)
    result = station.verify_journal()
    assert result.ok and result.count == 7 and result.head_seq == 7
    rows = list(journal.entries(station.db))
    assert [e.seq for e in rows] == list(range(1, 8))
    assert rows[0].prev_hash == journal.GENESIS_HASH
    for a, b in zip(rows, rows[1:], strict=False):
        assert b.prev_hash == a.hash
    assert rows[-1].data["name"] == "阿依古丽·买买提 𠮷"


def test_triggers_refuse_update_and_delete(station):
    _fill(station, 2)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        station.db.conn.execute("UPDATE journal SET payload = '{}' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        station.db.conn.execute("DELETE FROM journal WHERE seq = 2")


def test_edited_payload_is_caught(station):
    _fill(station)
    _raw(station).execute("UPDATE journal SET payload = ? WHERE seq = 4", (json.dumps({"i": 99}),))
    r = station.verify_journal()
    assert not r.ok and r.bad_seq == 4 and "edited" in r.reason


def test_edited_metadata_is_caught(station):
    _fill(station)
    _raw(station).execute("UPDATE journal SET clerk_id = 'someone-else' WHERE seq = 3")
    r = station.verify_journal()
    assert not r.ok and r.bad_seq == 3 and "edited" in r.reason


def test_deleted_row_is_caught(station):
    _fill(station)
    _raw(station).execute("DELETE FROM journal WHERE seq = 3")
    r = station.verify_journal()
    assert not r.ok and r.bad_seq == 3 and "missing" in r.reason


def test_reordered_rows_are_caught(station):
    _fill(station)
    raw = _raw(station)
    cols = "uuid, business_day, device_time_utc, monotonic_ns, boot_id, clerk_id, kind, schema_ver, payload, prev_hash, hash"
    a = raw.execute(f"SELECT {cols} FROM journal WHERE seq = 3").fetchone()
    b = raw.execute(f"SELECT {cols} FROM journal WHERE seq = 4").fetchone()
    sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
    raw.execute("UPDATE journal SET uuid = uuid || 'x', hash = hash || 'x' WHERE seq IN (3, 4)")
    raw.execute(f"UPDATE journal SET {sets} WHERE seq = 3", b)
    raw.execute(f"UPDATE journal SET {sets} WHERE seq = 4", a)
    r = station.verify_journal()
    assert not r.ok and r.bad_seq == 3 and "reordered" in r.reason


def test_inserted_row_in_the_middle_is_caught(station):
    _fill(station)
    raw = _raw(station)
    # shift seq 4.. up by one and forge a well-formed entry at seq 4
    for seq in range(7, 3, -1):
        raw.execute("UPDATE journal SET seq = ? WHERE seq = ?", (seq + 1, seq))
    prev = raw.execute("SELECT hash FROM journal WHERE seq = 3").fetchone()[0]
    header = {"uuid": "forged", "business_day": "2026-11-21", "device_time_utc": "2026-11-21T01:00:00.000000Z",
              "monotonic_ns": 1, "boot_id": "x", "clerk_id": "c1", "kind": "test.note", "schema_ver": 1}
    payload = journal.canonical_json({"forged": True})
    digest = journal.compute_hash(station.station_id, 4, prev, header, payload)
    raw.execute("INSERT INTO journal VALUES (4, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*header.values(), payload, prev, digest))
    r = station.verify_journal()
    assert not r.ok and r.bad_seq == 5 and "reordered, inserted" in r.reason


def test_row_appended_without_the_station_key_is_caught(station):
    _fill(station)
    raw = _raw(station)
    seq, prev = raw.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    header = {"uuid": "forged", "business_day": "2026-11-21", "device_time_utc": "2026-11-21T01:00:00.000000Z",
              "monotonic_ns": 1, "boot_id": "x", "clerk_id": "c1", "kind": "test.note", "schema_ver": 1}
    payload = journal.canonical_json({"forged": True})
    digest = journal.compute_hash(station.station_id, seq + 1, prev, header, payload)
    raw.execute("INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq + 1, *header.values(), payload, prev, digest))
    r = station.verify_journal()
    assert not r.ok and r.bad_seq == seq + 1 and "without the station key" in r.reason


def test_truncation_is_caught_by_the_signed_head(station):
    _fill(station)
    _raw(station).execute("DELETE FROM journal WHERE seq >= 6")
    r = station.verify_journal()
    assert not r.ok and r.bad_seq == 6 and "truncated" in r.reason


def test_truncation_with_a_rewritten_head_is_caught_by_the_signature(station):
    _fill(station)
    raw = _raw(station)
    raw.execute("DELETE FROM journal WHERE seq >= 6")
    seq, digest = raw.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    raw.execute("UPDATE journal_head SET seq = ?, hash = ?", (seq, digest))
    r = station.verify_journal()
    assert not r.ok and "signature" in r.reason


def test_truncation_below_headquarters_ack_is_caught(station):
    _fill(station)
    head = station.verify_journal()
    raw = _raw(station)
    raw.execute("DELETE FROM journal WHERE seq >= 6")
    # an attacker holding the station key re-signs the shortened head: only HQ's ack remains
    seq, digest = raw.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    signature = station.key.sign(journal.head_message(station.station_id, seq, digest))
    raw.execute("UPDATE journal_head SET seq = ?, hash = ?, signature = ?", (seq, digest, signature))
    assert station.verify_journal().ok
    r = station.verify_journal(acked=(head.head_seq, head.head_hash))
    assert not r.ok and "truncated" in r.reason


def test_device_clock_jumps_do_not_break_the_chain(station):
    now = datetime.now(UTC)
    station.record("test.note", {"i": 1}, now=now)
    station.record("test.note", {"i": 2}, now=now - timedelta(days=400))  # clock jumped back
    station.record("test.note", {"i": 3}, now=now + timedelta(days=400))  # and forward
    assert station.verify_journal().ok
    assert [e.data.get("i") for e in journal.entries(station.db)][1:] == [1, 2, 3]


def test_business_day_uses_station_time_zone(station):
    # 2026-11-21 17:30 UTC is already 2026-11-22 01:30 in Asia/Shanghai
    e = station.record("test.note", {}, now=datetime(2026, 11, 21, 17, 30, tzinfo=UTC))
    assert e.business_day == "2026-11-22"


def test_closed_day_sends_new_entries_to_the_next_day(station):
    moment = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    station.record("day.closed", {"business_day": "2026-11-21"}, clerk_id="sup", now=moment)
    e = station.record("test.note", {}, now=moment + timedelta(hours=1))
    assert e.business_day == "2026-11-22"


def test_failed_projection_rolls_back_the_entry(station):
    _fill(station, 1)
    before = station.verify_journal().head_seq

    def boom(db, entry):
        raise RuntimeError("crash between journal and projection")

    with pytest.raises(RuntimeError):
        station.record("test.note", {"i": "lost"}, extra=boom)
    assert station.verify_journal().head_seq == before
    assert station.verify_journal().ok


def test_rebuild_reproduces_projections_exactly(station):
    from counter.services import clerks

    clerks.add_clerk(station, "张𠮷", "supervisor", "4321")
    clerks.add_clerk(station, "阿依古丽·买买提", "clerk", "1234")
    session = clerks.sign_in(station, "阿依古丽·买买提", "1234")
    clerks.open_record(station, session, "person", "p-1")
    clerks.lock(station, session)
    clerks.add_clerk(station, "王芳", "supervisor", "2468")  # the last active supervisor cannot be disabled
    clerks.set_active(station, "张𠮷", False)
    clerks.sign_out(station, session)
    before = rebuild.checksum(station.db)
    station.db.conn.execute("DELETE FROM access_log")
    assert rebuild.checksum(station.db) != before
    rebuild.rebuild(station.db)
    assert rebuild.checksum(station.db) == before


def test_the_entry_schema_is_defined_once():
    """db.entry.ENTRY_SCHEMA is the entry: Entry, the sync protocol and HQ's EntryModel follow it."""
    from counter.hq.server import EntryModel
    from counter.sync.protocol import _ENTRY_TYPES, check_entry
    from db.entry import ENTRY_FIELDS, ENTRY_SCHEMA, HEADER_FIELDS, Entry

    assert Entry._fields == ENTRY_FIELDS == tuple(_ENTRY_TYPES)
    assert tuple(EntryModel.model_fields) == ENTRY_FIELDS
    assert HEADER_FIELDS == ("uuid", "business_day", "device_time_utc", "monotonic_ns", "boot_id", "clerk_id",
                             "kind", "schema_ver")
    props = EntryModel.model_json_schema()["properties"]
    for column in ENTRY_SCHEMA:
        if column.low is not None:
            assert (props[column.name]["minimum"], props[column.name]["maximum"]) == (column.low, column.high)
        if column.pattern:
            assert props[column.name]["pattern"] == column.pattern
    good = {"seq": 1, "uuid": "u", "business_day": "2026-11-21", "device_time_utc": "t", "monotonic_ns": 0,
            "boot_id": "b", "clerk_id": None, "kind": "k", "schema_ver": 1, "payload": "{}",
            "prev_hash": "0" * 64, "hash": "a" * 64}
    assert check_entry(dict(good), 0) == good
    EntryModel.model_validate(good)
