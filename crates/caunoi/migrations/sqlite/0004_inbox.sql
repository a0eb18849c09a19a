-- Officer inbox: the timeline of a conversation's moves (assign, transfer, close, reopen),
-- officers' internal notes (never sent to the citizen), canned replies per unit and the duty
-- roster. Timestamps are INTEGER unix microseconds (UTC).

-- Who moved a conversation, when, from where to where, and why. Append-only.
CREATE TABLE conversation_events (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    at INTEGER NOT NULL,
    officer_id INTEGER REFERENCES officers(id),
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    from_unit_id INTEGER NOT NULL REFERENCES units(id),
    to_unit_id INTEGER NOT NULL REFERENCES units(id),
    assignee_id INTEGER REFERENCES officers(id),
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, id);

-- Internal notes between officers; they live apart from `messages` so no sender can pick one up.
CREATE TABLE conversation_notes (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX conversation_notes_conversation ON conversation_notes (conversation_id, id);

-- Canned replies of a unit; they apply to the unit's whole subtree.
CREATE TABLE canned_replies (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by INTEGER REFERENCES officers(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX canned_replies_unit ON canned_replies (unit_id);

-- Duty shifts (ca trực): officer on duty at a unit from starts_at (inclusive) to ends_at (exclusive).
CREATE TABLE duty_shifts (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES officers(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX duty_shifts_unit_time ON duty_shifts (unit_id, ends_at);
