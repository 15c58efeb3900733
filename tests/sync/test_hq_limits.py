"""HQ's limits and error shape against a real `counter hq serve` (issue 10, item 2; health from item 4).

Every refusal is {"error", "message"} with a 4xx, whatever the input; a body over the limit is refused
before it is read; half-sent requests are dropped; a station over its rate gets 429 with Retry-After;
a flood of identical refused posts is one alarm row with a count.
"""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from counter.hq import admin
from counter.hq.store import open_store
from tests.sync.fixtures import (
    enroll_station,
    fill,
    hq_rows,
    make_station,
    raw_batch,
    signed_get,
    signed_post,
)


@pytest.fixture
def hq(tmp_path, hq_key_dir):
    url = f"sqlite:///{tmp_path / 'hq.db'}"
    store = open_store(url, admin.load_key(hq_key_dir))
    store.init_schema()
    yield url, store
    store.close()


@pytest.fixture
def station(tmp_path, hq):
    st = make_station(tmp_path, "LIM-1")
    fill(st, 4)  # 5 entries, names with 𠮷 and ·
    enroll_station(hq[1], st)
    yield st
    st.close()


def post_raw(url: str, body: bytes, content_type: str = "application/json", station=None) -> httpx.Response:
    """POST a raw body; signed by `station` (RFC 9421) when given, so the body itself is what HQ judges."""
    if station is not None:
        return signed_post(f"{url}/v1/batches", station, body, headers_extra={"content-type": content_type})
    return httpx.post(f"{url}/v1/batches", content=body, headers={"content-type": content_type}, timeout=30)


