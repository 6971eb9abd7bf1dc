-- A subject can be scored by more than one scheme (a mandatory city scheme and an opt-in
-- rewards scheme), so the caches are keyed by (scheme, subject). Caches are derived, not
-- facts: they are dropped and rebuilt by `socialcredit recompute`.
DROP TABLE entries;
DROP TABLE standings;

CREATE TABLE entries (
    scheme         TEXT NOT NULL,
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
CREATE INDEX entries_by_subject ON entries (subject, scheme);

CREATE TABLE standings (
    scheme       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    score        INTEGER,
    grade        TEXT,
    direct_grade TEXT,
    points       INTEGER NOT NULL,
    scored       INTEGER NOT NULL,
    as_of        TEXT NOT NULL,
    log_position INTEGER NOT NULL,
    rulebooks    TEXT NOT NULL,
    PRIMARY KEY (subject, scheme)
);
