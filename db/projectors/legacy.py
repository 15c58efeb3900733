"""Projectors of the previous system's permits (counter import legacy) and the reads of their table.

An imported person arrives as a `person.registered` (source "legacy") followed by
`legacy.person_imported`, which gives the file its registration and the date the residence began
(art. 13: the residence period continues); `legacy.permit_imported` puts the permit on file as a
collected permit, so it is extended, changed, replaced or cancelled at the window like any other.
The residence period itself is a `residence.started` (via "import", db/projectors/houses.py).
The person and permit projectors are district projectors: HQ runs them into its district tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from db import kinds
from db.entry import Entry
from db.projections import projection_tables, projector

projection_tables("legacy_imports")


@projector(kinds.LEGACY_FILE_IMPORTED)
def _file_imported(db, e: Entry, d: dict) -> None:
    db.conn.execute(
        "INSERT INTO legacy_imports (file_sha256, import_id, file_name, row_count, approved_by, imported_on, seq)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (d["file_sha256"], d["import_id"], d["file_name"], int(d["rows"]), d["approved_by"], e.business_day, e.seq))


def person_effects(db, e: Entry, d: dict) -> None:
    """The registration an imported person brings (also replayed after a void, db/projectors/services.py)."""
    db.conn.execute(
        "UPDATE persons SET current_address = ?, registration_kind = 'residence', registration_number = ?,"
        " resident_since = ?, registered_on = ?, updated_seq = ? WHERE person_id = ?",
        (d["current_address"], d["registration_number"], d["resident_since"], d["resident_since"], e.seq,
         d["person_id"]))


def permit_effects(db, e: Entry, d: dict) -> None:
    """The imported permit, collected: its card is issued (also replayed after a void)."""
    db.conn.execute(
        "INSERT INTO permits (permit_id, person_id, status, application_number, validity_years, accepted_on,"
        " collection_date, valid_from, valid_until, card_number, collected_on, address, proof, updated_seq)"
        " VALUES (?, ?, 'issued', ?, ?, ?, NULL, ?, ?, ?, ?, ?, 'legacy', ?)",
        (d["permit_id"], d["person_id"], d["permit_id"], int(d["validity_years"]), d["valid_from"], d["valid_from"],
         d["valid_until"], d["card_number"], d["valid_from"], d["address"], e.seq))
    db.conn.execute("INSERT INTO permit_cards (card_number, permit_id, status, issued_seq) VALUES (?, ?, 'issued', ?)"
                    " ON CONFLICT (card_number) DO NOTHING", (d["card_number"], d["permit_id"], e.seq))


# HQ projects them too (district tables, counter/hq/register/): a lookup there shows the imported permit
# and the person's resident_since, and another window adopts the file from these entries.
projector(kinds.LEGACY_PERSON_IMPORTED, district=True)(person_effects)
projector(kinds.LEGACY_PERMIT_IMPORTED, district=True)(permit_effects)


# --- reads -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegacyImport:
    file_sha256: str
    import_id: str
    file_name: str
    row_count: int
    approved_by: str
    imported_on: str
    seq: int


def imported_file(db, file_sha256: str) -> LegacyImport | None:
    row = db.conn.execute(
        "SELECT file_sha256, import_id, file_name, row_count, approved_by, imported_on, seq FROM legacy_imports"
        " WHERE file_sha256 = ?", (file_sha256,)).fetchone()
    return LegacyImport(*row) if row else None


def permit_on_file(db, permit_id: str) -> bool:
    return db.conn.execute("SELECT 1 FROM permits WHERE permit_id = ? OR application_number = ? OR card_number = ?",
                           (permit_id, permit_id, permit_id)).fetchone() is not None
