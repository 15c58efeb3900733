"""Projections: tables derived from the journal, and nothing else writes them.

A projector is registered per entry kind; the projectors themselves live in db.projectors,
one module per area, next to the reads of the tables they write. Appending an entry applies its
projector in the same transaction; db.rebuild empties every projection table
and replays the journal.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlite_utils

from db.entry import Entry

Projector = Callable[[sqlite_utils.Database, Entry, dict], None]

_PROJECTORS: dict[str, list[Projector]] = {}
# Every table a projector writes; rebuild empties exactly these, in this order.
PROJECTION_TABLES: list[str] = []


def projector(*kinds: str) -> Callable[[Projector], Projector]:
    def register(fn: Projector) -> Projector:
        for kind in kinds:
            _PROJECTORS.setdefault(kind, []).append(fn)
        return fn

    return register


def projection_tables(*names: str) -> None:
    for name in names:
        if name not in PROJECTION_TABLES:
            PROJECTION_TABLES.append(name)


def apply(db: sqlite_utils.Database, entry: Entry) -> None:
    fns = _PROJECTORS.get(entry.kind)
    if not fns:
        return
    data = json.loads(entry.payload)
    for fn in fns:
        fn(db, entry, data)
