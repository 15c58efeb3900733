-- Files of the previous system's permits brought in (counter import legacy, issue 13): one row per file,
-- so the same file is never imported twice. A projection (db/projectors/legacy.py).
CREATE TABLE legacy_imports (
    file_sha256 TEXT PRIMARY KEY,
    import_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    approved_by TEXT NOT NULL,
    imported_on TEXT NOT NULL,
    seq INTEGER NOT NULL
);
