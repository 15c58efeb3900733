"""The statistics facts (counter/stats.py) and the dashboard's staff accounts, sessions and audit
(counter/hq/staff.py); an index for the dashboard's figures by business day."""

SUMMARY = "statistics facts; dashboard staff, sessions and audit; hq_journal(business_day, kind)"


def upgrade(tx) -> None:
    for statement in dashboard_statements(tx.dialect):
        tx.execute(statement)


def dashboard_statements(dialect: str) -> list[str]:
    """The statistics facts and the dashboard's staff accounts, sessions and audit."""
    from counter.stats import stat_schema

    identity = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" if dialect == "postgresql" \
        else "INTEGER PRIMARY KEY AUTOINCREMENT"
    return [*stat_schema(dialect),
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


