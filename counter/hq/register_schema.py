"""DDL of HQ's district register: the station's projection tables, district-wide, plus HQ's own.

The projection tables are derived from the station's own definition (db/migrations/0002_services.sql,
read at run time: one definition, not a copy), so the shared projectors of db/projectors write them
unchanged. Where a station keys a row by its own seq, HQ keys it by (station_id, seq); a UNIQUE that
only holds within one station is dropped (one person per document: across stations, exactly the
duplicates `counter hq duplicates` reports) or scoped to the station (a number series per day).
Indexes are HQ's own choice: only what its lookups need.

Sized for a province (about 10 million persons, thousands of stations) on PostgreSQL: persons and
their name keys are hash-partitioned by person_id (the Citus distribution column, see
docs/REGISTER.md), every lookup has its index, Chinese name substrings use pg_trgm.
"""

from __future__ import annotations

PARTITIONS = 8


# The station migration that defines the shared projection tables. A shipped migration never changes,
# so the tables HQ derives from it (and HQ migration 0006, which creates them) never change either.
STATION_MIGRATION = "0002_services.sql"
SHARED_TABLES = ("persons", "permits", "permit_cards", "transactions", "numbers")
# Columns holding a station's journal seq: BIGINT at HQ, where a province's journals meet.
JOURNAL_SEQ_COLUMNS = {"seq", "registered_seq", "updated_seq", "issued_seq", "cancelled_seq", "ref_seq"}
# What only HQ adds to a shared table, after the station's columns.
HQ_COLUMNS = {"persons": ("station_id TEXT", "last_station_id TEXT", "last_seq BIGINT", "household_area TEXT")}


def _station_tables() -> dict[str, list[str]]:
    """{table: [column or constraint definition]} of the station's projection tables, comments dropped."""
    import re
    from importlib import resources

    sql = (resources.files("db") / "migrations" / STATION_MIGRATION).read_text(encoding="utf-8")
    sql = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    tables = {}
    for match in re.finditer(r"CREATE TABLE (\w+) \((.*?)\);", sql, re.S):
        items, depth, part = [], 0, ""
        for ch in match.group(2):
            depth += (ch == "(") - (ch == ")")
            if ch == "," and depth == 0:
                items.append(" ".join(part.split()))
                part = ""
            else:
                part += ch
        items.append(" ".join(part.split()))
        tables[match.group(1)] = [i for i in items if i]
    return tables


def _district_table(table: str, items: list[str], by_person: str) -> str:
    """A station table as HQ holds it: rows of every station. Where the station keys a row by its own seq,
    HQ keys it by (station_id, seq); a UNIQUE that holds only within one station (one person per document)
    is dropped, or scoped to the station (a number series per day)."""
    out: list[str] = []
    keyed_by_seq = any(i.split()[:3] == ["seq", "INTEGER", "PRIMARY"] for i in items)
    scoped = table == "numbers"  # its rows name their station, its day series are per station
    for item in items:
        words = item.split()
        if words[0] == "UNIQUE":
            if scoped:
                out.append("UNIQUE (station_id, " + item.split("(", 1)[1])
            continue  # across stations, exactly the duplicates `counter hq duplicates` reports
        name = words[0]
        if name in JOURNAL_SEQ_COLUMNS and words[1] == "INTEGER":
            words[1] = "BIGINT"
        if table == "persons" and name == "person_id":
            words[1:2] = ["TEXT", "NOT", "NULL"]  # the partition key, spelled as HQ migration 0006 shipped it
        if keyed_by_seq and name == "seq":
            out.append("station_id TEXT NOT NULL")
            words = ["seq", "BIGINT", "NOT", "NULL"]
        out.append(" ".join(words))
        if scoped and name == "number":
            out.append("station_id TEXT NOT NULL")
    out += HQ_COLUMNS.get(table, ())
    if keyed_by_seq:
        out.append("PRIMARY KEY (station_id, seq)")
    return f"CREATE TABLE {table} (\n    " + ",\n    ".join(out) + f"\n){by_person if table == 'persons' else ''}"


