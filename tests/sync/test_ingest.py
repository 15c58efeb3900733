"""counter.hq.ingest.ingest_batch on both backends (parametrised): the rules of the protocol."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter import keys
from counter.hq import admin
from counter.hq.ingest import (
    ChainBroken,
    Fork,
    Gap,
    KeyRejected,
    MalformedBatch,
    Quarantined,
    UnknownStation,
    ingest_batch,
)
from counter.sync.protocol import ack_message, checkpoint_message
from db import journal
from tests.sync.fixtures import (
    clone_station,
    enroll_station,
    fill,
    hq_rows,
    local_rows,
    make_station,
    raw_batch,
)


@pytest.fixture
def station(tmp_path, store):
    st = make_station(tmp_path, "ST-1")
    fill(st, 29)  # plus station.initialized = 30 entries
    enroll_station(store, st)
    yield st
    st.close()


def verify_ack(store, ack) -> bool:
    return keys.verify(store.hq_key.public, ack_message(ack.station_id, ack.acked_seq, ack.acked_hash,
                                                            ack.server_time), ack.signature)


def test_batches_are_stored_byte_exact_and_acked_with_a_signature(store, station):
    ack1 = ingest_batch(store, raw_batch(station, 1, 10))
    ack2 = ingest_batch(store, raw_batch(station, 11, 30).as_dict())  # the dict form, as bundle import passes it
    assert (ack1.acked_seq, ack1.inserted, ack2.acked_seq, ack2.inserted) == (10, 10, 30, 20)
    assert ack2.acked_hash == journal.get(station.db, 30).hash
    assert verify_ack(store, ack1) and verify_ack(store, ack2)
    assert hq_rows(store, "ST-1") == local_rows(station)
    payloads = "".join(r[9] for r in hq_rows(store, "ST-1"))
    assert "𠮷" in payloads and "阿依古丽·买买提" in payloads and "䶮" in payloads
    assert admin.verify_station(store, "ST-1").ok


def test_duplicate_and_overlapping_batches_are_counted_not_stored_twice(store, station):
    ingest_batch(store, raw_batch(station, 1, 10))
    again = ingest_batch(store, raw_batch(station, 1, 10))
    assert (again.acked_seq, again.inserted, again.duplicates) == (10, 0, 10)
    overlap = ingest_batch(store, raw_batch(station, 6, 20))
    assert (overlap.acked_seq, overlap.inserted, overlap.duplicates) == (20, 10, 5)
    # an old batch arriving late (a lost reply, resent) is acked with HQ's cursor, not its own end
    late = ingest_batch(store, raw_batch(station, 3, 8))
    assert (late.acked_seq, late.inserted, late.duplicates) == (20, 0, 6)
    assert [r[0] for r in hq_rows(store, "ST-1")] == list(range(1, 21))


def test_concurrent_identical_batches_insert_once(store, station):
    batch = raw_batch(station, 1, 30)
    acks, errors = [], []

    def push():
        try:
            acks.append(ingest_batch(store, batch))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=push) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(a.inserted for a in acks) == 30
    assert sum(a.duplicates for a in acks) == 30 * 5
    assert {a.acked_seq for a in acks} == {30}
    assert len(hq_rows(store, "ST-1")) == 30


def test_a_gap_is_refused_with_hq_signed_cursor(store, station):
    ingest_batch(store, raw_batch(station, 1, 10))
    with pytest.raises(Gap) as info:
        ingest_batch(store, raw_batch(station, 15, 20))
    cursor = info.value.body()["cursor"]
    assert (cursor["acked_seq"], cursor["acked_hash"]) == (10, journal.get(station.db, 10).hash)
    assert keys.verify(store.hq_key.public, ack_message("ST-1", 10, cursor["acked_hash"], cursor["server_time"]),
                           cursor["signature"])
    assert len(hq_rows(store, "ST-1")) == 10


def test_a_fork_quarantines_the_station_and_raises_an_alarm(store, station, tmp_path):
    ingest_batch(store, raw_batch(station, 1, 20))
    # same station id and key, different history from seq 11 on (e.g. a cloned or restored disk)
    twin = clone_station(station, tmp_path / "twin", keep_until=10)
    fill(twin, 12, kind="test.other")
    with pytest.raises(Fork):
        ingest_batch(store, raw_batch(twin, 5, 22))
    status = {s["station_id"]: s for s in admin.status(store)}["ST-1"]
    assert status["quarantined"] and status["acked_seq"] == 20
    assert [r[0] for r in hq_rows(store, "ST-1")] == list(range(1, 21))  # nothing of the forked batch inserted
    assert hq_rows(store, "ST-1") == local_rows(station)[:20]
    found = admin.alarms(store, "ST-1")
    assert [a["kind"] for a in found] == ["fork"]
    assert "seq 11" in found[0]["detail"]
    assert not any(name in found[0]["detail"] for name in ("𠮷", "张三", "阿依古丽"))
    # quarantined: even a correct continuation is refused until HQ releases it
    with pytest.raises(Quarantined):
        ingest_batch(store, raw_batch(station, 21, 30))
    admin.release(store, "ST-1")
    assert ingest_batch(store, raw_batch(station, 21, 30)).acked_seq == 30
    twin.close()


def _tampered(station, seq: int, change: str) -> list[dict]:
    rows = [e.as_dict() for e in journal.entries(station.db)]
    if change == "edit":
        rows[seq - 1]["payload"] = rows[seq - 1]["payload"].replace("测试", "篡改")
    elif change == "rehash":  # edited and re-hashed, as someone without the station key might
        r = rows[seq - 1]
        r["payload"] = r["payload"].replace("测试", "篡改")
        r["hash"] = journal.entry_hash(station.station_id, r)
    elif change == "reorder":
        rows[seq - 1], rows[seq] = rows[seq], rows[seq - 1]
        rows[seq - 1]["seq"], rows[seq]["seq"] = seq, seq + 1
    return rows


@pytest.mark.parametrize("change", ["edit", "rehash", "reorder"])
def test_a_changed_entry_breaks_the_chain_and_nothing_is_stored(store, station, change):
    rows = _tampered(station, 5, change)
    with pytest.raises(ChainBroken) as info:
        ingest_batch(store, raw_batch(station, 1, 30, rows=rows))
    assert "seq 5" in str(info.value) or "seq 6" in str(info.value)
    assert hq_rows(store, "ST-1") == []
    assert [a["kind"] for a in admin.alarms(store, "ST-1")] == ["chain_broken"]


@pytest.mark.parametrize("use_copy", [True, False])
@pytest.mark.parametrize("change", ["edit", "rehash", "reorder"])
def test_a_break_found_while_a_continuing_batch_is_written_leaves_nothing(store, station, use_copy, change):
    # a batch that continues the cursor is checked while its rows go in (COPY or executemany): a break
    # half-way must undo the rows and the batch row already written, and still raise the one alarm
    ingest_batch(store, raw_batch(station, 1, 10))
    rows = _tampered(station, 20, change)[10:]
    with pytest.raises(ChainBroken, match="seq (20|21) of station ST-1"):
        ingest_batch(store, raw_batch(station, 11, 30, rows=rows), use_copy=use_copy)
    with store.transaction() as tx:
        held = (tx.one("SELECT count(*) FROM hq_journal")[0], tx.one("SELECT count(*) FROM hq_batches")[0],
                tx.one("SELECT cursor_seq FROM hq_stations WHERE station_id = 'ST-1'")[0])
    assert held == (10, 1, 10)
    assert [a["kind"] for a in admin.alarms(store, "ST-1")] == ["chain_broken"]
    ack = ingest_batch(store, raw_batch(station, 11, 30), use_copy=use_copy)  # the genuine batch still goes in
    assert (ack.acked_seq, ack.inserted) == (30, 20)
    assert hq_rows(store, "ST-1") == local_rows(station)


def test_a_deleted_entry_is_refused_as_malformed(store, station):
    rows = [e.as_dict() for e in journal.entries(station.db)]
    del rows[4]
    with pytest.raises(MalformedBatch):
        ingest_batch(store, raw_batch(station, 1, 30, rows=rows))
    assert hq_rows(store, "ST-1") == []


def test_keys_wrong_other_station_revoked_and_rotated(store, station, tmp_path):
    stranger = keys.SigningKey(Ed25519PrivateKey.generate())
    with pytest.raises(KeyRejected, match="not enrolled"):
        ingest_batch(store, raw_batch(station, 1, 5, key=stranger))

    other = make_station(tmp_path, "ST-2")
    enroll_station(store, other)
    with pytest.raises(KeyRejected, match="not enrolled"):  # ST-2's key cannot speak for ST-1
        ingest_batch(store, raw_batch(station, 1, 5, key=other.key))
    # claiming ST-1's key id but signing with ST-2's key: the signature does not verify
    forged = raw_batch(station, 1, 5, key=other.key)
    forged.key_id = station.key.key_id
    with pytest.raises(KeyRejected, match="does not verify"):
        ingest_batch(store, forged)
    assert [a["kind"] for a in admin.alarms(store, "ST-1")] == ["bad_signature"]
    assert hq_rows(store, "ST-1") == []

    ingest_batch(store, raw_batch(station, 1, 10))
    # rotation: a new key for ST-1 deactivates the old one for new batches; old batches still verify
    new_key = keys.SigningKey(Ed25519PrivateKey.generate())
    admin.enroll(store, "ST-1", new_key.public_pem())
    with pytest.raises(KeyRejected, match="replaced"):
        ingest_batch(store, raw_batch(station, 11, 15))
    assert ingest_batch(store, raw_batch(station, 11, 15, key=new_key)).acked_seq == 15
    assert admin.verify_station(store, "ST-1").ok  # batch 1-10 signed by the rotated key still verifies

    assert admin.revoke(store, "ST-1") == 2
    with pytest.raises(KeyRejected, match="revoked"):
        ingest_batch(store, raw_batch(station, 16, 20, key=new_key))
    assert len(hq_rows(store, "ST-1")) == 15
    assert admin.verify_station(store, "ST-1").ok
    other.close()


def test_unknown_station_is_refused(store, tmp_path):
    st = make_station(tmp_path, "NEW-1")
    with pytest.raises(UnknownStation):
        ingest_batch(store, raw_batch(st, 1, 1))
    st.close()


def test_a_clock_years_off_is_recorded_and_flagged_never_blocking(store, tmp_path):
    st = make_station(tmp_path, "CLK-1")
    enroll_station(store, st)
    future = datetime.now(UTC) + timedelta(days=3 * 365)
    fill(st, 5, now=future)
    ack = ingest_batch(store, raw_batch(st, 1, 6, sent_at=future))
    assert ack.acked_seq == 6
    with store.transaction() as tx:
        flags = dict(tx.all("SELECT seq, flags FROM hq_journal WHERE station_id = 'CLK-1'"))
        offset = tx.one("SELECT clock_offset_s FROM hq_batches WHERE station_id = 'CLK-1'")[0]
    assert "device_time_in_future" not in (flags[1] or "")  # seq 1 was recorded with the right clock
    assert all("device_time_in_future" in flags[s] and "station_clock_offset" in flags[s] for s in range(2, 7))
    assert offset > 3 * 364 * 86400
    status = {s["station_id"]: s for s in admin.status(store)}["CLK-1"]
    assert status["clock_offset_s"] > 3 * 364 * 86400
    assert [a["kind"] for a in admin.alarms(store, "CLK-1")] == ["clock_offset"]
    st.close()


def test_an_entry_breaking_a_business_rule_is_stored_flagged_and_later_seqs_go_on(store, tmp_path):
    st = make_station(tmp_path, "BR-1")
    enroll_station(store, st)
    journal.append(st.db, station_id="BR-1", kind="Not A Kind", payload=["a", "list"], clerk_id=None,
                   business_day="2026-13-45", signer=st.key.sign)
    fill(st, 3)
    assert ingest_batch(store, raw_batch(st, 1, 5)).acked_seq == 5
    with store.transaction() as tx:
        flags = dict(tx.all("SELECT seq, flags FROM hq_journal WHERE station_id = 'BR-1'"))
    assert set(flags[2].split(",")) == {"kind_malformed", "payload_not_object", "business_day_malformed"}
    assert flags[1] is None and flags[3] is None and flags[5] is None
    st.close()


def test_malformed_batches_say_what_is_wrong(store, station):
    batch = raw_batch(station, 1, 3).as_dict()
    batch["entries"][1]["monotonic_ns"] = "12"
    with pytest.raises(MalformedBatch, match=r"entries\[1\]\.monotonic_ns"):
        ingest_batch(store, batch)
    batch = raw_batch(station, 1, 3).as_dict()
    batch["last_seq"] = 4  # signed as such: the station, key and signature are checked before the shape
    batch["signature"] = station.key.sign(checkpoint_message("ST-1", 4, batch["head_hash"]))
    with pytest.raises(MalformedBatch, match="first_seq..last_seq"):
        ingest_batch(store, json.loads(json.dumps(batch)))
