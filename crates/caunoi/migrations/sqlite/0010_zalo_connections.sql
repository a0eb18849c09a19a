-- no-transaction
-- The Zalo channel's own tables: a unit's OA connection (moved out of `units`), the OAuth
-- consents in progress, and the domain verification codes Zalo gives each App.
--
-- SQLite cannot drop `units.zalo_oa_id` (a UNIQUE column) in place, so `units` is rebuilt
-- (https://sqlite.org/lang_altertable.html, "other kinds of table schema changes"). That needs
-- foreign key enforcement off, which cannot change inside a transaction: this file runs
-- without sqlx's transaction and opens its own around every change.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

-- One OA per unit. `status`: awaiting_consent (secrets stored, no token yet), connected,
-- refresh_failed (Zalo refused a token refresh: an admin must reconnect), revoked (the OA
-- admin revoked the App: `permission_revoked`). `last_webhook_at` is written at most once a
-- minute per OA, never once per webhook.
CREATE TABLE zalo_oa_connections (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id),
    app_id TEXT NOT NULL,
    oa_id TEXT NOT NULL UNIQUE,
    sealed_secrets TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL DEFAULT '',
    status_at INTEGER NOT NULL,
    connected_at INTEGER,
    last_webhook_at INTEGER,
    last_check_at INTEGER,
    check_error TEXT NOT NULL DEFAULT '',
    oa_name TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

INSERT INTO zalo_oa_connections (unit_id, app_id, oa_id, sealed_secrets, status, status_at, connected_at,
    created_at, updated_at)
SELECT u.id, u.zalo_app_id, u.zalo_oa_id, u.zalo_secrets,
    CASE WHEN EXISTS (SELECT 1 FROM oa_tokens t WHERE t.oa_id = u.zalo_oa_id) THEN 'connected'
         ELSE 'awaiting_consent' END,
    u.updated_at,
    CASE WHEN EXISTS (SELECT 1 FROM oa_tokens t WHERE t.oa_id = u.zalo_oa_id) THEN u.updated_at END,
    u.updated_at, u.updated_at
FROM units u
WHERE u.zalo_oa_id IS NOT NULL AND u.zalo_app_id IS NOT NULL AND u.zalo_secrets IS NOT NULL;

-- A consent in progress: the state (only its hash is kept) is bound to the admin's session
-- and the unit, used once, and lives 10 minutes; the PKCE verifier and the secrets typed in
-- the form wait here, encrypted, until Zalo sends the admin back.
CREATE TABLE zalo_oauth_states (
    state_hash TEXT PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    session_hash TEXT NOT NULL,
    app_id TEXT NOT NULL,
    oa_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- Zalo's domain verification code of a unit's App, served as `/zalo_verifier<code>.html`
-- and as a meta tag on the site's root page.
CREATE TABLE zalo_site_verifications (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id),
    code TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES officers(id)
);

CREATE TABLE units_new (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES units(id),
    path TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    lat REAL,
    lon REAL,
    boundary TEXT,
    hotline TEXT,
    duty_phone TEXT,
    email TEXT NOT NULL DEFAULT '',
    opening_hours TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO units_new (id, code, kind, name, parent_id, path, address, lat, lon, boundary, hotline, duty_phone,
    email, opening_hours, created_at, updated_at)
SELECT id, code, kind, name, parent_id, path, address, lat, lon, boundary, hotline, duty_phone,
    email, opening_hours, created_at, updated_at
FROM units;
DROP TABLE units;
ALTER TABLE units_new RENAME TO units;
CREATE INDEX units_path ON units (path);
CREATE INDEX units_parent ON units (parent_id);

COMMIT;
PRAGMA foreign_keys = ON;
