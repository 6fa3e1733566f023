-- Every change that ends access: a sign-out, a revoked token, a password or role change,
-- a disabled user. Written in the same transaction as the change, by whichever process
-- made it (the CLI included); a serving Tamas reads the rows after the last it saw, a few
-- times a second, and closes the WebSockets they name. `seq` never repeats (rows older
-- than an hour are pruned). Neither token nor session: every socket of the user.
CREATE TABLE credential_changes (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms         BIGINT NOT NULL,
    user_id       BIGINT NOT NULL,
    token_id      BIGINT,
    session_hash  TEXT,
    reason        TEXT NOT NULL
);
CREATE INDEX credential_changes_at ON credential_changes (at_ms);
