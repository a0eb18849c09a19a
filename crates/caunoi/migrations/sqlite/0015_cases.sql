-- Reports and tips (cases): one row per case, its append-only timeline, its evidence, requests
-- to see a sealed reporter's identity, the deployment's categories and Open311 API keys.
-- Timestamps are INTEGER unix microseconds (UTC).

CREATE TABLE case_categories (
    key TEXT PRIMARY KEY,
    label_vi TEXT NOT NULL,
    label_en TEXT NOT NULL,
    sensitivity TEXT NOT NULL,
    urgent INTEGER NOT NULL DEFAULT 0,
    legal_days INTEGER,
    questions TEXT NOT NULL DEFAULT '[]',
    enabled INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    category TEXT NOT NULL REFERENCES case_categories(key),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    urgent INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL,
    lat REAL,
    lon REAL,
    address TEXT,
    place_unknown INTEGER NOT NULL DEFAULT 0,
    place_to_confirm INTEGER NOT NULL DEFAULT 0,
    occurred TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    reporter_mode TEXT NOT NULL,
    reporter_name TEXT,
    reporter_phone TEXT,
    sealed_identity TEXT,
    receipt_hash TEXT UNIQUE,
    conversation_id INTEGER REFERENCES conversations(id),
    assignee_id INTEGER REFERENCES officers(id),
    received_at INTEGER NOT NULL,
    legal_days INTEGER,
    legal_extended_to INTEGER,
    suspended_micros INTEGER NOT NULL DEFAULT 0,
    suspended_since INTEGER,
    forwarded_from INTEGER REFERENCES units(id),
    forwarded_at INTEGER,
    ack_due_at INTEGER,
    acknowledged_at INTEGER,
    first_reply_at INTEGER,
    duplicate_of INTEGER REFERENCES cases(id),
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);
-- The board: open work in its order, and any view newest first.
CREATE INDEX cases_open ON cases (urgent, received_at) WHERE status IN ('new', 'acknowledged', 'verifying');
CREATE INDEX cases_received ON cases (received_at);
CREATE INDEX cases_unit_received ON cases (unit_id, received_at);
CREATE INDEX cases_ack_due ON cases (ack_due_at);
CREATE INDEX cases_conversation ON cases (conversation_id);
CREATE INDEX cases_category_received ON cases (category, received_at);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    officer_id INTEGER REFERENCES officers(id),
    unit_id INTEGER REFERENCES units(id),
    to_unit_id INTEGER REFERENCES units(id),
    text TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE case_media (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    media_ref TEXT NOT NULL,
    kind TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    gps_lat REAL,
    gps_lon REAL,
    UNIQUE (case_id, media_ref)
);

CREATE TABLE case_identity_requests (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    reason TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES officers(id),
    approved INTEGER,
    decision_reason TEXT,
    decided_at INTEGER
);
CREATE INDEX case_identity_requests_case ON case_identity_requests (case_id);

CREATE TABLE open311_keys (
    id INTEGER PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    created_by INTEGER REFERENCES officers(id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
