-- District register, station side (issue 15). Projections unless said otherwise.

-- Pinyin keys of every person's name (counter/domain/pinyin.py, the same keys as HQ): full and initials, every heteronym reading.
-- Projected from person.registered, service.name_correction and register.adopted.
CREATE TABLE person_search (
    key TEXT NOT NULL,
    person_id TEXT NOT NULL,
    PRIMARY KEY (key, person_id)
) WITHOUT ROWID;
CREATE INDEX person_search_person ON person_search(person_id);

-- Files adopted from HQ: the register.adopted entry and the source entries it cites.
CREATE TABLE adoptions (
    seq INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL,
    source_station TEXT NOT NULL,       -- the station that last acted on the file
    sources TEXT NOT NULL,              -- JSON [{station_id, seq, hash, kind}]
    clerk_id TEXT,
    adopted_at TEXT NOT NULL
);
CREATE INDEX adoptions_person ON adoptions(person_id);

-- What other windows did on an adopted file (their services), shown beside the local history.
CREATE TABLE remote_history (
    station_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    person_id TEXT NOT NULL,
    service TEXT NOT NULL,
    number TEXT,
    business_day TEXT NOT NULL,
    status TEXT NOT NULL,
    adopted_seq INTEGER NOT NULL,
    PRIMARY KEY (station_id, seq)
);
CREATE INDEX remote_history_person ON remote_history(person_id);

-- Not a projection: conflicts HQ reported in its signed acks (two windows acted on one permit without
-- seeing each other's entry). Station-local state like sync_state, keyed by HQ's conflict id; a conflict
-- that leaves HQ's open list is marked resolved. A supervisor's look is journaled (register.conflict_seen).
CREATE TABLE register_conflicts (
    conflict_id INTEGER PRIMARY KEY,
    permit TEXT NOT NULL,
    kind TEXT NOT NULL,
    entries TEXT NOT NULL,              -- JSON [{station_id, seq, kind}]
    detected_at TEXT,
    received_at TEXT NOT NULL,
    resolved_at TEXT,
    seen_seq INTEGER
);

-- F3 by ID number probes this index (the UNIQUE (doc_type, id_number) one needs the doc type first).
CREATE INDEX persons_id_number ON persons(id_number);