def register_statements(dialect: str) -> list[str]:
    pg = dialect == "postgresql"
    identity = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT"
    by_person = " PARTITION BY HASH (person_id)" if pg else ""
    statements = []
    if pg:
        statements.append("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    station = _station_tables()
    shared = {t: _district_table(t, station[t], by_person) for t in SHARED_TABLES}
    statements += [
        # --- the station's projection tables (db/projectors/services.py writes them), derived ---
        shared["persons"],
        # Every index costs each ingested registration: only what a lookup needs. The duplicates report
        # (name, birth date, area) is a batch job that scans; name + birth date uses the name index.
        "CREATE INDEX persons_id_number ON persons(id_number)",
        shared["permits"],
        "CREATE INDEX permits_person ON permits(person_id)",
        "CREATE INDEX permits_application ON permits(application_number)",
        "CREATE INDEX permits_card ON permits(card_number)",
        shared["permit_cards"],
        "CREATE INDEX permit_cards_permit ON permit_cards(permit_id)",
        shared["transactions"],
        "CREATE INDEX transactions_person ON transactions(person_id)",
        "CREATE INDEX transactions_number ON transactions(number)",
        shared["numbers"],
        # --- HQ's own register tables ---
        # Pinyin keys of every name (db.name_keys.name_keys); written after the person row (FK).
        # (no primary key: name_keys() gives each (key, kind) once per person; one index, by key: a changed
        # name's keys are replaced by key, HQ migration 0015)
        f"""CREATE TABLE person_name_keys (
            key TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('full', 'initials')),
            person_id TEXT NOT NULL REFERENCES persons(person_id) ON DELETE CASCADE
        ){by_person}""",
        # Every applied entry that acted on a permit: the re-check's "last" and the conflict check.
        """CREATE TABLE hq_register_permit_events (
            station_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            permit_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            made_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            basis_station_id TEXT,
            basis_seq BIGINT,
            voided INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (station_id, seq)
        )""",
        "CREATE INDEX hq_register_permit_events_permit ON hq_register_permit_events(permit_id, received_at)",
        f"""CREATE TABLE hq_register_conflicts (
            conflict_id {identity},
            permit_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            first_station_id TEXT NOT NULL,
            first_seq BIGINT NOT NULL,
            first_kind TEXT NOT NULL,
            second_station_id TEXT NOT NULL,
            second_seq BIGINT NOT NULL,
            second_kind TEXT NOT NULL,
            detected_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
            UNIQUE (first_station_id, first_seq, second_station_id, second_seq)
        )""",
        "CREATE INDEX hq_register_conflicts_first ON hq_register_conflicts(first_station_id, status)",
        "CREATE INDEX hq_register_conflicts_second ON hq_register_conflicts(second_station_id, status)",
        # Every lookup and opening by a station's clerk (art. 7, 23: everything is access-logged).
        # `query` is the search text with ID and document numbers masked.
        f"""CREATE TABLE hq_register_access (
            access_id {identity},
            station_id TEXT NOT NULL,
            clerk_id TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('search', 'open', 'permit')),
            ref TEXT,
            query_kind TEXT,
            query TEXT,
            results INTEGER NOT NULL DEFAULT 0,
            purpose TEXT,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX hq_register_access_ref ON hq_register_access(ref, at)",
        "CREATE INDEX hq_register_access_station ON hq_register_access(station_id, at)",
        # Entries whose projection failed (stored in the journal all the same; an alarm names them).
        """CREATE TABLE hq_register_failures (
            station_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            kind TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (station_id, seq)
        )""",
    ]
    if not pg:
        statements += ["CREATE INDEX person_name_keys_key ON person_name_keys(key, kind)",
                       "CREATE INDEX persons_name ON persons(name, birth_date)"]
    if pg:
        statements += [
            # pg_trgm for Chinese name substrings (needs a UTF-8 LC_CTYPE: see docs/REGISTER.md)
            "CREATE INDEX persons_name_trgm ON persons USING gin (name gin_trgm_ops)",
            # equality and prefix search whatever the database collation
            "CREATE INDEX person_name_keys_key ON person_name_keys(key text_pattern_ops, kind)",
            "CREATE INDEX persons_name ON persons(name text_pattern_ops, birth_date)",
        ]
        for table in ("persons", "person_name_keys"):
            statements += [f"CREATE TABLE {table}_p{i} PARTITION OF {table} FOR VALUES WITH"
                           f" (MODULUS {PARTITIONS}, REMAINDER {i})" for i in range(PARTITIONS)]
    return statements


# Tables the projection writes, children first: `counter hq rebuild` empties them in this order.
REBUILT_TABLES = ("hq_register_conflicts", "hq_register_permit_events", "hq_register_failures", "person_name_keys",
                  "hq_register_file_entries",
                  "residence_periods", "reports", "entities", "houses",
                  "numbers", "transactions", "permit_cards", "permits", "persons")
# Tables the projection checksum covers, with their order (a total order, so the sum is stable).
CHECKSUM_TABLES = {
    "persons": "person_id",
    "permits": "permit_id",
    "permit_cards": "card_number",
    "transactions": "station_id, seq",
    "numbers": "number",
    "person_name_keys": "key, kind, person_id",
    "hq_register_permit_events": "station_id, seq",
    "hq_register_file_entries": "station_id, seq",
    "houses": "house_code",
    "entities": "entity_code",
    "reports": "report_id",
    "residence_periods": "period_id",
}
