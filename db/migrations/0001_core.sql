-- The journal: append-only and hash-chained. Everything else is a projection of it.
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    business_day TEXT NOT NULL,
    device_time_utc TEXT NOT NULL,
    monotonic_ns INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    clerk_id TEXT,
    kind TEXT NOT NULL,
    schema_ver INTEGER NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX journal_day ON journal(business_day);
CREATE INDEX journal_kind ON journal(kind);

CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;

CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;

-- The signed head: detects truncation and rows appended behind the writer's back.
CREATE TABLE journal_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- Station-local credentials: never journaled, never synced, not a projection.
CREATE TABLE clerk_credentials (
    clerk_id TEXT PRIMARY KEY,
    pin_hash TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);

-- Projections (rebuilt from the journal by 'counter journal rebuild').
CREATE TABLE clerks (
    clerk_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor')),
    active INTEGER NOT NULL DEFAULT 1,
    added_seq INTEGER NOT NULL
);

CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    clerk_id TEXT NOT NULL,
    signed_in_seq INTEGER NOT NULL,
    signed_in_at TEXT NOT NULL,
    signed_out_at TEXT,
    locks INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE access_log (
    seq INTEGER PRIMARY KEY,
    clerk_id TEXT,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    at TEXT NOT NULL,
    purpose TEXT
);

CREATE TABLE day_closures (
    business_day TEXT PRIMARY KEY,
    closed_seq INTEGER NOT NULL,
    closed_by TEXT NOT NULL,
    closed_at TEXT NOT NULL
);

CREATE TABLE device_checkins (
    seq INTEGER PRIMARY KEY,
    business_day TEXT NOT NULL,
    clerk_id TEXT,
    ok INTEGER NOT NULL,
    summary TEXT NOT NULL
);
