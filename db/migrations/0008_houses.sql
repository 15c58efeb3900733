-- Houses, reporting entities, their reports and every person's residence periods (issue 13).
-- All projections (db/projectors/houses.py); HQ holds the same tables district-wide
-- (counter/hq/migrations/0008_houses.py), so the columns stay portable.

-- The house register (房屋编码全覆盖): one row per house code, unique in the district.
CREATE TABLE houses (
    house_code TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    house_type TEXT NOT NULL,           -- rental | dormitory | work_site | own | other
    capacity INTEGER NOT NULL,
    manager_person_id TEXT NOT NULL,    -- the landlord or manager, a person on file
    registered_on TEXT NOT NULL,
    updated_on TEXT NOT NULL
);
CREATE INDEX houses_address ON houses(address);
CREATE INDEX houses_manager ON houses(manager_person_id);

-- Reporting entities (以业管人): employers, agencies, hotels, hospitals, schools, shelters.
CREATE TABLE entities (
    entity_code TEXT PRIMARY KEY,       -- unified social credit code
    entity_type TEXT NOT NULL,
    name TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    address TEXT NOT NULL,
    registered_on TEXT NOT NULL
);

-- Every report filed by a house's landlord or an entity; late_rows > 0 means late (art. 14).
CREATE TABLE reports (
    report_id TEXT PRIMARY KEY,
    reporter_kind TEXT NOT NULL,        -- house | entity
    reporter_code TEXT NOT NULL,
    report_type TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    source TEXT NOT NULL,               -- window | file
    file_sha256 TEXT,
    file_name TEXT,
    row_count INTEGER NOT NULL,
    late_rows INTEGER NOT NULL,
    clerk_id TEXT
);
CREATE INDEX reports_reporter ON reports(reporter_kind, reporter_code);

-- Residence periods: where a person lived, from, until, and through whom (window, report, import).
CREATE TABLE residence_periods (
    period_id TEXT PRIMARY KEY,         -- a window registration's number, or the report's period id
    person_id TEXT NOT NULL,
    address TEXT NOT NULL,
    house_code TEXT,
    entity_code TEXT,
    registration TEXT NOT NULL,         -- residence | lodging | accommodation | institution
    started_on TEXT NOT NULL,
    started_via TEXT NOT NULL,          -- window | report | import
    start_report_id TEXT,
    late INTEGER NOT NULL DEFAULT 0,
    ended_on TEXT,
    end_reason TEXT,                    -- moved_away | left_district | report_move_out | report_left | superseded
    ended_via TEXT,
    end_report_id TEXT,
    superseded_by TEXT                  -- the period that ended this one (a void of it reopens this one)
);
CREATE INDEX residence_periods_person ON residence_periods(person_id);
CREATE INDEX residence_periods_house ON residence_periods(house_code);
CREATE INDEX residence_periods_entity ON residence_periods(entity_code);
