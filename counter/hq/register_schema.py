"""DDL of HQ's district register: the station's projection tables, district-wide, plus HQ's own.

The projection tables have the station's names and columns (db/migrations/0002_services.sql), so the
shared projectors of db/projectors write them unchanged. Where a station keys a row by its own seq,
HQ keys it by (station_id, seq); where a station has a UNIQUE that only holds within one station
(one person per document, a number series per day), HQ has a plain index: across stations those
are exactly the duplicates `counter hq duplicates` reports.

Sized for a province (about 10 million persons, thousands of stations) on PostgreSQL: persons and
their name keys are hash-partitioned by person_id (the Citus distribution column, see
docs/REGISTER.md), every lookup has its index, Chinese name substrings use pg_trgm.
"""

from __future__ import annotations

PARTITIONS = 8


def register_statements(dialect: str) -> list[str]:
    pg = dialect == "postgresql"
    identity = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT"
    by_person = " PARTITION BY HASH (person_id)" if pg else ""
    statements = []
    if pg:
        statements.append("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    statements += [
        # --- the station's projection tables (db/projectors/services.py writes them) ---
        f"""CREATE TABLE persons (
            person_id TEXT NOT NULL PRIMARY KEY,
            doc_type TEXT NOT NULL,
            id_number TEXT NOT NULL,
            name TEXT NOT NULL,
            sex TEXT,
            birth_date TEXT,
            ethnicity TEXT,
            nationality TEXT,
            household_address TEXT,
            current_address TEXT,
            phone TEXT,
            employer TEXT,
            registration_kind TEXT,
            registration_number TEXT,
            resident_since TEXT,
            registered_on TEXT,
            registered_seq BIGINT NOT NULL,
            updated_seq BIGINT NOT NULL,
            station_id TEXT,
            last_station_id TEXT,
            last_seq BIGINT,
            household_area TEXT
        ){by_person}""",
        # Every index costs each ingested registration: only what a lookup needs. The duplicates report
        # (name, birth date, area) is a batch job that scans; name + birth date uses the name index.
        "CREATE INDEX persons_id_number ON persons(id_number)",
        """CREATE TABLE permits (
            permit_id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL REFERENCES persons(person_id),
            status TEXT NOT NULL CHECK (status IN ('accepted', 'issued', 'cancelled', 'voided')),
            application_number TEXT NOT NULL,
            validity_years INTEGER NOT NULL,
            accepted_on TEXT NOT NULL,
            collection_date TEXT,
            valid_from TEXT NOT NULL,
            valid_until TEXT NOT NULL,
            card_number TEXT,
            collected_on TEXT,
            address TEXT,
            proof TEXT,
            updated_seq BIGINT NOT NULL
        )""",
        "CREATE INDEX permits_person ON permits(person_id)",
        "CREATE INDEX permits_application ON permits(application_number)",
        "CREATE INDEX permits_card ON permits(card_number)",
        """CREATE TABLE permit_cards (
            card_number TEXT PRIMARY KEY,
            permit_id TEXT NOT NULL REFERENCES permits(permit_id),
            status TEXT NOT NULL CHECK (status IN ('issued', 'cancelled')),
            issued_seq BIGINT NOT NULL,
            cancelled_seq BIGINT
        )""",
        "CREATE INDEX permit_cards_permit ON permit_cards(permit_id)",
        """CREATE TABLE transactions (
            station_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            person_id TEXT NOT NULL REFERENCES persons(person_id),
            service TEXT NOT NULL,
            number TEXT,
            business_day TEXT NOT NULL,
            clerk_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('done', 'requested', 'voided', 'corrected')),
            late_days INTEGER NOT NULL DEFAULT 0,
            summary TEXT NOT NULL,
            ref_seq BIGINT,
            ref_hash TEXT,
            form_id TEXT,
            form_version TEXT,
            form_sha256 TEXT,
            PRIMARY KEY (station_id, seq)
        )""",
        "CREATE INDEX transactions_person ON transactions(person_id)",
        "CREATE INDEX transactions_number ON transactions(number)",
        """CREATE TABLE numbers (
            number TEXT PRIMARY KEY,
            station_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            business_day TEXT NOT NULL,
            day_seq INTEGER NOT NULL,
            seq BIGINT NOT NULL,
            UNIQUE (station_id, kind, business_day, day_seq)
        )""",
        # --- HQ's own register tables ---
        # Pinyin keys of every name (db.name_keys.name_keys); written after the person row (FK).
        # (no primary key: name_keys() gives each (key, kind) once per person; two indexes, not three)
        f"""CREATE TABLE person_name_keys (
            key TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('full', 'initials')),
            person_id TEXT NOT NULL REFERENCES persons(person_id) ON DELETE CASCADE
        ){by_person}""",
        "CREATE INDEX person_name_keys_person ON person_name_keys(person_id)",
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
    "houses": "house_code",
    "entities": "entity_code",
    "reports": "report_id",
    "residence_periods": "period_id",
}
