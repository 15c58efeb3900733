"""What HQ hands back to a station that lost its disk: its own journal, page by page.

`GET /v1/stations/{id}/journal?after=N&limit=L` (signed by the station's active key, its own
station only) answers the entries after seq N, the batch checkpoints that end inside the page
(each signed by the station key of its time, so the station can check them without trusting HQ)
and HQ's signed cursor. The station verifies every hash, link and signature itself
(counter/restore.py); HQ's signature over the cursor ties the pages to the head HQ acknowledged.
"""

from __future__ import annotations

from counter.hq.ingest import UnknownStation, cursor_ack
from counter.hq.store import Store

MAX_PAGE = 5000
ENTRY_COLUMNS = ("seq", "uuid", "business_day", "device_time_utc", "monotonic_ns", "boot_id", "clerk_id", "kind",
                 "schema_ver", "payload", "prev_hash", "hash")


def journal_page(store: Store, station_id: str, after: int, limit: int) -> dict:
    limit = max(1, min(limit, MAX_PAGE))
    cursor = cursor_ack(store, station_id)  # first: its seq bounds the page, so page and cursor agree
    with store.transaction() as tx:
        if tx.one("SELECT 1 FROM hq_stations WHERE station_id = ?", (station_id,)) is None:
            raise UnknownStation("station {sid} is not enrolled at HQ", sid=station_id)
        rows = tx.all(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM hq_journal WHERE station_id = ? AND seq > ?"
                      " AND seq <= ? ORDER BY seq LIMIT ?", (station_id, after, cursor.acked_seq, limit))
        entries = [dict(zip(ENTRY_COLUMNS, r, strict=True)) for r in rows]
        checkpoints = []
        if entries:
            checkpoints = [{"last_seq": r[0], "head_hash": r[1], "key_id": r[2], "signature": r[3]} for r in tx.all(
                "SELECT last_seq, head_hash, key_id, signature FROM hq_batches WHERE station_id = ?"
                " AND last_seq BETWEEN ? AND ? ORDER BY last_seq, batch_id",
                (station_id, entries[0]["seq"], entries[-1]["seq"]))]
    return {"station_id": station_id, "after": after, "entries": entries, "checkpoints": checkpoints,
            "cursor": cursor.as_dict()}
