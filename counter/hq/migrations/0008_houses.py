"""HQ's copy of the station's house, entity, report and residence-period tables (db/migrations/0008_houses.sql),
district-wide: db/projectors/houses.py writes them unchanged at HQ, so the overdue list (`counter hq overdue`)
and every roster span the district. They start empty on an existing database; `counter hq rebuild` projects
the journals HQ already holds."""

SUMMARY = "houses, reporting entities, their reports and residence periods, district-wide"


def upgrade(tx) -> None:
    for statement in houses_statements():
        tx.execute(statement)


def houses_statements() -> list[str]:
    # the station's columns (portable types on both dialects); ids are unique in the district
    return [
        """CREATE TABLE houses (
            house_code TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            house_type TEXT NOT NULL,
            capacity INTEGER NOT NULL,
            manager_person_id TEXT NOT NULL,
            registered_on TEXT NOT NULL,
            updated_on TEXT NOT NULL
        )""",
        "CREATE INDEX houses_address ON houses(address)",
        """CREATE TABLE entities (
            entity_code TEXT PRIMARY KEY,
            entity_type TEXT NOT NULL,
            name TEXT NOT NULL,
            contact_name TEXT NOT NULL,
            contact_phone TEXT NOT NULL,
            address TEXT NOT NULL,
            registered_on TEXT NOT NULL
        )""",
        """CREATE TABLE reports (
            report_id TEXT PRIMARY KEY,
            reporter_kind TEXT NOT NULL,
            reporter_code TEXT NOT NULL,
            report_type TEXT NOT NULL,
            filed_on TEXT NOT NULL,
            source TEXT NOT NULL,
            file_sha256 TEXT,
            file_name TEXT,
            row_count INTEGER NOT NULL,
            late_rows INTEGER NOT NULL,
            clerk_id TEXT
        )""",
        "CREATE INDEX reports_reporter ON reports(reporter_kind, reporter_code)",
        "CREATE INDEX reports_late ON reports(late_rows, filed_on)",
        """CREATE TABLE residence_periods (
            period_id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL,
            address TEXT NOT NULL,
            house_code TEXT,
            entity_code TEXT,
            registration TEXT NOT NULL,
            started_on TEXT NOT NULL,
            started_via TEXT NOT NULL,
            start_report_id TEXT,
            late INTEGER NOT NULL DEFAULT 0,
            ended_on TEXT,
            end_reason TEXT,
            ended_via TEXT,
            end_report_id TEXT,
            superseded_by TEXT
        )""",
        "CREATE INDEX residence_periods_person ON residence_periods(person_id)",
        "CREATE INDEX residence_periods_house ON residence_periods(house_code)",
        "CREATE INDEX residence_periods_entity ON residence_periods(entity_code)",
        "CREATE INDEX residence_periods_superseded ON residence_periods(superseded_by)",
    ]
