"""Issue 10 item 9: `counter keys rotate`, and HQ accepting the new key from the signed journal entry."""

from __future__ import annotations

import json

import pytest

from counter.hq import admin
from counter.services import printing
from counter.station import Station
from counter.sync import key_rotation
from counter.sync.client import sync_once
from tests.sync.fixtures import enroll_station, fill, hq_rows, local_rows, make_station, run_cli, signed_get


@pytest.fixture
def server(hq_server):
    return hq_server()


def _keys_at_hq(store, sid):
    with store.transaction() as tx:
        return dict(tx.all("SELECT key_id, status FROM hq_station_keys WHERE station_id = ? ", (sid,)))


def _batch_keys(store, sid):
    with store.transaction() as tx:
        return tx.all("SELECT first_seq, last_seq, key_id FROM hq_batches WHERE station_id = ? ORDER BY first_seq",
                      (sid,))


def test_a_rotation_reaches_hq_through_a_real_sync_and_later_batches_use_the_new_key(server, store, hq_key_dir,
                                                                                     tmp_path):
    st = make_station(tmp_path, "R-1", server.url, hq_key_dir)
    fill(st, 5)
    enroll_station(store, st)
    old_id = st.key.key_id
    token = printing.sign_verification(st, "residence_certificate", "RC-1", "110101********0011",
                                              "2026-03-01")
    assert sync_once(st).ok
    old_head = st.db.conn.execute("SELECT seq FROM journal_head").fetchone()[0]
    st.close()

    rotated = run_cli("keys", "rotate", "--data-dir", str(tmp_path / "R-1"))
    assert rotated.returncode == 0, rotated.stderr
    st = Station.open(tmp_path / "R-1")
    new_id = st.key.key_id
    assert new_id != old_id and f"new key {new_id}" in rotated.stdout
    retired = tmp_path / "R-1" / key_rotation.RETIRED_DIR
    assert (retired / f"{old_id}.key").stat().st_mode & 0o777 == 0o600
    assert (retired / f"{old_id}.pub").exists()
    entry = st.db.conn.execute("SELECT seq, payload FROM journal WHERE kind = 'station.key_rotated'").fetchone()
    assert entry[0] == old_head + 1
    assert json.loads(entry[1])["new_key_id"] == new_id and json.loads(entry[1])["old_key_id"] == old_id

    fill(st, 3)
    result = sync_once(st, batch_size=500)
    assert result.ok, result.error
    assert result.pushed == 4 and result.batches == 2  # one batch ends at the rotation entry (old key)
    assert _keys_at_hq(store, "R-1") == {old_id: "rotated", new_id: "active"}  # no manual re-enrolment
    assert [k for _, _, k in _batch_keys(store, "R-1")] == [old_id, old_id, new_id]
    assert hq_rows(store, "R-1") == local_rows(st)
    assert admin.verify_station(store, "R-1").ok

    # requests are now accepted with the new key only
    cursor = f"{server.url}/v1/stations/R-1/cursor"
    assert signed_get(cursor, st).status_code == 200
    assert signed_get(cursor, st, key=key_rotation.retired_keys(st.data_dir)[old_id]).status_code == 401
    # old signed heads, old entries and old QR payloads still verify at the station
    assert st.verify_journal().ok
    claims = printing.verify_payload(token, printing.trusted_keys(st.data_dir, st))
    assert claims.station_id == "R-1"
    st.close()


def test_a_forged_rotation_entry_is_not_taken(server, store, hq_key_dir, tmp_path):
    """A rotation entry whose payload is not signed by the enrolled key leaves HQ's keys as they were."""
    from counter.keys import b64

    st = make_station(tmp_path, "R-2", server.url, hq_key_dir)
    enroll_station(store, st)
    old_id = st.key.key_id
    st.record("station.key_rotated", {"old_key_id": old_id, "new_key_id": "0" * 16,
                                      "new_public_key": b64(b"\x01" * 32), "signature": b64(b"\x00" * 64)})
    assert sync_once(st).ok
    assert _keys_at_hq(store, "R-2") == {old_id: "active"}
    alarms = admin.alarms(store, "R-2")
    assert [a["kind"] for a in alarms] == ["key_rotation_refused"]
    st.close()


def test_a_crash_after_journaling_the_rotation_finishes_it_at_the_next_open(tmp_path):
    st = make_station(tmp_path, "R-3")
    old_id = st.key.key_id
    real_replace = key_rotation.os.replace
    calls = []

    def crash_on_key_swap(src, dst):
        calls.append(dst)
        if str(dst).endswith("station.key"):
            raise KeyboardInterrupt("power cut")
        return real_replace(src, dst)

    key_rotation.os.replace = crash_on_key_swap
    try:
        with pytest.raises(KeyboardInterrupt):
            key_rotation.rotate(st)
    finally:
        key_rotation.os.replace = real_replace
    st.close()
    reopened = Station.open(tmp_path / "R-3")
    journaled = key_rotation.rotations(reopened.db)
    assert len(journaled) == 1 and journaled[0][1] == old_id
    assert reopened.key.key_id == journaled[0][2]  # the journaled new key, not the old one
    assert not (tmp_path / "R-3" / "keys" / "station.key.new").exists()
    assert reopened.verify_journal().ok
    reopened.close()


def test_a_lost_ack_of_the_rotation_batch_is_resent_with_the_new_key(server, store, hq_key_dir, tmp_path):
    """HQ took the rotation but its ack never arrived: the resend signed by the old key gets 401, so the station
    signs the same entries with its new key and HQ acknowledges them as duplicates."""
    st = make_station(tmp_path, "R-4", server.url, hq_key_dir)
    fill(st, 2)
    enroll_station(store, st)
    assert sync_once(st).ok
    before = st.db.conn.execute("SELECT acked_seq, acked_hash, ack_signature, hq_key_id FROM sync_state").fetchone()
    key_rotation.rotate(st)
    assert sync_once(st).ok
    with st.db.conn:  # the ack of the rotation batch is lost: the station's state is as before it
        st.db.conn.execute("UPDATE sync_state SET acked_seq = ?, acked_hash = ?, ack_signature = ?, hq_key_id = ?",
                           before)
    again = sync_once(st)
    assert again.ok, again.error
    assert again.duplicates == 1 and again.pushed == 0 and again.acked_seq == 4
    assert hq_rows(store, "R-4") == local_rows(st)
    st.close()
