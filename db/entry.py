"""A journal entry as read back from the journal table: the row every layer passes around.

No I/O and nothing else of ours, so projections, the journal and the sync code can all import it.
NamedTuples, not dataclasses: `counter journal verify` reads every entry and must start fast, and the
dataclasses module (with the inspect module it imports) would double its start-up.
"""

# No `from __future__ import annotations`: typing.NamedTuple compiles each string annotation (a ForwardRef
# per field), which costs `counter journal verify` a few milliseconds at every start.

import json
from typing import NamedTuple

# BIGINT columns on both HQ backends hold up to 2**63 - 1; the bound is one a float (OpenAPI writes bounds
# as floats) and its decimal text both say exactly (9e18 ns since boot are 285 years).
MAX_BIGINT = 9 * 10**18
MAX_INT4 = 2**31 - 1  # schema_ver is an INTEGER column (4 bytes on PostgreSQL)
HEX64 = r"^[0-9a-f]{64}$"


class Column(NamedTuple):
    """One field of a journal entry, as the station stores it, the sync protocol sends it and HQ checks it."""

    name: str
    type: type  # int or str
    nullable: bool = False
    low: int | None = None  # ints: the range HQ accepts
    high: int | None = None
    pattern: str | None = None  # texts that must match whole (else any text without NUL)
    header: bool = True  # hashed as part of the header (seq, payload and the hashes are framed apart)


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


class Entry(NamedTuple):
    seq: int
    uuid: str
    business_day: str
    device_time_utc: str
    monotonic_ns: int
    boot_id: str
    clerk_id: str | None
    kind: str
    schema_ver: int
    payload: str
    prev_hash: str
    hash: str

    @property
    def data(self) -> dict:
        return json.loads(self.payload)

    def as_dict(self) -> dict:
        return self._asdict()

    def header(self) -> dict:
        return {f: getattr(self, f) for f in HEADER_FIELDS}


if Entry._fields != ENTRY_FIELDS:  # pragma: no cover - caught by any import in the suite
    raise ImportError("db.entry.Entry's fields differ from ENTRY_SCHEMA")
