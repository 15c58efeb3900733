"""The district register's tables lose their foreign keys on PostgreSQL: HQ's projection is derived
from the stored journals (the truth; `counter hq rebuild` recomputes it), so a key that points at a
row another entry wrote proves nothing the journal does not, and every check of one cost a read of the
partitioned `persons` table per written row (most of what a registration cost HQ, tests/bench/register.py).
Without them the projection groups a batch's writes per statement across entries (counter/hq/register/
projection.py). SQLite keeps them: it checks them in-process, and its writer keeps journal order."""

SUMMARY = "district register: no foreign keys on PostgreSQL (name keys, permits, cards, transactions)"

TABLES = ("person_name_keys", "permits", "permit_cards", "transactions")


def upgrade(tx) -> None:
    if tx.dialect != "postgresql":
        return
    marks = ", ".join("?" * len(TABLES))
    # the parent tables' constraints (a partition's copy goes with its parent's)
    for table, name in tx.all("SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f'"
                              f" AND conparentid = 0 AND conrelid::regclass::text IN ({marks})", TABLES):
        tx.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
