"""Databases upgraded from version 1 got hq_alarms.last_at nullable; fresh ones have it NOT NULL."""

SUMMARY = "hq_alarms.last_at NOT NULL everywhere (as on a fresh database)"


def upgrade(tx) -> None:
    tx.execute("UPDATE hq_alarms SET last_at = created_at WHERE last_at IS NULL")
    if tx.dialect == "postgresql":
        tx.execute("ALTER TABLE hq_alarms ALTER COLUMN last_at SET NOT NULL")
        return
    # SQLite cannot change a column's constraint: rebuild the table, keeping alarm_id and AUTOINCREMENT
    tx.execute("""CREATE TABLE hq_alarms_new (
        alarm_id INTEGER PRIMARY KEY AUTOINCREMENT,
        station_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        created_at TEXT NOT NULL,
        count BIGINT NOT NULL DEFAULT 1,
        last_at TEXT NOT NULL
    )""")
    tx.execute("INSERT INTO hq_alarms_new (alarm_id, station_id, kind, detail, created_at, count, last_at)"
               " SELECT alarm_id, station_id, kind, detail, created_at, count, last_at FROM hq_alarms")
    tx.execute("DROP TABLE hq_alarms")
    tx.execute("ALTER TABLE hq_alarms_new RENAME TO hq_alarms")
    tx.execute("CREATE INDEX hq_alarms_station ON hq_alarms(station_id, kind, last_at)")
