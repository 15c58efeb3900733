"""Station <-> HQ end to end: the sync client against `counter hq serve` on loopback, both backends."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from counter.hq import admin
from counter.hq.store import open_store
from counter.i18n import catalog
from counter.station import Station
from counter.sync.client import sync_loop, sync_once, sync_status
from counter.sync.state import last_ack
from db import journal
from tests.sync.fixtures import (
    HQServer,
    cli_env,
    clone_station,
    enroll_station,
    fill,
    free_port,
    fresh_hq,
    hq_rows,
    local_rows,
    make_station,
    raw_batch,
    run_cli,
    signed_post,
)


class SharedHQ:
    def __init__(self, url, server):
        self.url, self.server = url, server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_hq(request, tmp_path_factory, hq_key_dir):
    """One HQ database and server per backend for this module: stateless server, distinct station ids."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared-hq') / 'hq.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database()
    fresh_hq(url, hq_key_dir).close()
    server = HQServer(url, hq_key_dir).start()
    yield SharedHQ(url, server)
    server.stop()


@pytest.fixture
def hq_url(shared_hq):
    return shared_hq.url


@pytest.fixture
def server(shared_hq):
    return shared_hq.server


def test_sync_pushes_everything_once_and_stores_the_verified_ack(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "C-1", server.url, hq_key_dir, batch_size=40)
    fill(st, 99)
    enroll_station(store, st)
    result = sync_once(st)
    assert result.ok, result.error
    assert (result.pushed, result.batches, result.acked_seq, result.pending) == (100, 3, 100, 0)
    assert hq_rows(store, "C-1") == local_rows(st)
    assert last_ack(st) == (100, journal.get(st.db, 100).hash)
    assert st.verify_journal(acked=last_ack(st)).ok
    fill(st, 5)
    again = sync_once(st)
    assert (again.pushed, again.duplicates, again.acked_seq) == (5, 0, 105)
    status = sync_status(st)
    assert status["pending"] == 0 and status["acked_seq"] == 105 and status["error"] is None and status["last_sync"]
    assert httpx.get(f"{server.url}/openapi.json").json()["paths"].keys() >= {"/v1/batches"}
    st.close()


