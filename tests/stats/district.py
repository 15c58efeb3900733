"""A small district for the HQ tests: seeded stations whose journals HQ has ingested (in process)."""

from __future__ import annotations

from pathlib import Path

from counter.hq import admin
from counter.hq.ingest import ingest_batch
from counter.hq.store import open_store
from counter.services import clerks
from counter.services.seed import seed
from counter.station import Station
from db import journal


def ingest_all(store, station: Station) -> None:
    from counter.sync.protocol import Batch, checkpoint_message, utc_now_text

    cur = store.transaction
    with cur() as tx:
        row = tx.one("SELECT cursor_seq FROM hq_stations WHERE station_id = ?", (station.station_id,))
    rows = [e.as_dict() for e in journal.entries(station.db, since=row[0])]
    for i in range(0, len(rows), 2000):
        chunk = rows[i:i + 2000]
        batch = Batch(station_id=station.station_id, key_id=station.key.key_id, first_seq=chunk[0]["seq"],
                      last_seq=chunk[-1]["seq"], prev_hash=chunk[0]["prev_hash"], head_hash=chunk[-1]["hash"],
                      signature=station.key.sign(checkpoint_message(station.station_id, chunk[-1]["seq"],
                                                                    chunk[-1]["hash"])),
                      sent_at=utc_now_text(), entries=chunk)
        ingest_batch(store, batch)


def make_district(root: Path, stations: dict[str, int], *, hq_db: str = "sqlite") -> tuple:
    """HQ (SQLite under root, or the given URL) and stations {id: transactions}; returns (store, url, key_dir, stations)."""
    key_dir = root / "hqkeys"
    key, _ = admin.init_keys(key_dir)
    url = f"sqlite:///{root / 'hq.db'}" if hq_db == "sqlite" else hq_db
    store = open_store(url, key)
    store.init_schema()
    made = {}
    for n, (sid, count) in enumerate(stations.items()):
        st = Station.init(root / sid, sid, "210102", f"和平区{sid}服务站")
        clerk = clerks.add_clerk(st, "柜员甲", "clerk", "1234")
        seed(st, count, clerk=clerk, rng_seed=100 + n)
        admin.enroll(store, sid, st.key.public_pem())
        ingest_all(store, st)
        made[sid] = st
    return store, url, key_dir, made
