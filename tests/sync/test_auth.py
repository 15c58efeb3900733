"""Issue 10 items 4 and 5: every HQ request that reveals anything is signed (RFC 9421), replays are refused,
and the transport is TLS pinned to HQ's certificate (plain http only to loopback, or when allowed)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import subprocess
import sys

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from counter.hq import auth
from counter.request_signing import RequestRefused, sign_request, verify_request
from counter.sync.client import sync_once
from tests.sync.fixtures import (
    REPO,
    HQServer,
    cli_env,
    enroll_station,
    fill,
    hq_rows,
    make_station,
    raw_batch,
    run_cli,
    signed_get,
    signed_post,
)

URL = "http://127.0.0.1:8765/v1/batches"
NOW = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


# --- the pure module ----------------------------------------------------------------------


def _verify(headers, *, body=b'{"n":1}', method="POST", url=URL, key=None, now=NOW, lookup=None):
    return verify_request(method, url, list(headers.items()), body,
                          lookup=lookup or (lambda kid: key.public_key() if kid == "K1" else None), now=now)


def test_a_signed_request_verifies_and_names_its_key_nonce_and_clerk():
    key = Ed25519PrivateKey.generate()
    headers = sign_request(key, "K1", "POST", URL, b'{"n":1}', now=NOW, clerk_id="C001")
    assert headers["Content-Digest"].startswith("sha-256=:")
    assert headers["Signature-Input"].startswith(
        'counter=("@method" "@path" "@query" "content-digest" "counter-clerk");created=')
    assert 'alg="ed25519"' in headers["Signature-Input"] and 'keyid="K1"' in headers["Signature-Input"]
    verified = _verify(headers, key=key)
    assert (verified.key_id, verified.clerk_id, verified.created) == ("K1", "C001", int(NOW.timestamp()))
    assert len(verified.nonce) >= 16
    other = sign_request(key, "K1", "POST", URL, b'{"n":1}', now=NOW)
    assert _verify(other, key=key).nonce != verified.nonce and _verify(other, key=key).clerk_id is None


@pytest.mark.parametrize("change", ["body", "method", "path", "query", "clerk", "key", "unknown_key", "stale",
                                    "future", "unsigned", "unsigned_clerk"])
def test_anything_changed_or_missing_is_refused_in_one_line(change):
    key = Ed25519PrivateKey.generate()
    signed_at = dt.datetime.now(dt.UTC)
    headers = sign_request(key, "K1", "POST", URL + "?a=1", b'{"n":1}', now=signed_at,
                           clerk_id=None if change == "unsigned_clerk" else "C001")
    kwargs = {"key": key, "url": URL + "?a=1", "now": signed_at}
    if change == "body":
        kwargs["body"] = b'{"n":2}'
    elif change == "method":
        kwargs["method"] = "PUT"
    elif change == "path":
        kwargs["url"] = "http://127.0.0.1:8765/v1/stations/S1/cursor?a=1"
    elif change == "query":
        kwargs["url"] = URL + "?a=2"
    elif change == "clerk":
        headers["Counter-Clerk"] = "C999"
    elif change == "key":
        kwargs["key"] = Ed25519PrivateKey.generate()
    elif change == "unknown_key":
        kwargs["lookup"] = lambda kid: None
    elif change == "stale":
        kwargs["now"] = signed_at + dt.timedelta(seconds=301)
    elif change == "future":
        kwargs["now"] = signed_at - dt.timedelta(seconds=301)
    elif change == "unsigned":
        del headers["Signature"]
    elif change == "unsigned_clerk":
        headers["Counter-Clerk"] = "C001"  # added after signing: not covered
    with pytest.raises(RequestRefused) as refused:
        _verify(headers, **kwargs)
    message = str(refused.value)
    assert "\n" not in message and message
    if change in ("key", "unknown_key"):  # the same words whether or not the key is enrolled
        assert message == "request signature does not verify with an enrolled station key"


# --- against a real HQ --------------------------------------------------------------------


@pytest.fixture
def server(hq_server):
    return hq_server()


def _alarms(store) -> int:
    with store.transaction() as tx:
        return tx.one("SELECT count(*) FROM hq_alarms")[0]


def test_cursor_needs_the_stations_own_signature_and_answers_alike_for_unknown_stations(server, store, hq_key_dir,
                                                                                         tmp_path):
    st = make_station(tmp_path, "A-1", server.url, hq_key_dir)
    other = make_station(tmp_path, "B-1", server.url, hq_key_dir)
    enroll_station(store, st)
    enroll_station(store, other)
    cursor = f"{server.url}/v1/stations/A-1/cursor"

    unsigned = httpx.get(cursor)
    unknown = httpx.get(f"{server.url}/v1/stations/NOPE-9/cursor")
    assert unsigned.status_code == unknown.status_code == 401
    assert unsigned.json()["error"] == "unauthorized" and unsigned.json()["message"]
    assert unsigned.json() == unknown.json()  # no 200-vs-403 oracle of which stations exist
    stranger = make_station(tmp_path, "X-1", server.url, hq_key_dir)  # a real key HQ never enrolled
    assert signed_get(cursor, stranger).json() == signed_get(f"{server.url}/v1/stations/NOPE-9/cursor",
                                                             stranger).json()
    assert signed_get(cursor, stranger).status_code == 401
    assert signed_get(cursor, other).status_code == 401  # B may not read A's cursor

    ok = signed_get(cursor, st)
    assert ok.status_code == 200 and ok.json()["station_id"] == "A-1" and ok.json()["acked_seq"] == 0
    replay = httpx.get(cursor, headers={k: v for k, v in ok.request.headers.items()
                                        if k.lower() in ("signature", "signature-input", "content-digest")})
    assert replay.status_code == 401
    assert replay.json() == {"error": "unauthorized", "message": "request was already received (replayed"
                             " nonce); send a freshly signed request"}
    stale = signed_get(cursor, st, now=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=400))
    assert stale.status_code == 401 and "window" in stale.json()["message"]
    for s in (st, other, stranger):
        s.close()


def test_a_forged_or_replayed_batch_is_refused_before_any_work(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "F-1", server.url, hq_key_dir)
    fill(st, 4)
    enroll_station(store, st)
    body = raw_batch(st, 1, 5).to_json().encode()

    forged = httpx.post(f"{server.url}/v1/batches", content=body, headers={"content-type": "application/json"})
    assert forged.status_code == 401 and forged.json()["error"] == "unauthorized"
    attacker = Ed25519PrivateKey.generate()
    from counter.keys import SigningKey

    wrong_key = signed_post(f"{server.url}/v1/batches", st, body, key=SigningKey(attacker))
    assert wrong_key.status_code == 401
    assert hq_rows(store, "F-1") == [] and _alarms(store) == 0  # refused before ingest: no row, no alarm

    first = signed_post(f"{server.url}/v1/batches", st, body)
    assert first.status_code == 200 and first.json()["inserted"] == 5
    sniffed = {k: v for k, v in first.request.headers.items()
               if k.lower() in ("signature", "signature-input", "content-digest", "content-type")}
    again = httpx.post(f"{server.url}/v1/batches", content=body, headers=sniffed)
    assert again.status_code == 401 and "replayed" in again.json()["message"]
    changed = json.loads(body)
    changed["entries"][2]["hash"] = "0" * 64
    tampered = httpx.post(f"{server.url}/v1/batches", content=json.dumps(changed).encode(),
                          headers={**sniffed, "signature": sniffed["signature"]})
    assert tampered.status_code == 401  # the captured signature does not cover another body
    with store.transaction() as tx:
        assert tx.one("SELECT quarantined FROM hq_stations WHERE station_id = 'F-1'")[0] == 0
    st.close()


def test_the_nonce_table_stays_bounded(server, store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "N-1", server.url, hq_key_dir)
    enroll_station(store, st)
    old = int(dt.datetime.now(dt.UTC).timestamp()) - 3600
    with store.transaction() as tx:
        for i in range(50):
            tx.execute("INSERT INTO hq_request_nonces (key_id, nonce, created_epoch) VALUES (?, ?, ?)",
                       ("k", f"old-nonce-{i:08d}", old))
    assert signed_get(f"{server.url}/v1/stations/N-1/cursor", st).status_code == 200
    with store.transaction() as tx:
        assert tx.all("SELECT key_id FROM hq_request_nonces") == [(st.key.key_id,)]
    st.close()


def test_the_clerk_travels_in_the_signed_part(store, hq_key_dir, tmp_path):
    st = make_station(tmp_path, "C-1")
    enroll_station(store, st)
    auth.ensure_schema(store)
    url = "http://hq.example/v1/stations/C-1/cursor"
    headers = sign_request(st.key.private, st.key.key_id, "GET", url, b"", now=dt.datetime.now(dt.UTC),
                           clerk_id="C007")
    caller = auth.authenticate(store, "GET", url, list(headers.items()), b"")
    assert caller == auth.Caller("C-1", st.key.key_id, "C007")
    st.close()


# --- transport ------------------------------------------------------------------------------


def _self_signed(tmp_path, name: str = "hq"):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"counter {name}")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def test_sync_over_tls_pinned_to_hqs_certificate(hq_url, store, hq_key_dir, tmp_path):
    cert, key = _self_signed(tmp_path)
    server = HQServer(hq_url, hq_key_dir, tls=(cert, key)).start()
    try:
        assert server.url.startswith("https://")
        st = make_station(tmp_path, "T-1")
        fill(st, 3)
        enroll_station(store, st)
        configured = run_cli("sync", "configure", "--hq-url", server.url, "--hq-public-key",
                             str(hq_key_dir / "hq.pub"), "--hq-ca", str(cert), "--data-dir", str(st.data_dir))
        assert configured.returncode == 0, configured.stderr
        assert (st.data_dir / "keys" / "hq-ca.pem").read_bytes() == cert.read_bytes()
        pushed = run_cli("sync", "--once", "--data-dir", str(st.data_dir))
        assert pushed.returncode == 0, pushed.stderr
        assert "synced: 4 entries" in pushed.stdout and pushed.stderr == ""

        other_cert, _ = _self_signed(tmp_path, "impostor")  # pinned to another certificate: HQ is not trusted
        fill(st, 1)
        run_cli("sync", "configure", "--hq-url", server.url, "--hq-public-key", str(hq_key_dir / "hq.pub"),
                "--hq-ca", str(other_cert), "--data-dir", str(st.data_dir), check=True)
        refused = run_cli("sync", "--once", "--data-dir", str(st.data_dir))
        assert refused.returncode == 1
        assert refused.stderr.startswith(f"error: HQ unreachable at {server.url}: HQ's TLS certificate is not"
                                         " trusted (check sync.hq_ca")
        assert refused.stderr.count("\n") == 1
        assert len(hq_rows(store, "T-1")) == 4
        st.close()
    finally:
        server.stop()


def test_hq_serve_refuses_a_bad_tls_pair_in_one_line(hq_url, store, hq_key_dir, tmp_path):
    cert, _ = _self_signed(tmp_path)
    _, other_key = _self_signed(tmp_path, "other")
    for args, expected in (
        (["--tls-cert", str(cert)], "error: --tls-cert and --tls-key go together; give both\n"),
        (["--tls-cert", str(cert), "--tls-key", str(tmp_path / "missing.key")],
         f"error: cannot read {tmp_path / 'missing.key'}; check --tls-cert and --tls-key\n"),
        (["--tls-cert", str(cert), "--tls-key", str(other_key)],
         f"error: --tls-cert {cert} and --tls-key {other_key} are not a matching PEM certificate and key\n"),
    ):
        out = subprocess.run([sys.executable, "-m", "counter", "hq", "serve", "--db", hq_url, "--key-dir",
                              str(hq_key_dir), "--port", "1", *args], cwd=REPO, env=cli_env(), capture_output=True,
                             text=True, timeout=60)
        assert out.returncode != 0 and out.stderr == expected


def test_plain_http_only_to_loopback_unless_allowed_and_then_said_once_per_run(hq_key_dir, tmp_path):
    st = make_station(tmp_path, "H-1")
    fill(st, 1)
    base = ["sync", "configure", "--hq-public-key", str(hq_key_dir / "hq.pub"), "--data-dir", str(st.data_dir)]
    refused = run_cli(*base, "--hq-url", "http://hq.district.example:8765")
    assert refused.returncode != 0
    assert refused.stderr == ("error: HQ URL http://hq.district.example:8765 is plain http:// to a host that is not"
                              " loopback: personal data would cross the network unencrypted; use https:// (with"
                              " --hq-ca) or pass --insecure-http\n")
    assert run_cli(*base, "--hq-url", "http://127.0.0.1:1").returncode == 0
    assert run_cli(*base, "--hq-url", "http://[::1]:1").returncode == 0
    allowed = run_cli(*base, "--hq-url", "http://0.0.0.0:1", "--insecure-http")
    assert allowed.returncode == 0 and "unencrypted" in allowed.stderr
    from counter.station import Station

    reopened = Station.open(st.data_dir)
    assert reopened.config.section("sync")["insecure_http"] is True
    first, second = sync_once(reopened), sync_once(reopened)
    assert first.warning and "plain http" in first.warning and "\n" not in first.warning
    assert second.warning is None  # once per run
    assert not first.ok and "connection refused" in first.error
    reopened.close()
    st.close()


def test_a_failing_key_lookup_is_not_taken_for_a_bad_signature():
    """HQ's database down during the key lookup must give its 503, not a 401 that blames the station."""
    key = Ed25519PrivateKey.generate()
    headers = sign_request(key, "K1", "POST", URL, b"{}", now=NOW)

    def lookup(_kid):
        raise ConnectionError("database is down")

    with pytest.raises(ConnectionError):
        verify_request("POST", URL, list(headers.items()), b"{}", lookup=lookup, now=NOW)


@pytest.mark.postgres
def test_a_nonce_seen_by_one_server_process_is_refused_by_another(pg_cluster, hq_key_dir, server_factory, tmp_path):
    from tests.sync.fixtures import fresh_hq

    url = pg_cluster.create_database()
    store = fresh_hq(url, hq_key_dir)
    a, b = server_factory(url), server_factory(url)  # two stateless servers, one PostgreSQL
    st = make_station(tmp_path, "W-1")
    enroll_station(store, st)
    first = signed_get(f"{a.url}/v1/stations/W-1/cursor", st)
    assert first.status_code == 200
    captured = {k: v for k, v in first.request.headers.items()
                if k.lower() in ("signature", "signature-input", "content-digest")}
    replay = httpx.get(f"{b.url}/v1/stations/W-1/cursor", headers=captured)
    assert replay.status_code == 401 and "replayed" in replay.json()["message"]
    st.close()
    store.close()
