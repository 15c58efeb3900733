"""`counter hq rebuild`: the register recomputed from the stored journals; its checksum and row counts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from counter.hq.register.projection import ENTRY_COLUMNS, project_entries
from counter.hq.register_schema import CHECKSUM_TABLES, REBUILT_TABLES
from counter.hq.store import Store, Tx
from db import projections


def checksum(store: Store) -> str:
    """SHA-256 over the register's tables in a total order: equal on both backends for equal content."""
    h = hashlib.sha256()
    with store.transaction() as tx:
        for table, order in sorted(CHECKSUM_TABLES.items()):
            h.update(table.encode() + b"\x00")
            for row in tx.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                h.update(json.dumps(list(row), ensure_ascii=False, default=str).encode() + b"\n")
    return h.hexdigest()


def rebuild(store: Store, progress: Callable[[int, int], None] | None = None, page: int = 5000) -> int:
    """Empty the register and replay every stored entry, in the order HQ received them, in one transaction.

    Conflicts HQ already raised are kept (with their ids, which acks carried); replaying finds them again
    without a second alarm. Returns the number of entries replayed."""
    from counter.hq.alarms import raise_alarm

    kinds = sorted(projections.district_kinds())
    marks = ", ".join("?" * len(kinds))
    done = 0
    with store.transaction() as tx:
        total = tx.one(f"SELECT count(*) FROM hq_journal WHERE kind IN ({marks})", kinds)[0]
        for table in REBUILT_TABLES:
            if table != "hq_register_conflicts":
                tx.execute(f"DELETE FROM {table}")
        offsets = dict(tx.all("SELECT batch_id, clock_offset_s FROM hq_batches"))
        cols = ", ".join(("station_id", "batch_id", "received_at", *ENTRY_COLUMNS))
        after = (-1, "", 0)
        while True:
            rows = tx.all(f"SELECT {cols} FROM hq_journal WHERE kind IN ({marks}) AND"
                          " (batch_id > ? OR (batch_id = ? AND (station_id > ? OR (station_id = ? AND seq > ?))))"
                          " ORDER BY batch_id, station_id, seq LIMIT ?",
                          (*kinds, after[0], after[0], after[1], after[1], after[2], page))
            if not rows:
                break
            group: list[dict] = []
            for r in rows:
                d = dict(zip(("station_id", "batch_id", "received_at", *ENTRY_COLUMNS), r, strict=True))
                if group and (group[0]["batch_id"], group[0]["station_id"]) != (d["batch_id"], d["station_id"]):
                    _replay(tx, group, offsets, raise_alarm)
                    group = []
                group.append(d)
            _replay(tx, group, offsets, raise_alarm)
            last = rows[-1]
            after = (last[1], last[0], last[3])
            done += len(rows)
            if progress:
                progress(done, total)
    return done


def _replay(tx: Tx, group: list[dict], offsets: dict, raise_alarm) -> None:
    if not group:
        return
    sid, received_at = group[0]["station_id"], group[0]["received_at"]
    project_entries(tx, sid, group, received_at, offsets.get(group[0]["batch_id"]) or 0.0,
                    lambda s, k, detail: raise_alarm(tx, s, k, detail, received_at))


def counts(tx: Tx) -> dict[str, int]:
    return {t: tx.one(f"SELECT count(*) FROM {t}")[0] for t in ("persons", "permits", "transactions")}

