"""A journal entry as read back from the journal table: the row every layer passes around.

No I/O and nothing else of ours, so projections, the journal and the sync code can all import it.
Named tuples, not dataclasses, and collections' namedtuple rather than typing.NamedTuple: `counter journal
verify` reads every entry and must start fast; the dataclasses module (with the inspect module it imports)
would double its start-up, and typing alone costs it a tenth.
"""

import json
from collections import namedtuple

# BIGINT columns on both HQ backends hold up to 2**63 - 1; the bound is one a float (OpenAPI writes bounds
# as floats) and its decimal text both say exactly (9e18 ns since boot are 285 years).
MAX_BIGINT = 9 * 10**18
MAX_INT4 = 2**31 - 1  # schema_ver is an INTEGER column (4 bytes on PostgreSQL)
HEX64 = r"^[0-9a-f]{64}$"


class Column(namedtuple("Column", "name type nullable low high pattern header",
                        defaults=(False, None, None, None, True))):
    """One field of a journal entry, as the station stores it, the sync protocol sends it and HQ checks it.

    name, type (int or str), nullable; low and high: for ints, the range HQ accepts; pattern: a text that
    must match whole (else any text without NUL); header: hashed as part of the header (seq, payload and
    the hashes are framed apart).
    """

    __slots__ = ()


# The journal entry's schema, the one definition: Entry below, the sync protocol's entry check and
# HQ's EntryModel (counter/hq/server.py) are all derived from it.
ENTRY_SCHEMA: tuple[Column, ...] = (
    Column("seq", int, low=1, high=MAX_BIGINT, header=False),
    Column("uuid", str),
    Column("business_day", str),
    Column("device_time_utc", str),
    Column("monotonic_ns", int, low=0, high=MAX_BIGINT),
    Column("boot_id", str),
    Column("clerk_id", str, nullable=True),
    Column("kind", str),
    Column("schema_ver", int, low=0, high=MAX_INT4),
    Column("payload", str, header=False),
    Column("prev_hash", str, pattern=HEX64, header=False),
    Column("hash", str, pattern=HEX64, header=False),
)
ENTRY_FIELDS = tuple(c.name for c in ENTRY_SCHEMA)
HEADER_FIELDS = tuple(c.name for c in ENTRY_SCHEMA if c.header)


class Entry(namedtuple("Entry", ENTRY_FIELDS)):
    """seq, uuid, business_day, device_time_utc, monotonic_ns, boot_id, clerk_id (None for the station's
    own entries), kind, schema_ver, payload (JSON text), prev_hash, hash: ENTRY_SCHEMA's columns in order."""

    __slots__ = ()

    @property
    def data(self) -> dict:
        return json.loads(self.payload)

    def as_dict(self) -> dict:
        return self._asdict()

    def header(self) -> dict:
        return {f: getattr(self, f) for f in HEADER_FIELDS}

