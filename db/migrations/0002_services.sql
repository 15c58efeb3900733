-- Counter services. Every table here is a projection of journal entries (db/projectors/services.py):
-- 'counter journal rebuild' recomputes them, nothing else writes them.

-- The people served. Full ID numbers live here (the person file shows them); receipts and
-- lists mask them. Created by person.registered, updated by service entries.
CREATE TABLE persons (
    person_id TEXT PRIMARY KEY,
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
    registration_kind TEXT,         -- residence | lodging (current registration)
    registration_number TEXT,
    resident_since TEXT,            -- arrival date of the current registration
    registered_on TEXT,
    registered_seq INTEGER NOT NULL,
    updated_seq INTEGER NOT NULL,
    UNIQUE (doc_type, id_number)
);
CREATE INDEX persons_name ON persons(name);
CREATE INDEX persons_phone ON persons(phone);

-- Residence permits: one row per permit, its lifecycle in status.
CREATE TABLE permits (
    permit_id TEXT PRIMARY KEY,                 -- the first application number
    person_id TEXT NOT NULL REFERENCES persons(person_id),
    status TEXT NOT NULL CHECK (status IN ('accepted', 'issued', 'cancelled', 'voided')),
    application_number TEXT NOT NULL,           -- the latest application (apply, replace)
    validity_years INTEGER NOT NULL,
    accepted_on TEXT NOT NULL,
    collection_date TEXT,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    card_number TEXT,
    collected_on TEXT,
    address TEXT,
    proof TEXT,
    updated_seq INTEGER NOT NULL
);
CREATE INDEX permits_person ON permits(person_id);
CREATE INDEX permits_application ON permits(application_number);

-- Permit cards ever issued; a replaced card's number is cancelled, never reused.
CREATE TABLE permit_cards (
    card_number TEXT PRIMARY KEY,
    permit_id TEXT NOT NULL REFERENCES permits(permit_id),
    status TEXT NOT NULL CHECK (status IN ('issued', 'cancelled')),
    issued_seq INTEGER NOT NULL,
    cancelled_seq INTEGER
);

-- Every service performed: the person's history. A void or correction is its own row that
-- points at the original (ref_seq/ref_hash); the original's status says what happened to it.
CREATE TABLE transactions (
    seq INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(person_id),
    service TEXT NOT NULL,
    number TEXT,
    business_day TEXT NOT NULL,
    clerk_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('done', 'requested', 'voided', 'corrected')),
    late_days INTEGER NOT NULL DEFAULT 0,
    summary TEXT NOT NULL,          -- JSON of the cleaned form values (what the review page showed)
    ref_seq INTEGER,
    ref_hash TEXT,
    form_id TEXT,
    form_version TEXT,
    form_sha256 TEXT
);
CREATE INDEX transactions_person ON transactions(person_id);
CREATE INDEX transactions_day ON transactions(business_day, service);
CREATE INDEX transactions_number ON transactions(number);

-- Allocated numbers; (kind, business_day, day_seq) is gapless because the next sequence is read
-- from here inside the transaction that records the entry carrying the number.
CREATE TABLE numbers (
    number TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    business_day TEXT NOT NULL,
    day_seq INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    UNIQUE (kind, business_day, day_seq)
);
