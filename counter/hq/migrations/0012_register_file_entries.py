"""The entries of a person's file that make no transaction row: the previous system's import
(`legacy.person_imported`, `legacy.permit_imported`) and residence periods started or ended by a report
or an import (`residence.started`, `residence.ended`). HQ cites them when a file is opened, so another
window can adopt an imported person and their permit (art. 13: the residence period continues), and
replays them when a void re-derives the file. Empty on an existing database: `counter hq rebuild`
projects the journals HQ already holds."""

SUMMARY = "district register: hq_register_file_entries (legacy imports and residence periods of a file)"


def upgrade(tx) -> None:
    tx.execute("""CREATE TABLE hq_register_file_entries (
        station_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        person_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        PRIMARY KEY (station_id, seq)
    )""")
    tx.execute("CREATE INDEX hq_register_file_entries_person ON hq_register_file_entries(person_id)")