def test_offline_for_three_days_at_peak_then_catch_up(server, hq_key_dir, store, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    st = make_station(tmp_path, "OFF-1", dead, hq_key_dir, batch_size=500)
    enroll_station(store, st)
    start = datetime.now(UTC) - timedelta(days=3)
    for day in range(3):
        fill(st, 1500, now=start + timedelta(days=day))
        result = sync_once(st)
        assert not result.ok
        assert result.error == (f"HQ unreachable at {dead}: connection refused; entries stay queued"
                                f" ({1 + 1500 * (day + 1)} pending)")
    assert sync_status(st)["error"] == result.error
    zh = result.localized_error(lambda m: catalog("zh_CN").get(m, m))
    assert zh == f"无法连接总部 {dead}：connection refused；记录保留在本机待上传（4501 条待上传）"
    st.config.section("sync")["hq_url"] = server.url  # HQ is back
    result = sync_once(st)
    assert result.ok, result.error
    assert (result.pushed, result.batches, result.pending) == (4501, 10, 0)
    assert hq_rows(store, "OFF-1") == local_rows(st)
    assert admin.verify_station(store, "OFF-1").ok
    with store.transaction() as tx:  # old entries are expected after days offline: not flagged as clock trouble
        assert tx.one("SELECT count(*) FROM hq_journal WHERE station_id = 'OFF-1' AND flags IS NOT NULL")[0] == 0
    st.close()


def _station_cli(st: Station, *args: str, fault: str | None = None):
    env = cli_env(**({"COUNTER_SYNC_FAULT": fault} if fault else {}))
    return run_cli("sync", *args, "--data-dir", str(st.data_dir), env=env)


def test_client_killed_after_reply_before_storing_the_ack(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "K-1", server.url, hq_key_dir, batch_size=25)
    fill(st, 59)
    enroll_station(store, st)
    st.close()
    proc = _station_cli(st, "--once", fault="after_response")
    assert proc.returncode == 87  # the real process died after HQ committed and replied
    assert len(hq_rows(store, "K-1")) == 25
    st = Station.open(st.data_dir)
    assert last_ack(st) in (None, (0, journal.GENESIS_HASH))
    proc = _station_cli(st, "--once")
    assert proc.returncode == 0, proc.stderr
    assert "synced: 35 entries in 3 batch(es), 25 already at HQ; HQ acked seq 60; 0 pending" in proc.stdout
    assert hq_rows(store, "K-1") == local_rows(st)
    assert last_ack(st)[0] == 60
    st.close()


@pytest.mark.parametrize("stage", ["before_commit", "after_commit"])
def test_server_killed_before_and_after_commit(hq_server, server, store, hq_key_dir, tmp_path, stage):
    sid = f"K2-{stage.split('_')[0]}"
    dying = hq_server(fault=stage)
    st = make_station(tmp_path, sid, dying.url, hq_key_dir, batch_size=30)
    fill(st, 49)
    enroll_station(store, st)
    result = sync_once(st)
    assert not result.ok and result.error.startswith(f"HQ unreachable at {dying.url}")
    assert result.error.endswith("entries stay queued (50 pending)")
    assert dying.wait_dead() == 86
    held = len(hq_rows(store, sid))
    assert held == (0 if stage == "before_commit" else 30)
    st.config.section("sync")["hq_url"] = server.url
    result = sync_once(st)
    assert result.ok, result.error
    assert result.pushed == 50 - held and result.duplicates == held
    assert hq_rows(store, sid) == local_rows(st)
    assert admin.verify_station(store, sid).ok
    st.close()


def _drop_triggers(st: Station) -> sqlite3.Connection:
    conn = sqlite3.connect(st.data_dir / "station.db")
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("DROP TRIGGER journal_no_delete")
    return conn


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder"])
def test_locally_tampered_rows_are_never_pushed(server, store, hq_key_dir, tmp_path, tamper):
    sid = f"T1-{tamper}"
    st = make_station(tmp_path, sid, server.url, hq_key_dir)
    fill(st, 19)
    enroll_station(store, st)
    conn = _drop_triggers(st)
    if tamper == "edit":
        conn.execute("UPDATE journal SET payload = replace(payload, '测试', '篡改') WHERE seq = 7")
    elif tamper == "delete":
        conn.execute("DELETE FROM journal WHERE seq = 7")
    else:
        a, b = (conn.execute("SELECT * FROM journal WHERE seq = ?", (s,)).fetchone() for s in (7, 8))
        conn.execute("DELETE FROM journal WHERE seq IN (7, 8)")
        for seq, row in ((7, b), (8, a)):
            conn.execute("INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (seq, *row[1:]))
    conn.commit()
    conn.close()
    result = sync_once(st)
    assert not result.ok
    assert result.error.startswith("local journal broken at seq 7")
    assert hq_rows(store, sid) == []
    assert not st.verify_journal().ok
    st.close()


def test_rows_changed_after_they_were_acked_are_detected(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "T-2", server.url, hq_key_dir)
    fill(st, 9)
    enroll_station(store, st)
    assert sync_once(st).ok
    conn = _drop_triggers(st)
    conn.execute("DELETE FROM journal WHERE seq > 5")  # truncation behind the acked seq
    # even re-signing the head with the station key cannot hide it: HQ's ack says seq 10
    head5 = journal.get(st.db, 5).hash
    conn.execute("UPDATE journal_head SET seq = 5, hash = ?, signature = ?",
                 (head5, st.key.sign(journal.head_message("T-2", 5, head5))))
    conn.commit()
    conn.close()
    verdict = st.verify_journal(acked=last_ack(st))
    assert not verdict.ok and "headquarters acknowledged seq 10" in verdict.reason
    result = sync_once(st)
    assert not result.ok and "local journal ends at seq 5" in result.error
    st.close()


def test_old_backup_restored_reuses_seqs_and_hq_detects_it(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "B-1", server.url, hq_key_dir)
    fill(st, 19)
    enroll_station(store, st)
    assert sync_once(st).ok
    # the disk dies; last week's backup (seq 12) is restored
    restored = clone_station(st, tmp_path / "restored", keep_until=12)
    st.close()
    result = sync_once(restored)  # nothing new yet: HQ already holds more than the restored journal
    assert not result.ok
    assert "HQ holds this station up to seq 20 but the local journal ends at seq 12" in result.error
    fill(restored, 4, kind="test.after_restore")  # seqs 13-16 are reused with different entries
    result = sync_once(restored)
    assert not result.ok and "fork" in result.error and "quarantined" in result.error
    status = {s["station_id"]: s for s in admin.status(store)}["B-1"]
    assert status["quarantined"] and status["acked_seq"] == 20
    assert [a["kind"] for a in admin.alarms(store, "B-1")] == ["fork"]
    log = server.log_text()
    assert "ALARM station=B-1 kind=fork seq 13" in log
    assert not any(name in log for name in ("𠮷", "䶮", "阿依古丽", "张三", "测试"))
    assert len(hq_rows(store, "B-1")) == 20
    restored.close()


def test_hq_restored_from_backup_makes_the_station_rewind(hq_key_dir, server_factory, tmp_path):
    # restoring HQ from a file copy is the SQLite case; PostgreSQL's gap reply is the same code path
    hq_url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = fresh_hq(hq_url, hq_key_dir)
    hq_server = lambda: server_factory(hq_url)  # noqa: E731
    server = hq_server()
    st = make_station(tmp_path, "R-1", server.url, hq_key_dir)
    fill(st, 9)
    enroll_station(store, st)
    assert sync_once(st).ok
    hq_file = hq_url[len("sqlite:///"):]
    shutil.copy(hq_file, tmp_path / "hq-backup.db")
    fill(st, 10)
    assert sync_once(st).acked_seq == 20
    server.stop()
    store.close()
    shutil.copy(tmp_path / "hq-backup.db", hq_file)
    server = hq_server()
    st.config.section("sync")["hq_url"] = server.url
    fill(st, 3)
    result = sync_once(st)
    assert result.ok, result.error
    assert (result.rewinds, result.pushed, result.acked_seq) == (1, 13, 23)
    fresh = open_store(hq_url)
    assert hq_rows(fresh, "R-1") == local_rows(st)
    st.close()


def test_forged_ack_is_not_stored(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "F-1", server.url, hq_key_dir)
    enroll_station(store, st)
    admin.init_keys(tmp_path / "fake")
    shutil.copy(tmp_path / "fake" / "hq.pub", st.data_dir / "keys" / "hq.pub")  # the station trusts another key
    result = sync_once(st)
    assert not result.ok and "ack signature does not verify" in result.error
    assert last_ack(st) == (0, journal.GENESIS_HASH)
    st.close()


def test_refusals_are_one_clear_line(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "N-1", server.url, hq_key_dir)
    result = sync_once(st)  # not enrolled at HQ
    assert not result.ok
    # 401, and the same answer for an unknown station as for a revoked key: no oracle of who is enrolled
    not_enrolled = ("HQ did not accept this station's signed request (401): request signature does not verify with"
                    " an enrolled station key; if the station is new or its key was revoked, HQ must enrol it:"
                    f" counter hq enroll --station-id N-1 --public-key {st.data_dir / 'keys' / 'station.pub'}")
    assert result.error == not_enrolled
    enroll_station(store, st)
    admin.revoke(store, "N-1")
    assert sync_once(st).error == not_enrolled
    st.close()


@pytest.mark.postgres
def test_concurrent_duplicate_pushes_through_two_server_processes(pg_cluster, hq_key_dir, server_factory, tmp_path):
    # stateless servers: two processes share one PostgreSQL
    url = pg_cluster.create_database()
    store = fresh_hq(url, hq_key_dir)
    a, b = server_factory(url, workers=2), server_factory(url)  # a: uvicorn with two worker processes
    st = make_station(tmp_path, "D-1")
    fill(st, 299)
    enroll_station(store, st)
    body = raw_batch(st, 1, 300).to_json()
    replies = []

    def push(url):
        replies.append(signed_post(f"{url}/v1/batches", st, body.encode(), timeout=60))

    threads = [threading.Thread(target=push, args=(s.url,)) for s in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acks = [r.json() for r in replies]
    assert [r.status_code for r in replies] == [200] * 4
    assert sum(x["inserted"] for x in acks) == 300 and sum(x["duplicates"] for x in acks) == 900
    assert hq_rows(store, "D-1") == local_rows(st)
    st.close()


def test_sync_loop_stops_when_asked(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "L-1", server.url, hq_key_dir)
    enroll_station(store, st)
    results, stop = [], threading.Event()

    def on_result(r):
        results.append(r)
        if len(results) == 1:
            fill(st, 3, fast=False)
        if len(results) == 2:
            stop.set()

    worker = threading.Thread(target=sync_loop, args=(st, stop.is_set, on_result), kwargs={"interval": 0.1})
    worker.start()
    worker.join(20)
    assert not worker.is_alive()
    assert [r.acked_seq for r in results] == [1, 4]
    st.close()


def test_cli_end_to_end_and_hq_status_json(hq_url, hq_key_dir, server, tmp_path):
    data = tmp_path / "cli-station"
    run_cli("init", "--station-id", "CLI-1", "--district", "110101", "--office", "大厅", "--data-dir", str(data),
            check=True)
    run_cli("hq", "enroll", "--db", hq_url, "--station-id", "CLI-1", "--public-key", str(data / "keys/station.pub"),
            check=True)
    out = run_cli("sync", "configure", "--hq-url", server.url, "--hq-public-key", str(hq_key_dir / "hq.pub"),
                  "--data-dir", str(data), check=True).stdout
    assert "sync configured" in out
    out = run_cli("sync", "--once", "--data-dir", str(data), check=True).stdout
    assert "synced: 1 entries in 1 batch(es); HQ acked seq 1; 0 pending" in out
    status = json.loads(run_cli("hq", "status", "--db", hq_url, "--json", check=True).stdout)
    status = [s for s in status if s["station_id"] == "CLI-1"]
    assert [(s["station_id"], s["acked_seq"], s["quarantined"]) for s in status] == [("CLI-1", 1, False)]
    assert status[0]["last_contact"].endswith("Z") and len(status[0]["head_hash"]) == 64
    assert "ok 1 entries" in run_cli("hq", "verify", "--db", hq_url, "--station-id", "CLI-1", check=True).stdout
    assert json.loads(run_cli("sync", "status", "--json", "--data-dir", str(data), check=True).stdout)["acked_seq"] == 1
    bad = run_cli("hq", "status", "--db", "mysql://x")
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error: database URL mysql://x is not supported")
    assert "Traceback" not in bad.stderr


def test_sync_while_clerks_keep_recording(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "W-1", server.url, hq_key_dir, batch_size=7)
    enroll_station(store, st)
    stop = threading.Event()
    worker = threading.Thread(target=sync_loop, args=(st, stop.is_set), kwargs={"interval": 0})
    worker.start()
    for _ in range(6):
        fill(st, 10, fast=False)  # one transaction of 10 entries at a time, as the UI thread would
    stop.set()
    worker.join(30)
    assert not worker.is_alive()
    final = sync_once(st)
    assert final.ok and final.acked_seq == 61
    assert hq_rows(store, "W-1") == local_rows(st)
    st.close()


def test_cli_loop_runs_until_ctrl_c(server, store, hq_key_dir, tmp_path):
    import signal
    import subprocess
    import sys

    from tests.sync.fixtures import REPO

    st = make_station(tmp_path, "LOOP-1", server.url, hq_key_dir)
    st.config.section("sync")["interval_seconds"] = 1
    st.config.save()
    fill(st, 4)
    enroll_station(store, st)
    proc = subprocess.Popen([sys.executable, "-m", "counter", "sync", "--data-dir", str(st.data_dir)], cwd=REPO,
                            env=cli_env(PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    seen = []
    try:
        seen.append(proc.stdout.readline())
        seen.append(proc.stdout.readline())
        fill(st, 2, fast=False)  # recorded while the loop runs: picked up on a later round
        while "synced: 2 entries" not in seen[-1] and len(seen) < 20:
            seen.append(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert seen[0].startswith("syncing every 1 s to http://127.0.0.1:")
    assert seen[1].startswith("synced: 5 entries in 1 batch(es)") and seen[-1].startswith("synced: 2 entries")
    assert out.rstrip().endswith("stopped")
    assert hq_rows(store, "LOOP-1") == local_rows(st)
    st.close()


def test_a_station_pointed_at_another_hq_pushes_its_whole_journal_there(server, store, hq_key_dir, tmp_path):
    """The stored ack belongs to the first HQ: with nothing new, the second HQ used to get nothing at all
    while `sync --once` and `sync status` said '0 pending'."""
    from counter.sync.client import configure

    st = make_station(tmp_path, "MOVE-1", server.url, hq_key_dir)
    fill(st, 20)
    enroll_station(store, st)
    assert sync_once(st).ok
    other_keys = tmp_path / "other-hq-keys"
    admin.init_keys(other_keys)
    other_url = f"sqlite:///{tmp_path / 'other-hq.db'}"
    other_store = fresh_hq(other_url, other_keys)
    enroll_station(other_store, st)
    other = HQServer(other_url, other_keys).start()
    try:
        configure(st, other.url, other_keys / "hq.pub")
        assert sync_status(st)["pending"] == 21
        result = sync_once(st)
        assert result.ok, result.error
        assert (result.pushed, result.acked_seq, result.pending) == (21, 21, 0)
        assert hq_rows(other_store, "MOVE-1") == local_rows(st)
        assert sync_once(st).pushed == 0  # from now on the ack is the new HQ's
    finally:
        other.stop()
        other_store.close()
        st.close()


def test_a_batch_hq_cannot_parse_gets_a_refusal_without_the_payload(server, store, hq_key_dir, tmp_path):
    """FastAPI's default 422 echoed the entries' input (names) and had no message for the station (now 400)."""
    st = make_station(tmp_path, "M-422", server.url, hq_key_dir)
    fill(st, 2)
    enroll_station(store, st)
    body = json.loads(raw_batch(st, 1, 3).to_json())
    body["entries"][1]["smuggled"] = "阿依古丽·买买提"
    response = signed_post(f"{server.url}/v1/batches", st, json.dumps(body).encode())
    assert response.status_code == 400
    answer = response.json()
    assert answer["error"] == "malformed"
    assert answer["message"].startswith("malformed request: body.entries.1.smuggled: ")
    assert "阿依古丽" not in response.text and "𠮷" not in response.text and "测试" not in response.text
    st.close()


class DropFirstRequestRelay:
    """A real TCP relay to HQ that reads the first request in full and closes without answering:
    what a station sees when HQ's idle timeout closes a kept-alive connection just as a batch goes out."""

    def __init__(self, target_port: int):
        import socket

        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.dropped = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import socket

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.dropped == 0:
                self.dropped += 1
                client.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += client.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(body) < length:
                    body += client.recv(65536)
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(2)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


def test_a_connection_closed_by_hq_as_a_batch_goes_out_is_retried_once(server, store, hq_key_dir, tmp_path):
    relay = DropFirstRequestRelay(httpx.URL(server.url).port)
    try:
        st = make_station(tmp_path, "RETRY-01", f"http://127.0.0.1:{relay.port}", hq_key_dir)
        fill(st, 9)
        enroll_station(store, st)
        result = sync_once(st)
        assert relay.dropped == 1
        assert (result.ok, result.error, result.pushed, result.pending) == (True, None, 10, 0)
        assert len(hq_rows(store, "RETRY-01")) == 10
        st.close()
    finally:
        relay.close()
