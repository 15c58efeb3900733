"""Health probes, /metrics, log format, hq status columns, and the protocol floor, on a real HQ server."""

from __future__ import annotations

import json
import time

import httpx

from counter.sync import client as sync
from tests.sync.fixtures import NAMES, cli_env, fill, fresh_hq, run_cli, served_station


def test_ready_checks_the_database_live_does_not(pg_cluster, hq_key_dir, server_factory, tmp_path):
    url = pg_cluster.create_database()
    fresh_hq(url, hq_key_dir).close()
    server = server_factory(url)
    assert httpx.get(f"{server.url}/v1/health/live").text == "ok"
    ready = httpx.get(f"{server.url}/v1/health/ready")
    assert ready.status_code == 200 and ready.text == "ready"
    pg_cluster.stop_server()
    try:
        down = httpx.get(f"{server.url}/v1/health/ready", timeout=30)
        assert down.status_code == 503 and down.json()["error"] == "unavailable"
        assert httpx.get(f"{server.url}/v1/health/live").text == "ok"  # the process itself is fine
        assert httpx.get(f"{server.url}/v1/health").text == "ok"
    finally:
        pg_cluster.start_server()
    deadline = time.monotonic() + 20
    while httpx.get(f"{server.url}/v1/health/ready", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "HQ did not become ready again after PostgreSQL came back"
        time.sleep(0.2)


def test_metrics_show_ingest_lag_alarms_and_refusals_without_personal_data(tmp_path, hq_key_dir, server_factory):
    # 25 entries in batches of 10: 3 requests, the rate limit's last
    db_url, store, server, st = served_station(
        tmp_path, hq_key_dir, server_factory, 25, batch_size=10,
        server_args=("--rate-limit", "3/minute", "--log-format", "json", "--log-level", "info"))
    fill(st, 1)  # a 4th request, over the limit
    refused = sync.sync_once(st)
    assert not refused.ok and "429" in refused.error

    text = httpx.get(f"{server.url}/metrics").text
    assert "counter_hq_ingested_entries_total 26.0" in text
    assert 'counter_hq_batches_total{outcome="accepted"} 3.0' in text
    assert "counter_hq_rate_limited_total 1.0" in text
    assert "counter_hq_batch_seconds_count 3.0" in text
    assert 'counter_hq_station_acked_seq{station="HP-01"} 26.0' in text
    assert 'counter_hq_station_lag_seconds{station="HP-01"}' in text
    assert 'counter_hq_station_last_contact_timestamp_seconds{station="HP-01"}' in text
    assert "counter_hq_database_up 1.0" in text
    assert not any(name in text for name in NAMES) and "测试" not in text

    # the structured log: one JSON object a line, each with a UTC timestamp; no personal data
    lines = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    assert lines and all(line["time"].endswith("Z") and line["level"] for line in lines)
    assert not any(name in server.log_text() for name in NAMES)
    st.close()
    store.close()


def test_metrics_are_for_loopback_or_the_bearer_token(tmp_path, hq_key_dir, monkeypatch):
    from tests.sync import fixtures

    db_url = f"sqlite:///{tmp_path / 'hq.db'}"
    fresh_hq(db_url, hq_key_dir).close()
    real_env = fixtures.cli_env
    monkeypatch.setattr(fixtures, "cli_env", lambda **extra: real_env(
        COUNTER_HQ_METRICS_TOKEN="s3cret-token-for-tests", **extra))
    server = fixtures.HQServer(db_url, hq_key_dir).start()
    try:
        assert httpx.get(f"{server.url}/metrics").status_code == 403  # loopback, but a token is configured
        assert httpx.get(f"{server.url}/metrics", headers={"authorization": "Bearer wrong"}).status_code == 403
        ok = httpx.get(f"{server.url}/metrics", headers={"authorization": "Bearer s3cret-token-for-tests"})
        assert ok.status_code == 200 and "counter_hq_database_up 1.0" in ok.text
    finally:
        server.stop()
    from counter.hq.monitoring import may_scrape

    assert may_scrape("127.0.0.1", None) and may_scrape("::1", None)
    assert not may_scrape("192.0.2.7", None) and not may_scrape(None, None) and not may_scrape("nonsense", None)


def test_a_station_below_the_minimum_protocol_is_told_in_one_line(tmp_path, hq_key_dir, server_factory):
    db_url, store, server, st = served_station(tmp_path, hq_key_dir, server_factory, 3, sync_now=False,
                                               server_args=("--min-protocol", "2"))
    st.close()
    out = run_cli("sync", "--once", env=cli_env(COUNTER_DATA_DIR=str(st.data_dir)))
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1, out.stderr
    assert "sync protocol 1, HQ requires at least 2" in out.stderr and "upgrade the counter software" in out.stderr
    assert httpx.get(f"{server.url}/v1/health/ready").status_code == 200  # probes are not refused
    store.close()


def test_hq_status_text_shows_every_column(tmp_path, hq_key_dir, server_factory):
    db_url, store, server, st = served_station(tmp_path, hq_key_dir, server_factory, 2)
    key_id = st.key.key_id  # the key enrolled at HQ
    out = run_cli("hq", "status", "--db", db_url, env=cli_env())
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.splitlines()
    for column in ("station", "acked_seq", "head", "last contact", "clock", "alarms", "key", "state"):
        assert column in header
    assert row.startswith("HP-01") and " 3 " in row and key_id in row and row.endswith(" ok")
    assert "+0s" in row or "-0s" in row
    st.close()
    store.close()
