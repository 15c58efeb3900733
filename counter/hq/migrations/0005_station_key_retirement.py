"""Replacing a station PC (`counter hq rekey`): where and why a key was retired, and who approved it."""

SUMMARY = "hq_station_keys.retired_seq, retire_reason, approved_by (counter hq rekey)"


def upgrade(tx) -> None:
    tx.execute("ALTER TABLE hq_station_keys ADD COLUMN retired_seq BIGINT")
    tx.execute("ALTER TABLE hq_station_keys ADD COLUMN retire_reason TEXT")
    tx.execute("ALTER TABLE hq_station_keys ADD COLUMN approved_by TEXT")
