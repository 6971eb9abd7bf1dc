-- A subject can be scored by more than one scheme (a mandatory city scheme and an opt-in
-- rewards scheme), so the caches are keyed by (scheme, subject). Caches are derived, not
-- facts: they are dropped and rebuilt by `socialcredit recompute`.
DROP TABLE entries;
DROP TABLE standings;

CREATE TABLE entries (
    scheme         text NOT NULL,
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
CREATE INDEX entries_by_subject ON entries (subject, scheme);

CREATE TABLE standings (
    scheme       text NOT NULL,
    subject      text NOT NULL,
    score        bigint,
    grade        text,
    direct_grade text,
    points       bigint NOT NULL,
    scored       boolean NOT NULL,
    as_of        timestamptz NOT NULL,
    log_position bigint NOT NULL,
    rulebooks    text NOT NULL,
    PRIMARY KEY (subject, scheme)
);
