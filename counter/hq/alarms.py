"""HQ's alarms: what an operator must look at (refused batches, forks, refused key rotations)."""

from __future__ import annotations

import logging
from datetime import timedelta

from counter.hq.store import Tx
from counter.sync.protocol import parse_utc, utc_now_text

log = logging.getLogger("counter.hq")

# Identical alarms (same station, kind and detail) within this many seconds are one row with a count.
ALARM_WINDOW_S = 3600.0


def raise_alarm(tx: Tx, station_id: str, kind: str, detail: str, at: str,
                window_s: float = ALARM_WINDOW_S) -> None:
    """Alarms carry station ids, seqs and reasons only: never payload content (personal data).

    The same alarm again within `window_s` of its last occurrence only counts up (one row, one log line),
    so a flood of identical refused posts cannot fill the table or the log."""
    since = utc_now_text(parse_utc(at) - timedelta(seconds=window_s))
    row = tx.one("SELECT alarm_id FROM hq_alarms WHERE station_id = ? AND kind = ? AND detail = ? AND last_at >= ?"
                 " ORDER BY alarm_id DESC LIMIT 1", (station_id, kind, detail, since))
    if row is not None:
        tx.execute("UPDATE hq_alarms SET count = count + 1, last_at = ? WHERE alarm_id = ?", (at, row[0]))
        return
    tx.execute("INSERT INTO hq_alarms (station_id, kind, detail, created_at, count, last_at) VALUES (?, ?, ?, ?, 1, ?)",
               (station_id, kind, detail, at, at))
    log.warning("ALARM station=%s kind=%s %s", station_id, kind, detail)
