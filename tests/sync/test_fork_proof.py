"""HQ declares a fork only on a batch that proves one (issue 10, item 1).

The attacks are the real ones: a batch captured off the wire of a real sync to a real `counter hq serve`,
and a batch rebuilt from a day bundle, each with one entry's hash changed and posted again. Before, HQ
compared only the `hash` field of entries it held, answered 409 fork and quarantined the station.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import socket
import sqlite3
import tarfile
import threading

import httpx
import pytest

from counter.hq import admin
from counter.hq.store import open_store
from counter.services import export
from counter.station import Station
from counter.sync.client import sync_once
from db import journal
from tests.sync.fixtures import enroll_station, fill, hq_rows, local_rows, make_station, signed_post


class RecordingRelay:
    """A TCP relay on loopback that keeps every byte the client sent: what a sniffer on the wire sees."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    with self.lock:
                        self.sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()

    def captured_batches(self) -> list[bytes]:
        """The bodies of the POST /v1/batches requests seen on the wire."""
        data, bodies = bytes(self.sent), []
        while (start := data.find(b"POST /v1/batches ")) >= 0:
            head_end = data.index(b"\r\n\r\n", start)
            headers = data[start:head_end].decode("latin-1").lower().split("\r\n")
            length = next(int(h.split(":", 1)[1]) for h in headers if h.startswith("content-length:"))
            bodies.append(data[head_end + 4:head_end + 4 + length])
            data = data[head_end + 4 + length:]
        return bodies


@pytest.fixture
def sqlite_hq(tmp_path, hq_key_dir, server_factory):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url, admin.load_key(hq_key_dir))
    store.init_schema()
    server = server_factory(url)  # default limits: the posts below stay under 20 a second per station
    yield store, server
    store.close()


def _state(store, station_id: str) -> tuple:
    status = {s["station_id"]: s for s in admin.status(store)}[station_id]
    return status["quarantined"], status["acked_seq"], hq_rows(store, station_id)


def _post(url: str, body: dict) -> httpx.Response:
    return httpx.post(f"{url}/v1/batches", content=json.dumps(body, ensure_ascii=False).encode(),
                      headers={"content-type": "application/json"})


def _assert_refused_without_effect(store, server, station, batch: dict, before: tuple, times: int = 12) -> None:
    # Whoever lacks the station's key cannot even get the batch looked at: unsigned, it is 401.
    for _ in range(3):
        response = _post(server.url, batch)
        assert response.status_code == 401, response.text
        assert set(response.json()) == {"error", "message"}
    assert _state(store, station.station_id) == before
    # Signed with the station's own key (a buggy client, or a thief of the key who did not build a
    # consistent chain), the batch still proves no fork: 400, and nothing changes.
    body = json.dumps(batch, ensure_ascii=False).encode()
    for _ in range(times):
        response = signed_post(f"{server.url}/v1/batches", station, body)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "malformed"
        assert set(response.json()) == {"error", "message"}
    assert _state(store, station.station_id) == before  # no quarantine, no row, cursor unchanged
    alarms = admin.alarms(store, station.station_id)
    assert len(alarms) <= 1 and all(a["count"] == times for a in alarms)
    assert "fork" not in [a["kind"] for a in alarms]
    assert server.log_text().count("ALARM") <= 1
    assert "Traceback" not in server.log_text()
    # the real station goes on syncing: no 423
    fill(station, 3)
    result = sync_once(station)
    assert result.ok, result.error
    assert hq_rows(store, station.station_id) == local_rows(station)


@pytest.mark.parametrize("which", ["middle", "first"])
def test_a_batch_captured_off_the_wire_with_one_hash_changed_is_refused_not_a_fork(
        sqlite_hq, hq_key_dir, tmp_path, which):
    store, server = sqlite_hq
    relay = RecordingRelay(server.port)
    try:
        st = make_station(tmp_path, "WIRE-1", f"http://127.0.0.1:{relay.port}", hq_key_dir, batch_size=500)
        fill(st, 19)
        enroll_station(store, st)
        assert sync_once(st).ok
        captured = relay.captured_batches()
    finally:
        relay.close()
    assert len(captured) == 1
    batch = json.loads(captured[0])
    assert batch["station_id"] == "WIRE-1" and batch["last_seq"] == 20
    before = _state(store, "WIRE-1")
    assert before[:2] == (False, 20)
    index = 10 if which == "middle" else 0
    batch["entries"][index]["hash"] = "f" * 64  # the attack of issue 10: one hash changed, signature kept
    _assert_refused_without_effect(store, server, st, batch, before)
    st.close()


def test_a_batch_rebuilt_from_a_day_bundle_with_one_hash_changed_is_refused_not_a_fork(
        sqlite_hq, hq_key_dir, tmp_path):
    store, server = sqlite_hq
    st = make_station(tmp_path, "BUND-1", server.url, hq_key_dir)
    fill(st, 14)
    enroll_station(store, st)
    assert sync_once(st).ok
    day = journal.get(st.db, 1).business_day
    path, _ = export.export_day(st, day, tmp_path / "out", allow_open=True)
    # what anyone holding the file can do, without any key
    with tarfile.open(fileobj=io.BytesIO(path.read_bytes()), mode="r:") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        lines = gzip.decompress(tar.extractfile("journal.jsonl.gz").read()).decode().splitlines()
    batch = {**manifest["batch"], "entries": [json.loads(line) for line in lines]}
    batch["sent_at"] = batch.get("sent_at") or "2026-01-01T00:00:00.000000Z"
    assert batch["last_seq"] >= 10
    before = _state(store, "BUND-1")
    assert before[0] is False and before[1] >= batch["last_seq"]
    batch["entries"][3]["hash"] = "0123456789abcdef" * 4
    _assert_refused_without_effect(store, server, st, batch, before)
    st.close()


def test_a_real_fork_still_quarantines_a_restored_backup_that_signs_new_entries(sqlite_hq, hq_key_dir, tmp_path):
    store, server = sqlite_hq
    st = make_station(tmp_path, "REAL-1", server.url, hq_key_dir, batch_size=500)
    fill(st, 9)
    enroll_station(store, st)
    assert sync_once(st).acked_seq == 10
    # the nightly backup, taken with SQLite's backup API (what a backup tool does to a live database)
    backup = tmp_path / "backup"
    backup.mkdir()
    shutil.copy(st.data_dir / "station.toml", backup / "station.toml")
    shutil.copytree(st.data_dir / "keys", backup / "keys")
    target = sqlite3.connect(backup / "station.db")
    st.db.conn.backup(target)
    target.close()
    fill(st, 10)
    assert sync_once(st).acked_seq == 20
    st.close()
    # the disk dies; the backup is restored and the window works on: new entries, signed with the station key
    restored = Station.open(backup)
    fill(restored, 4, kind="test.after_restore")
    result = sync_once(restored)
    assert not result.ok and "fork" in result.error
    quarantined, acked, rows = _state(store, "REAL-1")
    assert quarantined and acked == 20 and [r[0] for r in rows] == list(range(1, 21))
    assert [a["kind"] for a in admin.alarms(store, "REAL-1")] == ["fork"]
    assert "seq 11" in admin.alarms(store, "REAL-1")[0]["detail"]
    restored.close()
