-- One-time password reset links an admin makes for an officer (staff). Only the hash of the
-- link's random token is kept; a link works once, until `expires_at` (24 hours), and a newer
-- link for the same account replaces the older ones.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    officer_id BIGINT NOT NULL REFERENCES officers(id),
    created_by BIGINT NOT NULL REFERENCES officers(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_officer ON password_resets (officer_id);
