"""Identical alarms within a window become one row with a count and the time of the last one."""

SUMMARY = "hq_alarms.count and last_at: identical alarms within a window are one row"


def upgrade(tx) -> None:
    tx.execute("ALTER TABLE hq_alarms ADD COLUMN count BIGINT NOT NULL DEFAULT 1")
    tx.execute("ALTER TABLE hq_alarms ADD COLUMN last_at TEXT")
    tx.execute("UPDATE hq_alarms SET last_at = created_at")
    tx.execute("DROP INDEX hq_alarms_station")
    tx.execute("CREATE INDEX hq_alarms_station ON hq_alarms(station_id, kind, last_at)")
