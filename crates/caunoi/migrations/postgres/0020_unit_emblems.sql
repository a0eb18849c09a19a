-- A unit's emblem (huy hiệu) on its public page: a small photo the unit's admin uploads, kept
-- in the database (not under one instance's data directory) so every instance serves it.
-- The bytes are the checked copy without metadata; `sha256` (hex) names the version.
CREATE TABLE unit_emblems (
    unit_id BIGINT PRIMARY KEY REFERENCES units (id),
    mime TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
