"""HQ's health probes, Prometheus metrics and log format.

Metrics carry station ids, counts, seconds and alarm kinds only: never an entry's content.
Per-station figures (lag, last contact, alarms) are read from the database at scrape time, so
every worker answers the same; request counters and the batch-latency histogram are per process,
aggregated over workers by prometheus-client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`,
set by `counter hq serve --workers N`).

/metrics answers a loopback client, or anyone presenting `Authorization: Bearer <token>` when
COUNTER_HQ_METRICS_TOKEN is set (then loopback clients need it too).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import time
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from counter.hq.store import Store

TOKEN_ENV = "COUNTER_HQ_METRICS_TOKEN"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

ENTRIES = Counter("counter_hq_ingested_entries", "Journal entries newly stored by this HQ")
BATCHES = Counter("counter_hq_batches", "Batches answered, by outcome (accepted or the refusal word)", ["outcome"])
LATENCY = Histogram("counter_hq_batch_seconds", "Time to verify and store one batch",
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
RATE_LIMITED = Counter("counter_hq_rate_limited", "Requests refused with 429 (rate limit)")


class StationCollector:
    """Gauges from the database: per-station acked seq, lag, last contact, clock offset; alarms by kind."""

    def __init__(self, store: Store):
        self.store = store

    def collect(self):
        now = datetime.now(UTC)
        up = GaugeMetricFamily("counter_hq_database_up", "1 when HQ's database answered this scrape")
        try:
            with self.store.transaction() as tx:
                stations = tx.all("SELECT station_id, cursor_seq, last_contact, last_clock_offset_s, quarantined"
                                  " FROM hq_stations ORDER BY station_id")
                alarms = tx.all("SELECT kind, sum(count) FROM hq_alarms GROUP BY kind ORDER BY kind")
        except Exception:  # noqa: BLE001 - a scrape reports the database down, it does not fail
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        acked = GaugeMetricFamily("counter_hq_station_acked_seq", "Last seq HQ holds per station", labels=["station"])
        contact = GaugeMetricFamily("counter_hq_station_last_contact_timestamp_seconds",
                                    "Unix time of the station's last accepted batch", labels=["station"])
        lag = GaugeMetricFamily("counter_hq_station_lag_seconds", "Seconds since the station's last accepted batch",
                                labels=["station"])
        offset = GaugeMetricFamily("counter_hq_station_clock_offset_seconds",
                                   "Station clock minus HQ clock at the last batch", labels=["station"])
        quarantined = GaugeMetricFamily("counter_hq_station_quarantined", "1 while quarantined after a fork",
                                        labels=["station"])
        for station_id, seq, last, clock, quarantine in stations:
            acked.add_metric([station_id], seq)
            quarantined.add_metric([station_id], int(bool(quarantine)))
            if last:
                moment = datetime.fromisoformat(last.rstrip("Z")).replace(tzinfo=UTC)
                contact.add_metric([station_id], moment.timestamp())
                lag.add_metric([station_id], max((now - moment).total_seconds(), 0.0))
            if clock is not None:
                offset.add_metric([station_id], clock)
        by_kind = GaugeMetricFamily("counter_hq_alarms", "Alarms raised, by kind (identical ones counted)",
                                    labels=["kind"])
        for kind, count in alarms:
            by_kind.add_metric([kind], count or 0)
        yield from (acked, contact, lag, offset, quarantined, by_kind)


def registry_for(store: Store) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (ENTRIES, BATCHES, LATENCY, RATE_LIMITED):
            registry.register(collector)
    registry.register(StationCollector(store))
    return registry


def scrape(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def may_scrape(client_host: str | None, authorization: str | None) -> bool:
    token = os.environ.get(TOKEN_ENV, "")
    if token:
        given = (authorization or "").removeprefix("Bearer ").strip()
        return bool(given) and hmac.compare_digest(given.encode(), token.encode())
    try:
        return client_host is not None and ipaddress.ip_address(client_host).is_loopback
    except ValueError:
        return False


class Timer:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        LATENCY.observe(time.perf_counter() - self.started)
        return False


# --- logs ----------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        if record.exc_info and record.exc_info[0] is not None:
            data["error"] = record.exc_info[0].__name__  # the class only: a message may quote row values
        return json.dumps(data, ensure_ascii=False)


def log_config(fmt: str, level: str) -> dict:
    """uvicorn's log_config: every line timestamped, as text or JSON, to stderr (the journal under systemd)."""
    formatter = ({"()": "counter.hq.monitoring.JsonFormatter"} if fmt == "json" else
                 {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s", "datefmt": "%Y-%m-%dT%H:%M:%S%z"})
    level = level.upper() if level != "trace" else "DEBUG"
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}},
        "loggers": {name: {"handlers": ["stderr"], "level": level, "propagate": False}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "counter")},
    }
