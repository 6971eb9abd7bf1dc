-- Due process facts: the relying-party registry, the eligibility decisions given to relying
-- parties, every read of personal data, and the delivery of notices. All append-only.
-- Times are ISO 8601 text in UTC with microseconds, so text order is time order.

-- Relying parties are versioned like sources: a change of purposes is a new version, the
-- latest is in force, and the history says what a party was allowed to ask when.
CREATE TABLE party_versions (
    party           TEXT NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    name            TEXT NOT NULL,
    purposes        TEXT NOT NULL,  -- JSON array of the consequence purposes it may ask about
    credential_hash TEXT,
    registered_at   TEXT NOT NULL,
    PRIMARY KEY (party, version)
);
CREATE VIEW parties AS
SELECT party AS id, name, purposes, credential_hash, version, registered_at
FROM party_versions AS v
WHERE version = (SELECT max(version) FROM party_versions AS w WHERE w.party = v.party);

-- An eligibility answer as the relying party got it: a refusal (a purpose the party is not
-- registered for) is recorded like any other answer. `log_position` and `rulebooks` say
-- which facts and rulebook versions it saw, so it can be re-derived and, if corrected, told.
CREATE TABLE decisions (
    seq          INTEGER PRIMARY KEY,
    decision_id  TEXT NOT NULL UNIQUE,
    party        TEXT NOT NULL,
    subject      TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('allow', 'deny', 'refused')),
    reasons      TEXT NOT NULL,  -- JSON
    rulebooks    TEXT NOT NULL,  -- JSON array of rulebook@version
    log_position INTEGER NOT NULL CHECK (log_position >= 0),
    as_of        TEXT NOT NULL,
    decided_at   TEXT NOT NULL
);
CREATE INDEX decisions_by_subject ON decisions (subject);
CREATE INDEX decisions_by_party ON decisions (party);

-- Who read what about whom, and for what purpose: the subject's "who asked about me".
CREATE TABLE access_log (
    seq     INTEGER PRIMARY KEY,
    who     TEXT NOT NULL,
    role    TEXT NOT NULL,
    subject TEXT NOT NULL,
    what    TEXT NOT NULL,
    purpose TEXT,
    at      TEXT NOT NULL
);
CREATE INDEX access_log_by_subject ON access_log (subject);

-- The notice outbox: a notice is a case action; each attempt to deliver it on a channel is
-- a row here, so a failed email stays on record next to the retry that succeeded.
CREATE TABLE notice_deliveries (
    seq     INTEGER PRIMARY KEY,
    notice  TEXT NOT NULL,  -- the ref of the notice's case action
    channel TEXT NOT NULL CHECK (channel IN ('inbox', 'email')),
    status  TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    detail  TEXT,
    at      TEXT NOT NULL
);
CREATE INDEX notice_deliveries_by_notice ON notice_deliveries (notice);

CREATE INDEX case_actions_by_ref ON case_actions (ref);

CREATE TRIGGER party_versions_no_update BEFORE UPDATE ON party_versions
BEGIN SELECT RAISE(ABORT, 'party_versions are append-only'); END;
CREATE TRIGGER party_versions_no_delete BEFORE DELETE ON party_versions
BEGIN SELECT RAISE(ABORT, 'party_versions are append-only'); END;
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log are append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log are append-only'); END;
CREATE TRIGGER notice_deliveries_no_update BEFORE UPDATE ON notice_deliveries
BEGIN SELECT RAISE(ABORT, 'notice_deliveries are append-only'); END;
CREATE TRIGGER notice_deliveries_no_delete BEFORE DELETE ON notice_deliveries
BEGIN SELECT RAISE(ABORT, 'notice_deliveries are append-only'); END;
