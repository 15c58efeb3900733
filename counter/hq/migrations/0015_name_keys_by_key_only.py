"""The register's name keys lose their index by person: it was there only to replace a person's keys when
the name changes, a rare entry, and it cost every registration about as much as the key index the lookups
use (tests/bench/register.py; at a province, an index of some 40 million rows). A name's keys are now
replaced by key: the projection computes the keys of the name HQ held and deletes exactly those
(counter/hq/register/projection.py, NAME_WRITERS)."""

SUMMARY = "district register: name keys indexed by key only"


def upgrade(tx) -> None:
    tx.execute("DROP INDEX IF EXISTS person_name_keys_person")
