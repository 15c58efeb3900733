"""A journal entry as read back from the journal table: the row every layer passes around.

No I/O and nothing else of ours, so projections, the journal and the sync code can all import it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

HEADER_FIELDS = ("uuid", "business_day", "device_time_utc", "monotonic_ns", "boot_id", "clerk_id", "kind", "schema_ver")


@dataclass(frozen=True)
class Entry:
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
        return asdict(self)

    def header(self) -> dict:
        return {f: getattr(self, f) for f in HEADER_FIELDS}
