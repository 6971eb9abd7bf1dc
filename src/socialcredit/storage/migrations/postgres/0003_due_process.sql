-- Due process facts: the relying-party registry, the eligibility decisions given to relying
-- parties, every read of personal data, and the delivery of notices. All append-only
-- (UPDATE, DELETE and TRUNCATE refused by `refuse_change` from 0001). The same tables as
-- the SQLite migration of the same number; times are timestamptz.

-- Relying parties are versioned like sources: a change of purposes is a new version, the
-- latest is in force.
CREATE TABLE party_versions (
    party           text NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    name            text NOT NULL,
    purposes        text NOT NULL,
    credential_hash text,
    registered_at   text NOT NULL,
    PRIMARY KEY (party, version)
);
CREATE VIEW parties AS
SELECT DISTINCT ON (party)
    party AS id, name, purposes, credential_hash, version, registered_at
FROM party_versions
ORDER BY party, version DESC;

-- An eligibility answer as the relying party got it, refusals included, with the log
-- position and rulebook versions it saw.
CREATE TABLE decisions (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id  text NOT NULL UNIQUE,
    party        text NOT NULL,
    subject      text NOT NULL,
    purpose      text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('allow', 'deny', 'refused')),
    reasons      text NOT NULL,
    rulebooks    text NOT NULL,
    log_position bigint NOT NULL CHECK (log_position >= 0),
    as_of        timestamptz NOT NULL,
    decided_at   timestamptz NOT NULL
);
CREATE INDEX decisions_by_subject ON decisions (subject);
CREATE INDEX decisions_by_party ON decisions (party);

-- Who read what about whom, and for what purpose.
CREATE TABLE access_log (
    seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    who     text NOT NULL,
    role    text NOT NULL,
    subject text NOT NULL,
    what    text NOT NULL,
    purpose text,
    at      timestamptz NOT NULL
);
CREATE INDEX access_log_by_subject ON access_log (subject);

-- The notice outbox: each attempt to deliver a notice (a case action, by its ref) on a
-- channel.
CREATE TABLE notice_deliveries (
    seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notice  text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('inbox', 'email')),
    status  text NOT NULL CHECK (status IN ('sent', 'failed')),
    detail  text,
    at      timestamptz NOT NULL
);
CREATE INDEX notice_deliveries_by_notice ON notice_deliveries (notice);

CREATE INDEX case_actions_by_ref ON case_actions (ref);

CREATE TRIGGER party_versions_append_only BEFORE UPDATE OR DELETE ON party_versions
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER party_versions_no_truncate BEFORE TRUNCATE ON party_versions
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER notice_deliveries_append_only BEFORE UPDATE OR DELETE ON notice_deliveries
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER notice_deliveries_no_truncate BEFORE TRUNCATE ON notice_deliveries
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
