"""The statistics facts (counter/stats.py) and the dashboard's staff accounts, sessions and audit
(counter/hq/staff.py); an index for the dashboard's figures by business day.

The statistics tables are written out as they were when this migration shipped (stat_facts is re-made by
0010 and 0011; counter.stats.PERIOD_FACTS is its live definition): a shipped migration never changes."""

SUMMARY = "statistics facts; dashboard staff, sessions and audit; hq_journal(business_day, kind)"

STAT_STATEMENTS = [
    """CREATE TABLE stat_facts (
        station_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        reg_seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        started TEXT NOT NULL,
        started_week TEXT NOT NULL,
        started_month TEXT NOT NULL,
        ended TEXT,
        ended_band TEXT,
        origin TEXT NOT NULL,
        province TEXT,
        birth_date TEXT,
        birth_num INTEGER,
        sex TEXT NOT NULL,
        education TEXT,
        education_group TEXT,
        occupation TEXT,
        housing TEXT,
        reason TEXT,
        intended_stay TEXT,
        PRIMARY KEY (station_id, person_id)
    )""",
    "CREATE INDEX stat_facts_started ON stat_facts(started)",
    """CREATE TABLE stat_persons (
        station_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        area TEXT,
        birth_date TEXT,
        sex TEXT NOT NULL,
        foreign_national INTEGER NOT NULL,
        PRIMARY KEY (station_id, person_id)
    )""",
    """CREATE TABLE stat_permits (
        station_id TEXT NOT NULL,
        permit_id TEXT NOT NULL,
        apply_seq BIGINT NOT NULL,
        valid_until TEXT NOT NULL,
        cancelled INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (station_id, permit_id)
    )""",
    "CREATE INDEX stat_permits_until ON stat_permits(valid_until)",
    """CREATE TABLE stat_cursor (
        station_id TEXT PRIMARY KEY,
        last_seq BIGINT NOT NULL,
        district TEXT
    )""",
]


def upgrade(tx) -> None:
    for statement in dashboard_statements(tx.dialect):
        tx.execute(statement)


def dashboard_statements(dialect: str) -> list[str]:
    """The statistics facts and the dashboard's staff accounts, sessions and audit."""
    identity = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" if dialect == "postgresql" \
        else "INTEGER PRIMARY KEY AUTOINCREMENT"
    # on PostgreSQL the text columns compare bytewise (COLLATE "C"), which is what ISO dates and codes need
    # and several times faster to GROUP BY than a locale's collation
    stats = STAT_STATEMENTS if dialect != "postgresql" else [s.replace(" TEXT", ' TEXT COLLATE "C"')
                                                              for s in STAT_STATEMENTS]
    return [*stats,
            """CREATE TABLE hq_staff (
                name TEXT PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
                password_hash TEXT NOT NULL,
                failed_attempts INTEGER NOT NULL DEFAULT 0,
                locked_until TEXT,
                disabled INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE hq_staff_sessions (
                token_hash TEXT PRIMARY KEY,
                name TEXT NOT NULL REFERENCES hq_staff(name),
                csrf TEXT NOT NULL,
                created_at TEXT NOT NULL,
                last_seen TEXT NOT NULL,
                expires_at TEXT NOT NULL
            )""",
            f"""CREATE TABLE hq_staff_audit (
                audit_id {identity},
                at TEXT NOT NULL,
                name TEXT,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                client TEXT NOT NULL
            )""",
            "CREATE INDEX hq_staff_audit_at ON hq_staff_audit(at)",
            # the dashboard's figures of today and this week read entries by business day
            "CREATE INDEX hq_journal_day ON hq_journal(business_day, kind)"]


