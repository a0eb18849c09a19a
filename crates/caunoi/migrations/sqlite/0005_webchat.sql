-- Web chat: anonymous citizen sessions on a unit's chat page (/u/{code}/chat), the buttons of the
-- bot's replies shown there, and the per-session / per-address message log behind the rate
-- limits. Tokens and addresses are stored only as hashes. Timestamps are INTEGER unix
-- microseconds (UTC).

-- One browser's chat with one unit. The contact is (channel 'web', unit code, session id).
CREATE TABLE webchat_sessions (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    token_hash TEXT NOT NULL UNIQUE,
    ip_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX webchat_sessions_ip ON webchat_sessions (ip_hash, created_at);

-- Buttons (JSON list of {label, payload}) and the feedback question of a bot reply in web chat.
CREATE TABLE webchat_reply_buttons (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    buttons TEXT NOT NULL,
    feedback_for TEXT
);

-- Every accepted citizen post (text, tap, upload, location), for the rate limits only.
CREATE TABLE webchat_posts (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES webchat_sessions(id),
    ip_hash TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX webchat_posts_session ON webchat_posts (session_id, at);
CREATE INDEX webchat_posts_ip ON webchat_posts (ip_hash, at);