def assert_refusal(response: httpx.Response, status: int, error: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert set(body) == {"error", "message"}, body
    assert "\n" not in body["message"] and body["message"]
    if error:
        assert body["error"] == error
    return body


def test_health_says_ok_and_nothing_more_and_docs_need_no_cdn(hq, server_factory):
    server = server_factory(hq[0])
    response = httpx.get(f"{server.url}/v1/health")
    assert (response.status_code, response.text) == (200, "ok")
    for path in ("/docs", "/redoc"):  # their pages load JavaScript from a CDN: off
        assert_refusal(httpx.get(f"{server.url}{path}"), 404, "not_found")
    assert httpx.get(f"{server.url}/openapi.json").status_code == 200


def test_inputs_that_gave_500_or_fastapis_detail_get_400_in_the_documented_shape(hq, station, server_factory):
    server = server_factory(hq[0])
    good = json.loads(raw_batch(station, 1, 5).to_json())

    def with_(path: str, raw: str) -> bytes:
        """The good batch's JSON text with one value replaced by raw JSON text."""
        body = dict(good)
        body[path] = "@@"
        return json.dumps(body).replace('"@@"', raw).encode()

    def with_entry(name: str, value: object) -> bytes:
        """The good batch with one field of its first entry replaced (as a day bundle may carry it)."""
        body = json.loads(json.dumps(good))
        body["entries"][0][name] = value
        return json.dumps(body).encode()

    cases = {
        "lone surrogate station id": with_("station_id", '"\\ud800"'),
        "lone surrogate key": b'{"station_id": "S1", "\\udfff": 1}',
        "lone surrogate in a payload": json.dumps(good).replace("\\u6d4b", "\\ud800").encode(),
        "NUL in a string": with_("sent_at", '"2026-01-01T00:00:00Z\\u0000"'),
        "not UTF-8": b'\xff\xfe{"station_id": "\xc0"}',
        "invalid JSON": b'{"station_id": ',
        "deep nesting": b"[" * 100_000 + b"]" * 100_000,
        "deep nesting in a field": with_("entries", "[" * 5000 + "]" * 5000),
        "number too long for Python": with_("first_seq", "1" * 5000),
        "number too big for BIGINT": with_("first_seq", str(10**30)),
        "entry number too big for BIGINT": with_entry("monotonic_ns", 2**70),
        "entry schema_ver too big for INTEGER": with_entry("schema_ver", 2**40),
        "float too big": with_("last_seq", "1e400"),
        "not a whole number": with_("last_seq", "5.5"),
        "boolean seq": with_("first_seq", "true"),
        "empty station id": with_("station_id", '""'),
        "station id with a newline": with_("station_id", '"LIM-1\\n"'),
        "empty entries": with_("entries", "[]"),
        "not an object": b'"just a string"',
        "text/plain body": None,
    }
    for name, body in cases.items():
        if body is None:
            response = post_raw(server.url, json.dumps(good).encode(), "text/plain", station=station)
        else:
            response = post_raw(server.url, body, station=station)
        assert response.status_code == 400, (name, response.status_code, response.text[:200])
        assert_refusal(response, 400, "malformed")
    # a path that is not UTF-8 cannot be signed by anyone: refused as unsigned, in the same shape, no 5xx
    bad_path = httpx.get(f"{server.url}/v1/stations/%ED%A0%80/cursor")
    assert_refusal(bad_path, 401, "unauthorized")
    assert_refusal(httpx.delete(f"{server.url}/v1/batches"), 405, "method_not_allowed")
    log = server.log_text()
    assert "Traceback" not in log and "Exception in ASGI" not in log
    assert hq_rows(hq[1], "LIM-1") == []


def test_a_whole_float_seq_is_the_integer_the_schema_says_and_surrogate_pairs_survive(hq, station, server_factory):
    server = server_factory(hq[0])
    body = json.loads(raw_batch(station, 1, 5).to_json())
    body["first_seq"], body["last_seq"] = 1.0, 5.0
    body["entries"][2]["seq"] = 3.0
    # ensure_ascii: 𠮷 travels as the UTF-16 surrogate pair \ud842\udfb7, as some JSON encoders send it
    text = json.dumps(body, ensure_ascii=True)
    assert "\\ud842\\udfb7" in text
    response = post_raw(server.url, text.encode(), station=station)
    assert response.status_code == 200, response.text
    assert response.json()["acked_seq"] == 5
    stored = "".join(r[9] for r in hq_rows(hq[1], "LIM-1"))
    assert "𠮷" in stored and "阿依古丽·买买提" in stored
    assert admin.verify_station(hq[1], "LIM-1").ok


def test_a_body_over_the_limit_is_refused_before_it_is_read(hq, station, server_factory):
    server = server_factory(hq[0], extra_args=("--max-body-bytes", "4096"))
    # Content-Length of 50 MB and not one byte of body sent: the answer comes at once
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /v1/batches HTTP/1.1\r\nHost: hq\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 52428800\r\n\r\n")
        closed, raw = _closed_within(s, 10)
    answer = raw.decode()
    assert closed and answer.startswith("HTTP/1.1 413 "), answer
    assert json.loads(answer.split("\r\n\r\n", 1)[1])["error"] == "too_large"
    # declared and over
    assert_refusal(post_raw(server.url, b"[" + b"1," * 5000 + b"1]"), 413, "too_large")

    # chunked: no length declared; refused once the body grows past the limit
    def chunks():
        for _ in range(100):
            yield b" " * 1000

    response = httpx.post(f"{server.url}/v1/batches", content=chunks(), headers={"content-type": "application/json"})
    assert_refusal(response, 413, "too_large")
    # a batch under the limit still goes through
    assert post_raw(server.url, raw_batch(station, 1, 2).to_json().encode(), station=station).status_code == 200
    assert "Traceback" not in server.log_text()


def _closed_within(s: socket.socket, seconds: float) -> tuple[bool, bytes]:
    s.settimeout(seconds)
    got = b""
    try:
        while chunk := s.recv(65536):
            got += chunk
        return True, got
    except TimeoutError:
        return False, got


def test_half_sent_requests_are_dropped(hq, server_factory):
    server = server_factory(hq[0], extra_args=("--header-timeout", "1", "--body-timeout", "1"))
    # headers never finished (slowloris)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /v1/batches HTTP/1.1\r\nHost: hq\r\n")
        started = time.monotonic()
        closed, got = _closed_within(s, 8)
    assert closed and got == b"" and time.monotonic() - started < 5
    # headers complete, body cut short
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /v1/batches HTTP/1.1\r\nHost: hq\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"station_id\": ")
        closed, got = _closed_within(s, 8)
    assert closed and got.startswith(b"HTTP/1.1 408 "), got
    assert json.loads(got.split(b"\r\n\r\n", 1)[1])["error"] == "timeout"
    # a kept-alive connection's second request is timed too
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: hq\r\n\r\n")
        first = b""
        while not first.endswith(b"\r\n\r\nok"):
            first += s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHo")
        started = time.monotonic()
        closed, got = _closed_within(s, 8)
    assert closed and got == b"" and time.monotonic() - started < 4
    assert httpx.get(f"{server.url}/v1/health").text == "ok"  # the server itself is fine
    assert "Traceback" not in server.log_text()


