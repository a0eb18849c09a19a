-- Conversations: citizens' contacts per channel, conversations and their messages, the durable
-- inbound event log of webhooks, the outbound queue (outbox) and the Zalo OA token pairs.
-- Timestamps are INTEGER unix microseconds (UTC). Booleans are INTEGER 0/1 here, BOOLEAN on
-- PostgreSQL.

-- A citizen as one channel knows them: a Zalo user id per OA, later a web chat session.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    channel TEXT NOT NULL,
    channel_account TEXT NOT NULL,
    external_id TEXT NOT NULL,
    display_name TEXT,
    last_interaction_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (channel, channel_account, external_id)
);
CREATE INDEX contacts_unit ON contacts (unit_id);

-- One conversation is open per contact at a time (status other than closed).
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'bot',
    assignee_id INTEGER REFERENCES officers(id),
    urgent INTEGER NOT NULL DEFAULT 0,
    bot_memory TEXT NOT NULL DEFAULT '{}',
    last_citizen_message_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX conversations_contact ON conversations (contact_id, status);
CREATE INDEX conversations_unit_status ON conversations (unit_id, status, updated_at);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    direction TEXT NOT NULL,
    author TEXT NOT NULL,
    officer_id INTEGER REFERENCES officers(id),
    kind TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    media_ref TEXT,
    media_url TEXT,
    channel_message_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

-- Every accepted webhook, raw, before anything else happens to it (dedupe on the event key).
CREATE TABLE inbound_events (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    oa_id TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    event_name TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    raw_body TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    processed_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_error TEXT
);
CREATE INDEX inbound_events_pending ON inbound_events (processed_at, id);

-- The one durable queue of outbound messages, written in the transaction that decided them.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    oa_id TEXT,
    recipient TEXT NOT NULL,
    conversation_id INTEGER REFERENCES conversations(id),
    message_id INTEGER REFERENCES messages(id),
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    locked_until INTEGER,
    last_error TEXT,
    provider_message_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox (status, run_at);
CREATE INDEX outbox_unit_status ON outbox (unit_id, status);

-- The OA access/refresh token pair of each bound OA, encrypted with the instance key.
CREATE TABLE oa_tokens (
    oa_id TEXT PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    sealed_tokens TEXT NOT NULL,
    access_expires_at INTEGER NOT NULL,
    refresh_expires_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
