"""What the HQ benchmarks (tests/bench/ingest.py, tests/bench/register.py) share: a fresh HQ with the
stations enrolled, and every batch sent through HQ's real ingest path with a progress line."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from counter.hq import admin
from counter.hq.ingest import ingest_batch
from counter.hq.store import open_store
from counter.sync.protocol import utc_now_text


def open_enrolled(url: str, key_dir: Path, keys: dict):
    """A fresh HQ store at `url` (its schema made) with every station of `keys` enrolled."""
    store = open_store(url, admin.load_key(key_dir))
    store.init_schema()
    for sid, key in keys.items():
        admin.enroll(store, sid, key.public_pem())
    return store


def send_batches(store, batches: list, label: str, *, project: bool, every: int = 20) -> float:
    """Seconds to ingest every batch (each fresh: all its entries must be inserted); progress on stderr."""
    total = sum(len(b.entries) for b in batches)
    done = 0
    started = time.perf_counter()
    for i, b in enumerate(batches):
        b.sent_at = utc_now_text()  # within HQ's clock tolerance, as a live station's would be
        ack = ingest_batch(store, b, project=project)
        assert ack.inserted == len(b.entries), "every entry of a fresh batch must be inserted"
        done += len(b.entries)
        if i % every == 0 or i == len(batches) - 1:
            elapsed = time.perf_counter() - started
            eta = elapsed / done * (total - done)
            print(f"\r  {label}: {done}/{total} entries, {done / elapsed:,.0f}/s, about {eta:,.0f} s left   ",
                  end="", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    return seconds