def test_a_station_over_its_rate_gets_429_with_retry_after(hq, station, server_factory):
    server = server_factory(hq[0], extra_args=("--rate-limit", "5/minute"))
    cursor = f"{server.url}/v1/stations/LIM-1/cursor"
    statuses = [signed_get(cursor, station).status_code for _ in range(5)]
    assert statuses == [200] * 5
    response = signed_get(cursor, station)
    assert_refusal(response, 429, "rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    # batches count for the same station
    batch = raw_batch(station, 1, 5).to_json().encode()
    assert_refusal(post_raw(server.url, batch, station=station), 429, "rate_limited")
    assert hq_rows(hq[1], "LIM-1") == []
    # another station has its own budget
    assert httpx.get(f"{server.url}/v1/stations/OTHER-1/cursor").status_code != 429


def test_a_flood_of_forged_posts_is_one_alarm_row_with_a_count(hq, station, server_factory):
    server = server_factory(hq[0], extra_args=("--rate-limit", "10000/minute"))
    body = json.loads(raw_batch(station, 1, 5).to_json())
    body["signature"] = body["signature"][::-1]
    for _ in range(200):
        assert_refusal(post_raw(server.url, json.dumps(body).encode(), station=station), 403, "key_rejected")
    alarms = admin.alarms(hq[1], "LIM-1")
    assert [(a["kind"], a["count"]) for a in alarms] == [("bad_signature", 200)]
    assert server.log_text().count("ALARM") == 1
    assert hq_rows(hq[1], "LIM-1") == []


def test_alarm_dedupe_on_both_backends(store, tmp_path):
    """The schema change on SQLite and PostgreSQL: a repeat within the window counts, after it is a new row."""
    from datetime import UTC, datetime, timedelta

    from counter.hq.ingest import KeyRejected, ingest_batch

    st = make_station(tmp_path, "DUP-1")
    fill(st, 2)
    enroll_station(store, st)
    forged = raw_batch(st, 1, 3)
    forged.signature = forged.signature[::-1]
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    for minutes in (0, 1, 59):
        with pytest.raises(KeyRejected):
            ingest_batch(store, forged, now=start + timedelta(minutes=minutes))
    with pytest.raises(KeyRejected):
        ingest_batch(store, forged, now=start + timedelta(minutes=59 + 61))  # the window is from the last one
    alarms = admin.alarms(store, "DUP-1")
    assert [(a["kind"], a["count"]) for a in alarms] == [("bad_signature", 3), ("bad_signature", 1)]
    assert alarms[0]["last_at"].startswith("2026-03-01T08:59")
    st.close()


def test_a_version_1_hq_database_is_upgraded_by_hq_init(tmp_path, hq_key_dir):
    import sqlite3

    from counter.hq.store import StoreError, schema_statements

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in schema_statements("sqlite"):
        conn.execute(statement)
    # make it what version 1 created
    conn.execute("DROP TABLE hq_alarms")
    conn.execute("CREATE TABLE hq_alarms (alarm_id INTEGER PRIMARY KEY AUTOINCREMENT, station_id TEXT NOT NULL,"
                 " kind TEXT NOT NULL, detail TEXT NOT NULL, created_at TEXT NOT NULL)")
    conn.execute("CREATE INDEX hq_alarms_station ON hq_alarms(station_id)")
    conn.execute("INSERT INTO hq_alarms (station_id, kind, detail, created_at) VALUES ('A', 'fork', 'x', 't')")
    conn.execute("UPDATE hq_meta SET value = '1'")
    conn.commit()
    conn.close()
    store = open_store(f"sqlite:///{path}", admin.load_key(hq_key_dir))
    with pytest.raises(StoreError, match="run 'counter hq migrate'"):
        store.require_schema()
    assert store.init_schema() is False
    store.require_schema()
    assert [(a["count"], a["last_at"]) for a in admin.alarms(store)] == [(1, "t")]
    store.close()
