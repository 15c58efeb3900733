-- Print jobs: a projection of print.* journal entries (db/projectors/printing.py).
-- The document itself is in the print.queued entry's payload, so it can be re-rendered.
CREATE TABLE print_jobs (
    job_id TEXT PRIMARY KEY,
    doc_type TEXT NOT NULL CHECK (doc_type IN ('receipt', 'certificate')),
    doc_kind TEXT NOT NULL,
    number TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'printed', 'failed', 'unconfirmed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    copies INTEGER NOT NULL DEFAULT 0,      -- reprints made (副本 1, 2, ...)
    pending_copy INTEGER NOT NULL DEFAULT 0, -- copy number the next attempt prints (0 = the original)
    message TEXT NOT NULL DEFAULT '',
    printer TEXT NOT NULL DEFAULT '',
    output TEXT,
    clerk_id TEXT,
    business_day TEXT NOT NULL,
    queued_seq INTEGER NOT NULL,
    queued_at TEXT NOT NULL,
    updated_seq INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX print_jobs_state ON print_jobs(state);
CREATE INDEX print_jobs_number ON print_jobs(number);
