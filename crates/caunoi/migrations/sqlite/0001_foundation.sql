-- Foundation: the unit tree, officers and their grants, sessions, login throttling, audit log.
-- Timestamps are INTEGER unix microseconds (UTC) on both engines; ids are 64-bit integers.

CREATE TABLE units (
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
    zalo_app_id TEXT,
    zalo_oa_id TEXT UNIQUE,
    zalo_secrets TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX units_path ON units (path);
CREATE INDEX units_parent ON units (parent_id);

CREATE TABLE officers (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    locale TEXT NOT NULL DEFAULT 'vi',
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE role_grants (
    id INTEGER PRIMARY KEY,
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    role TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES officers(id),
    UNIQUE (officer_id, role, unit_id)
);
CREATE INDEX role_grants_unit ON role_grants (unit_id);

-- Every change of a unit's place or page details; moving a unit keeps its history.
CREATE TABLE unit_history (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    at INTEGER NOT NULL,
    officer_id INTEGER REFERENCES officers(id),
    change TEXT NOT NULL,
    old_parent_id INTEGER,
    new_parent_id INTEGER,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX unit_history_unit ON unit_history (unit_id, at);

-- Sessions: only the SHA-256 of the cookie token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    stage TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_officer ON sessions (officer_id);

-- Failed sign-ins per account and per (hashed) source address.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    officer_id INTEGER,
    action TEXT NOT NULL,
    unit_id INTEGER,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
