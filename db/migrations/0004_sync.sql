-- Station-local sync state: HQ's last verified (signed) ack and the last attempt.
-- Not journaled, not synced, not a projection. Row id=1 appears with the first sync attempt.
-- counter/sync_state.py and `counter journal verify` read (acked_seq, acked_hash) to detect
-- truncation and forks against what HQ has acknowledged.
CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    acked_seq INTEGER NOT NULL DEFAULT 0,
    acked_hash TEXT NOT NULL,
    acked_server_time TEXT,
    ack_signature TEXT,
    hq_key_id TEXT,
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    clock_offset_s REAL
);
