-- The citizen's web side of reports (cases::public): the counters behind its throttles and
-- the short sessions of reporters who opened their case's thread with its receipt.
-- Timestamps are INTEGER unix microseconds (UTC).

-- One counted request: a report submitted (amount = its bytes), a failed look-up, a look-up of
-- one receipt, a reporter's message on a case. `key` is a keyed hash (never an address in
-- clear); rows older than a day are forgotten.
CREATE TABLE case_public_hits (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at INTEGER NOT NULL,
    amount INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX case_public_hits_key ON case_public_hits (key, at);
CREATE INDEX case_public_hits_at ON case_public_hits (at);

-- A reporter "in" their case's thread for 30 minutes after typing the receipt: the SHA-256 of
-- the random cookie value, and a keyed hash of the receipt so that a message carrying the
-- receipt can be refused without keeping the receipt.
CREATE TABLE case_reporter_sessions (
    token_hash TEXT PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    receipt_mac TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX case_reporter_sessions_expires ON case_reporter_sessions (expires_at);
