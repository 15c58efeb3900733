"""Resolutions of the district register's conflicts: which entry a district admin kept, why, who, when.

A resolution is a new fact beside the conflict (the conflict row only changes status); the journals
are untouched: the window whose entry was not kept voids it itself (docs/ARCHITECTURE.md)."""

SUMMARY = "district register: conflict resolutions (entry kept, reason, who, when)"


def upgrade(tx) -> None:
    tx.execute("""CREATE TABLE hq_register_resolutions (
        conflict_id BIGINT PRIMARY KEY REFERENCES hq_register_conflicts(conflict_id),
        keep TEXT NOT NULL CHECK (keep IN ('first', 'second', 'both')),
        reason TEXT NOT NULL,
        resolved_by TEXT NOT NULL,
        resolved_at TEXT NOT NULL
    )""")
    tx.execute("CREATE INDEX hq_register_resolutions_at ON hq_register_resolutions(resolved_at)")
