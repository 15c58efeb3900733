-- Day close: the bundles written for the district (projection of 'day.exported' entries),
-- and corrections of closed days (projection of 'day.correction'). Closures themselves are
-- the core's day_closures table.
CREATE TABLE day_exports (
    seq INTEGER PRIMARY KEY,
    business_day TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    encrypted INTEGER NOT NULL,
    clerk_id TEXT,
    exported_at TEXT NOT NULL
);
CREATE INDEX day_exports_day ON day_exports(business_day);

CREATE TABLE day_corrections (
    seq INTEGER PRIMARY KEY,
    business_day TEXT NOT NULL,
    corrects_seq INTEGER NOT NULL,
    corrects_day TEXT NOT NULL,
    reason TEXT NOT NULL,
    clerk_id TEXT
);
CREATE INDEX day_corrections_day ON day_corrections(corrects_day);
