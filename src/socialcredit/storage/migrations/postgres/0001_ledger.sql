-- The ledger: facts (append-only, refused UPDATE, DELETE and TRUNCATE by trigger) and
-- derived caches. The same tables as the SQLite migration of the same number. Hashed times
-- and `data` are text, not timestamptz or jsonb, so that they come back byte for byte as
-- they were hashed.

-- Events: the hash-chained log. `seq` is the log position, 1..n without gaps, assigned by
-- the store under a table lock (a sequence would leave gaps on rollback).
CREATE TABLE events (
    seq          bigint PRIMARY KEY,
    source       text NOT NULL,
    id           text NOT NULL,
    subject      text NOT NULL,
    type         text NOT NULL,
    occurred_at  text NOT NULL,
    recorded_at  text NOT NULL,
    jurisdiction text,
    act          text,
    data         text NOT NULL,
    status       text NOT NULL CHECK (status IN ('accepted', 'pending')),
    prev_hash    text NOT NULL CHECK (length(prev_hash) = 64),
    hash         text NOT NULL CHECK (length(hash) = 64),
    UNIQUE (source, id)
);
CREATE INDEX events_by_subject ON events (subject);
CREATE INDEX events_pending ON events (seq) WHERE status = 'pending';

CREATE TABLE event_reviews (
    source      text NOT NULL,
    id          text NOT NULL,
    decision    text NOT NULL CHECK (decision IN ('approve', 'reject')),
    reviewer    text NOT NULL,
    reason      text NOT NULL,
    reviewed_at text NOT NULL,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, id) REFERENCES events (source, id)
);

CREATE TABLE rulebook_versions (
    rulebook     text NOT NULL,
    version      text NOT NULL,
    effective    text NOT NULL,
    content_hash text NOT NULL CHECK (length(content_hash) = 64),
    text         text NOT NULL,
    published_at text NOT NULL,
    PRIMARY KEY (rulebook, version)
);

-- Append-only source registry: a change of trust or allow list is a new version; the
-- latest is in force.
CREATE TABLE source_versions (
    source          text NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    name            text NOT NULL,
    trust           text NOT NULL CHECK (trust IN ('high', 'low')),
    allowed         text NOT NULL,
    credential_hash text,
    registered_at   text NOT NULL,
    PRIMARY KEY (source, version)
);
CREATE VIEW sources AS
SELECT DISTINCT ON (source)
    source AS id, name, trust, allowed, credential_hash, version, registered_at
FROM source_versions
ORDER BY source, version DESC;

CREATE TABLE subjects (
    id            text PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('person', 'organisation', 'opaque')),
    registered_at text NOT NULL
);

CREATE TABLE case_actions (
    seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind    text NOT NULL,
    subject text NOT NULL,
    ref     text,
    data    text NOT NULL,
    at      text NOT NULL
);
CREATE INDEX case_actions_by_subject ON case_actions (subject);

-- Derived caches, replaced per subject. Not facts: no triggers.
CREATE TABLE entries (
    subject        text NOT NULL,
    event_id       text NOT NULL,
    source         text NOT NULL,
    type           text NOT NULL,
    rule           text NOT NULL,
    rulebook       text NOT NULL,
    kind           text NOT NULL,
    status         text NOT NULL,
    base_points    bigint NOT NULL,
    applied_points bigint NOT NULL,
    grade          text,
    doubled        boolean NOT NULL,
    capped         boolean NOT NULL,
    valid_from     timestamp NOT NULL,
    valid_until    timestamp,
    ended_at       timestamp,
    ended_by       text,
    log_position   bigint NOT NULL,
    rulebooks      text NOT NULL
);
CREATE INDEX entries_by_subject ON entries (subject);

CREATE TABLE standings (
    subject      text PRIMARY KEY,
    score        bigint,
    grade        text,
    direct_grade text,
    points       bigint NOT NULL,
    scored       boolean NOT NULL,
    as_of        timestamptz NOT NULL,
    log_position bigint NOT NULL,
    rulebooks    text NOT NULL
);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% are append-only', TG_TABLE_NAME USING ERRCODE = 'SC001';
END;
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER event_reviews_append_only BEFORE UPDATE OR DELETE ON event_reviews
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER event_reviews_no_truncate BEFORE TRUNCATE ON event_reviews
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER rulebook_versions_append_only BEFORE UPDATE OR DELETE ON rulebook_versions
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER rulebook_versions_no_truncate BEFORE TRUNCATE ON rulebook_versions
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER source_versions_append_only BEFORE UPDATE OR DELETE ON source_versions
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER source_versions_no_truncate BEFORE TRUNCATE ON source_versions
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER subjects_append_only BEFORE UPDATE OR DELETE ON subjects
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER subjects_no_truncate BEFORE TRUNCATE ON subjects
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_actions_append_only BEFORE UPDATE OR DELETE ON case_actions
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_actions_no_truncate BEFORE TRUNCATE ON case_actions
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
