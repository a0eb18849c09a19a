-- Knowledge base: the shared base (national), per-unit overrides (modify, hide, add a local
-- entry) that apply to the unit's whole subtree, the version history of both, and the log of
-- questions the bot could not settle, for the review screen.

CREATE TABLE kb_entries (
    id INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    data TEXT NOT NULL,
    review_date TEXT,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES officers(id)
);

CREATE TABLE kb_overrides (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    entry_id TEXT NOT NULL,
    action TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES officers(id),
    UNIQUE (unit_id, entry_id)
);

CREATE TABLE kb_versions (
    id INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL,
    unit_id INTEGER REFERENCES units(id),
    version INTEGER NOT NULL,
    at INTEGER NOT NULL,
    officer_id INTEGER REFERENCES officers(id),
    change TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX kb_versions_entry ON kb_versions (entry_id, at);

CREATE TABLE kb_unanswered (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    at INTEGER NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    entry_id TEXT,
    resolved_at INTEGER,
    resolved_by INTEGER REFERENCES officers(id),
    resolution TEXT
);
CREATE INDEX kb_unanswered_open ON kb_unanswered (unit_id, resolved_at);
