-- Expiring permits: which holders a clerk has contacted about an expiry (projection of
-- 'permit.holder_contacted' entries). One row per permit and expiry date: an extended permit
-- expiring again is a new contact.
CREATE TABLE permit_contacts (
    permit_id TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    seq INTEGER NOT NULL,
    clerk_id TEXT,
    channel TEXT NOT NULL,
    contacted_at TEXT NOT NULL,
    PRIMARY KEY (permit_id, valid_until)
);
