-- API tokens: who may call the HTTP API, in which role, as which principal. Issued once,
-- never changed; only the SHA-256 of the secret is stored, found by the token's public id.
-- Revoking a token is a later fact beside it, once per token. Append-only (UPDATE, DELETE
-- and TRUNCATE refused by `refuse_change` from 0001). The same tables as the SQLite
-- migration of the same number; times are ISO 8601 text in UTC, as in the registries.

CREATE TABLE tokens (
    id         text PRIMARY KEY,
    role       text NOT NULL
               CHECK (role IN ('admin', 'reviewer', 'source', 'relying_party', 'subject')),
    principal  text NOT NULL CHECK (principal <> ''),
    digest     text NOT NULL,
    created_at text NOT NULL
);

CREATE TABLE token_revocations (
    token      text PRIMARY KEY REFERENCES tokens (id),
    reason     text,
    revoked_at text NOT NULL
);

CREATE TRIGGER tokens_append_only BEFORE UPDATE OR DELETE ON tokens
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER tokens_no_truncate BEFORE TRUNCATE ON tokens
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER token_revocations_append_only BEFORE UPDATE OR DELETE ON token_revocations
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER token_revocations_no_truncate BEFORE TRUNCATE ON token_revocations
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
