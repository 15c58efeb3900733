"""The batch format, the HQ CLI, and import hygiene (sync and hq never import textual)."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest

from counter.sync.protocol import Ack, Batch, ProtocolError, ack_message, checkpoint_message
from db.journal import head_message
from tests.sync.fixtures import REPO, cli_env, fill, make_station, raw_batch, run_cli


def test_batch_round_trips_through_its_canonical_json(tmp_path):
    st = make_station(tmp_path, "P-1")
    fill(st, 3)
    batch = raw_batch(st, 1, 4)
    text = batch.to_json()
    assert "𠮷" in text  # UTF-8 kept, not \\u escapes
    again = Batch.from_dict(json.loads(text))
    assert again == batch and again.to_json() == text
    assert checkpoint_message("P-1", 4, batch.head_hash) == head_message("P-1", 4, batch.head_hash)
    st.close()


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("signature"), "missing \\['signature'\\]"),
    (lambda d: d.update(version=2), "protocol version 2"),
    (lambda d: d.update(first_seq=0), "first_seq must be a positive"),
    (lambda d: d["entries"][0].update(seq=True), r"entries\[0\]\.seq must be a whole number"),
    (lambda d: d["entries"][0].update(hash="ABC"), "64 lowercase hex"),
    (lambda d: d.update(sent_at="yesterday"), "sent_at must be a UTC timestamp"),
    (lambda d: d.update(head_hash="0" * 64), "head_hash does not match"),
])
def test_malformed_batches_are_named(tmp_path, mutate, message):
    st = make_station(tmp_path, "P-2")
    fill(st, 1)
    data = json.loads(raw_batch(st, 1, 2).to_json())
    mutate(data)
    with pytest.raises(ProtocolError, match=message):
        Batch.from_dict(data)
    st.close()


def test_ack_message_binds_every_field():
    base = ack_message("S", 5, "a" * 64, "2026-01-01T00:00:00.000000Z")
    assert base != ack_message("S", 6, "a" * 64, "2026-01-01T00:00:00.000000Z")
    assert base != ack_message("S2", 5, "a" * 64, "2026-01-01T00:00:00.000000Z")
    assert base != ack_message("S", 5, "b" * 64, "2026-01-01T00:00:00.000000Z")
    with pytest.raises(ProtocolError, match="acked_hash"):
        Ack.from_dict({"station_id": "S", "acked_seq": 1, "acked_hash": "x", "server_time": "t", "hq_key_id": "k",
                       "signature": "s"})


def test_hq_cli_init_enroll_rotate_revoke(tmp_path):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    keys = tmp_path / "keys"
    out = run_cli("hq", "init", "--db", url, "--key-dir", str(keys), check=True).stdout
    assert "schema created" in out
    assert stat.S_IMODE((keys / "hq.key").stat().st_mode) == 0o600 and (keys / "hq.pub").exists()
    key_before = (keys / "hq.key").read_bytes()
    assert "already present" in run_cli("hq", "init", "--db", url, "--key-dir", str(keys), check=True).stdout
    assert (keys / "hq.key").read_bytes() == key_before  # never replaced

    a = make_station(tmp_path, "E-1")
    b = make_station(tmp_path, "E-2")
    pub_a, pub_b = a.data_dir / "keys/station.pub", b.data_dir / "keys/station.pub"
    out = run_cli("hq", "enroll", "--db", url, "--station-id", "E-1", "--public-key", str(pub_a), check=True).stdout
    assert a.key.key_id in out
    # rotation: E-1 now gets another key; the first one becomes 'rotated'
    run_cli("hq", "enroll", "--db", url, "--station-id", "E-1", "--public-key", str(pub_b), check=True)
    import sqlite3

    conn = sqlite3.connect(tmp_path / "hq.db")
    statuses = dict(conn.execute("SELECT key_id, status FROM hq_station_keys WHERE station_id = 'E-1'").fetchall())
    assert statuses == {a.key.key_id: "rotated", b.key.key_id: "active"}
    again = run_cli("hq", "enroll", "--db", url, "--station-id", "E-1", "--public-key", str(pub_a))
    assert again.returncode == 1 and "was rotated before; generate a new key pair" in again.stderr
    # revoking a station (a stolen disk) revokes every key it ever had; stored batches still verify
    assert "2 key(s) revoked" in run_cli("hq", "revoke", "--db", url, "--station-id", "E-1", check=True).stdout
    statuses = dict(conn.execute("SELECT key_id, status FROM hq_station_keys WHERE station_id = 'E-1'").fetchall())
    assert statuses == {a.key.key_id: "revoked", b.key.key_id: "revoked"}
    conn.close()

    missing = run_cli("hq", "enroll", "--db", url, "--station-id", "E-3", "--public-key", str(tmp_path / "nope.pub"))
    assert missing.returncode == 1 and missing.stderr.strip() == f"error: cannot read public key file {tmp_path / 'nope.pub'}"
    not_init = run_cli("hq", "status", "--db", f"sqlite:///{tmp_path / 'other.db'}")
    assert not_init.returncode == 1 and "has no schema; run 'counter hq init' first" in not_init.stderr
    no_key = run_cli("hq", "serve", "--db", url, "--key-dir", str(tmp_path / "nokeys"), "--port", "1")
    assert no_key.returncode == 2 and "no HQ key in" in no_key.stderr
    for st in (a, b):
        st.close()


def test_sync_cli_errors_are_one_line(tmp_path):
    st = make_station(tmp_path, "U-1")
    st.close()
    proc = run_cli("sync", "--once", "--data-dir", str(st.data_dir))
    assert proc.returncode == 1
    assert proc.stderr == ("error: sync is not configured; run 'counter sync configure --hq-url URL"
                           " --hq-public-key FILE'\n")
    bad = run_cli("sync", "configure", "--hq-url", "ftp://x", "--hq-public-key", "/nonexistent",
                  "--data-dir", str(st.data_dir))
    assert bad.returncode == 2 and bad.stderr.strip() == "error: HQ URL ftp://x must start with http:// or https://"
    no_host = run_cli("sync", "configure", "--hq-url", "http://", "--hq-public-key", "/nonexistent",
                      "--data-dir", str(st.data_dir))
    assert no_host.returncode == 2
    assert no_host.stderr == "error: HQ URL http:// names no host; e.g. http://hq.example:8765\n"


def test_sync_and_hq_commands_do_not_import_textual(tmp_path):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    code = (
        "import sys\n"
        "from counter.cli import main\n"
        "for argv in (['hq', 'init', '--db', sys.argv[1], '--key-dir', sys.argv[2]], ['hq', 'status', '--db', sys.argv[1]],"
        " ['sync', 'status', '--data-dir', sys.argv[3]]):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "import counter.sync.client, counter.hq.server, counter.hq.ingest\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
        "print('clean')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, url, str(tmp_path / "k"), str(tmp_path / "none")], cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().endswith("clean"), proc.stderr


def test_hq_commands_leave_nothing_behind_on_a_bad_db(tmp_path):
    """A mistyped --db must not create an empty SQLite file, nor 'hq init' a key pair it cannot use."""
    status = run_cli("hq", "status", "--db", f"sqlite:///{tmp_path / 'typo.db'}")
    assert status.returncode == 1 and status.stderr.count("\n") == 1 and status.stderr.startswith("error: ")
    assert not (tmp_path / "typo.db").exists()
    for url in ("mysql://hq/db", f"sqlite:///{tmp_path / 'no-such-dir' / 'hq.db'}"):
        init = run_cli("hq", "init", "--db", url, "--key-dir", str(tmp_path / "keys"))
        assert init.returncode != 0 and init.stderr.startswith("error: ") and init.stderr.count("\n") == 1
        assert not (tmp_path / "keys").exists(), url
        assert not (tmp_path / "no-such-dir").exists()


def test_hq_serve_on_a_busy_port_is_one_line(tmp_path):
    import socket

    url = f"sqlite:///{tmp_path / 'hq.db'}"
    run_cli("hq", "init", "--db", url, "--key-dir", str(tmp_path / "keys"), check=True)
    assert run_cli("hq", "alarms", "--db", url, check=True).stdout == "no alarms\n"  # was an empty output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = run_cli("hq", "serve", "--db", url, "--key-dir", str(tmp_path / "keys"), "--port", str(port))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: ") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr and "ERROR:" not in proc.stderr
    loud = run_cli("hq", "serve", "--db", url, "--key-dir", str(tmp_path / "keys"), "--log-level", "loud")
    assert loud.returncode == 2  # was an internal error (uvicorn's KeyError)
    assert loud.stderr == "error: --log-level must be critical, error, warning, info, debug or trace, not loud\n"


def test_sync_to_a_server_that_is_not_hq_is_one_line(tmp_path):
    """A wrong hq_url pointing at some other web server: one line, no HTML pasted into it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class NotHQ(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = b"<!DOCTYPE html>\n<html>\n<body>\n<h1>Not Found</h1>\n</body>\n</html>\n"
            self.send_response(404)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotHQ)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        keys = tmp_path / "keys"
        run_cli("hq", "init", "--db", f"sqlite:///{tmp_path / 'hq.db'}", "--key-dir", str(keys), check=True)
        st = make_station(tmp_path, "W-1")
        fill(st, 3)
        st.close()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        run_cli("sync", "configure", "--hq-url", url, "--hq-public-key", str(keys / "hq.pub"),
                "--data-dir", str(st.data_dir), check=True)
        proc = run_cli("sync", "--once", "--data-dir", str(st.data_dir))
    finally:
        server.shutdown()
    assert proc.returncode == 1
    assert proc.stderr == (f"error: the server at {url} did not answer as a counter HQ (HTTP 404); check"
                           " sync.hq_url; entries stay queued\n")
    status = run_cli("sync", "status", "--data-dir", str(st.data_dir), check=True).stdout
    assert "<html" not in status.lower() and "did not answer as a counter HQ" in status


def test_hq_init_never_overwrites_an_hq_pub_without_its_private_key(tmp_path):
    """`--key-dir` pointed at a station's keys/ replaced the station's copy of HQ's public key."""
    keys = tmp_path / "station-keys"
    keys.mkdir()
    (keys / "hq.pub").write_bytes(b"the real HQ's public key")
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    proc = run_cli("hq", "init", "--db", url, "--key-dir", str(keys))
    assert proc.returncode == 2
    assert proc.stderr == (f"error: {keys} holds hq.pub but no hq.key (a station's copy of HQ's key, or a pair whose"
                           " private half is lost); choose another --key-dir\n")
    assert (keys / "hq.pub").read_bytes() == b"the real HQ's public key" and not (keys / "hq.key").exists()
    assert not (tmp_path / "hq.db").exists()
