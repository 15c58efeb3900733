"""The district register (counter/hq/register_schema.py): HQ's projection of every station's journal.

The tables start empty on an existing database; `counter hq rebuild` then projects the journals HQ
already holds."""

from counter.hq.register_schema import register_statements

SUMMARY = "the district register: persons, permits, registrations, name keys, access log, conflicts"


def upgrade(tx) -> None:
    for statement in register_statements(tx.dialect):
        tx.execute(statement)
