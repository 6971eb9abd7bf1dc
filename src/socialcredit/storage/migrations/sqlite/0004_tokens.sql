-- API tokens: who may call the HTTP API, in which role, as which principal. A token is a
-- fact like any other: issued once, never changed. The secret itself is never stored, only
-- its SHA-256; the id is the public part of the token, so a token is found by its id and
-- its digest compared. Revoking a token is a later fact beside it, once per token.
-- Times are ISO 8601 text in UTC with microseconds, so text order is time order.

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    role       TEXT NOT NULL
               CHECK (role IN ('admin', 'reviewer', 'source', 'relying_party', 'subject')),
    principal  TEXT NOT NULL CHECK (principal <> ''),
    digest     TEXT NOT NULL,  -- hex SHA-256 of the whole bearer token
    created_at TEXT NOT NULL
);

CREATE TABLE token_revocations (
    token      TEXT PRIMARY KEY REFERENCES tokens (id),
    reason     TEXT,
    revoked_at TEXT NOT NULL
);

CREATE TRIGGER tokens_no_update BEFORE UPDATE ON tokens
BEGIN SELECT RAISE(ABORT, 'tokens are append-only'); END;
CREATE TRIGGER tokens_no_delete BEFORE DELETE ON tokens
BEGIN SELECT RAISE(ABORT, 'tokens are append-only'); END;
CREATE TRIGGER token_revocations_no_update BEFORE UPDATE ON token_revocations
BEGIN SELECT RAISE(ABORT, 'token_revocations are append-only'); END;
CREATE TRIGGER token_revocations_no_delete BEFORE DELETE ON token_revocations
BEGIN SELECT RAISE(ABORT, 'token_revocations are append-only'); END;
