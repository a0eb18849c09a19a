-- The two-step verification time steps already used to sign in, per officer: a code is good
-- once (an intercepted code cannot be replayed within its 30 seconds).
CREATE TABLE totp_used (
    officer_id BIGINT NOT NULL REFERENCES officers(id),
    step BIGINT NOT NULL,
    used_at BIGINT NOT NULL,
    PRIMARY KEY (officer_id, step)
);
