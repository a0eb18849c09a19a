-- The two-step verification time steps already used to sign in, per officer: a code is good
-- once (an intercepted code cannot be replayed within its 30 seconds).
CREATE TABLE totp_used (
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    step INTEGER NOT NULL,
    used_at INTEGER NOT NULL,
    PRIMARY KEY (officer_id, step)
);
