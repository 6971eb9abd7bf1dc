-- The ledger: facts (append-only, refused UPDATE and DELETE by trigger) and derived caches.
-- Times are ISO 8601 text with an offset, stored exactly as hashed or as sent.

-- Events: the hash-chained log. `seq` is the log position, 1..n without gaps, assigned by
-- the store under the write lock; `prev_hash` and `hash` chain each record to the one before.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    id           TEXT NOT NULL,
    subject      TEXT NOT NULL,
    type         TEXT NOT NULL,
    occurred_at  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    jurisdiction TEXT,
    act          TEXT,
    data         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('accepted', 'pending')),
    prev_hash    TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash         TEXT NOT NULL CHECK (length(hash) = 64),
    UNIQUE (source, id)
);
CREATE INDEX events_by_subject ON events (subject);
CREATE INDEX events_pending ON events (seq) WHERE status = 'pending';

-- A pending event (from a low-trust source) is approved or rejected once, by a person.
CREATE TABLE event_reviews (
    source      TEXT NOT NULL,
    id          TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    reviewer    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,
    PRIMARY KEY (source, id),
    FOREIGN KEY (source, id) REFERENCES events (source, id)
);

-- Published rulebook text, immutable once published; `content_hash` is SHA-256 of `text`.
CREATE TABLE rulebook_versions (
    rulebook     TEXT NOT NULL,
    version      TEXT NOT NULL,
    effective    TEXT NOT NULL,
    content_hash TEXT NOT NULL CHECK (length(content_hash) = 64),
    text         TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (rulebook, version)
);

-- The source registry is append-only too: an operator's change of trust or allow list is a
-- new version, the latest version is in force, and the history says what held when.
CREATE TABLE source_versions (
    source          TEXT NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    name            TEXT NOT NULL,
    trust           TEXT NOT NULL CHECK (trust IN ('high', 'low')),
    allowed         TEXT NOT NULL,  -- JSON array of the event types or domains it may report
    credential_hash TEXT,
    registered_at   TEXT NOT NULL,
    PRIMARY KEY (source, version)
);
CREATE VIEW sources AS
SELECT source AS id, name, trust, allowed, credential_hash, version, registered_at
FROM source_versions AS v
WHERE version = (SELECT max(version) FROM source_versions AS w WHERE w.source = v.source);

-- A subject's kind never changes, so the registry is plain rows that are never edited.
CREATE TABLE subjects (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('person', 'organisation', 'opaque')),
    registered_at TEXT NOT NULL
);

-- Due process: notices, appeals, disputes, review decisions, consent.
CREATE TABLE case_actions (
    seq     INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL,
    subject TEXT NOT NULL,
    ref     TEXT,
    data    TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX case_actions_by_subject ON case_actions (subject);

-- Derived caches, replaced per subject; each row names the log position and the rulebook
-- versions it was computed from. Not facts: no triggers.
CREATE TABLE entries (
    subject        TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    source         TEXT NOT NULL,
    type           TEXT NOT NULL,
    rule           TEXT NOT NULL,
    rulebook       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    base_points    INTEGER NOT NULL,
    applied_points INTEGER NOT NULL,
    grade          TEXT,
    doubled        INTEGER NOT NULL,
    capped         INTEGER NOT NULL,
    valid_from     TEXT NOT NULL,
    valid_until    TEXT,
    ended_at       TEXT,
    ended_by       TEXT,
    log_position   INTEGER NOT NULL,
    rulebooks      TEXT NOT NULL
);
CREATE INDEX entries_by_subject ON entries (subject);

CREATE TABLE standings (
    subject      TEXT PRIMARY KEY,
    score        INTEGER,
    grade        TEXT,
    direct_grade TEXT,
    points       INTEGER NOT NULL,
    scored       INTEGER NOT NULL,
    as_of        TEXT NOT NULL,
    log_position INTEGER NOT NULL,
    rulebooks    TEXT NOT NULL
);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER event_reviews_no_update BEFORE UPDATE ON event_reviews
BEGIN SELECT RAISE(ABORT, 'event_reviews are append-only'); END;
CREATE TRIGGER event_reviews_no_delete BEFORE DELETE ON event_reviews
BEGIN SELECT RAISE(ABORT, 'event_reviews are append-only'); END;
CREATE TRIGGER rulebook_versions_no_update BEFORE UPDATE ON rulebook_versions
BEGIN SELECT RAISE(ABORT, 'rulebook_versions are append-only'); END;
CREATE TRIGGER rulebook_versions_no_delete BEFORE DELETE ON rulebook_versions
BEGIN SELECT RAISE(ABORT, 'rulebook_versions are append-only'); END;
CREATE TRIGGER source_versions_no_update BEFORE UPDATE ON source_versions
BEGIN SELECT RAISE(ABORT, 'source_versions are append-only'); END;
CREATE TRIGGER source_versions_no_delete BEFORE DELETE ON source_versions
BEGIN SELECT RAISE(ABORT, 'source_versions are append-only'); END;
CREATE TRIGGER subjects_no_update BEFORE UPDATE ON subjects
BEGIN SELECT RAISE(ABORT, 'subjects are append-only'); END;
CREATE TRIGGER subjects_no_delete BEFORE DELETE ON subjects
BEGIN SELECT RAISE(ABORT, 'subjects are append-only'); END;
CREATE TRIGGER case_actions_no_update BEFORE UPDATE ON case_actions
BEGIN SELECT RAISE(ABORT, 'case_actions are append-only'); END;
CREATE TRIGGER case_actions_no_delete BEFORE DELETE ON case_actions
BEGIN SELECT RAISE(ABORT, 'case_actions are append-only'); END;
