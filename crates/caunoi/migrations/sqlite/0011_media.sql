-- Web chat upload quotas: the bytes each upload took, per chat session and per (keyed-hashed)
-- client address. A row is written with the request's declared size before the upload's bytes
-- are read, settled to the stored size when the upload is accepted, and deleted when it is
-- refused; rows older than a day are forgotten. Timestamps are INTEGER unix microseconds (UTC).
CREATE TABLE webchat_uploads (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    ip_hash TEXT NOT NULL,
    at INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
CREATE INDEX webchat_uploads_session ON webchat_uploads (session_id, at);
CREATE INDEX webchat_uploads_ip ON webchat_uploads (ip_hash, at);

-- Media retention finds every message that uses a stored file (media::set_aside and
-- conversations::retention); files are content-addressed, so one can back several messages.
CREATE INDEX messages_media_ref ON messages (media_ref);
