-- One-time password reset links an admin makes for an officer (staff). Only the hash of the
-- link's random token is kept; a link works once, until `expires_at` (24 hours), and a newer
-- link for the same account replaces the older ones.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    created_by INTEGER NOT NULL REFERENCES officers(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX password_resets_officer ON password_resets (officer_id);
