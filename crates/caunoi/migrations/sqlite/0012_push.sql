-- Web Push (push::): the instance's VAPID key pair, the officers' push subscriptions (one per
-- browser that turned alarms on) and the durable queue of push messages with retries.
-- Timestamps are INTEGER unix microseconds.

-- One row: the application server's key pair; the private key sealed with the instance key.
CREATE TABLE push_vapid_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    public_key TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- A browser's subscription: where its push service takes messages for it, and its keys.
CREATE TABLE push_subscriptions (
    id INTEGER PRIMARY KEY,
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    device TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_success_at INTEGER,
    last_failure_at INTEGER,
    last_error TEXT
);
CREATE INDEX push_subscriptions_officer ON push_subscriptions (officer_id);

-- One push message for one subscription. Removing the subscription removes its messages.
CREATE TABLE push_outbox (
    id INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    topic TEXT NOT NULL,
    ttl_secs INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX push_outbox_due ON push_outbox (status, run_at);
CREATE INDEX push_outbox_subscription ON push_outbox (subscription_id);
