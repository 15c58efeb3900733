"""Projections: tables derived from the journal, and nothing else writes them.

A projector is registered per entry kind; the projectors themselves live in db.projectors,
one module per area, next to the reads of the tables they write. Appending an entry applies its
projector in the same transaction; db.rebuild empties every projection table
and replays the journal.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from db.connection import Database
from db.entry import Entry

Projector = Callable[[Database, Entry, dict], None]

_PROJECTORS: dict[str, list[Projector]] = {}
# Projectors HQ also runs on every station's entries, into its district tables (counter/hq/register/projection.py).
_DISTRICT: set[Projector] = set()
# Every table a projector writes; rebuild empties exactly these, in this order.
PROJECTION_TABLES: list[str] = []


def projector(*kinds: str, district: bool = False) -> Callable[[Projector], Projector]:
    """Register `fn` for these kinds. `district=True`: HQ runs it too, so it must be portable SQL
    (`db.conn.execute` with `?` only, no SQLite-only functions, no sqlite_utils helpers) and use
    `scope(db)` for rows keyed by a station's seq."""

    def register(fn: Projector) -> Projector:
        for kind in kinds:
            _PROJECTORS.setdefault(kind, []).append(fn)
        if district:
            _DISTRICT.add(fn)
        return fn

    return register


def scope(db) -> tuple[str, tuple]:
    """The WHERE part that keeps a projector to the entry's own station.

    A station's tables hold only its own rows. HQ's district tables hold every station's, and rows
    keyed by a station's seq are keyed by (station_id, seq) there: HQ's handle has `station_id`."""
    station_id = getattr(db, "station_id", None)
    return (" AND station_id = ?", (station_id,)) if station_id else ("", ())


def station_columns(db) -> dict:
    """Columns to add to a row keyed by a station's seq: {} on a station, {"station_id": ...} at HQ."""
    station_id = getattr(db, "station_id", None)
    return {"station_id": station_id} if station_id else {}


def district_columns(db, table: str, entry: Entry, data: dict) -> dict:
    """Columns HQ's handle adds to a row as it is inserted ({} on a station): HQ's own bookkeeping of a
    district row goes in with it, so the row is written once, not inserted and then updated."""
    hook = getattr(db, "district_columns", None)
    return hook(table, entry, data) if hook else {}


def district_kinds() -> set[str]:
    return {kind for kind, fns in _PROJECTORS.items() if any(fn in _DISTRICT for fn in fns)}


def projection_tables(*names: str) -> None:
    for name in names:
        if name not in PROJECTION_TABLES:
            PROJECTION_TABLES.append(name)


def apply(db: Database, entry: Entry, *, district: bool = False, data: dict | None = None) -> None:
    """Run the entry's projectors in registration order (HQ: `district=True`, only the district ones).
    `data`: the payload already parsed (HQ parses it once for its own bookkeeping too)."""
    fns = _PROJECTORS.get(entry.kind)
    if not fns:
        return
    if district:
        fns = [fn for fn in fns if fn in _DISTRICT]
        if not fns:
            return
    if data is None:
        data = json.loads(entry.payload)
    for fn in fns:
        fn(db, entry, data)
