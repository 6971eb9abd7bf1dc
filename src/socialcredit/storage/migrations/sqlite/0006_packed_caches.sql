-- Cached entries packed one row per (scheme, subject, write): the entries one cache write
-- made for a subject, with the write's log position and rulebook versions, `entry_count`,
-- and `entries`: a line per entry, its fields comma-separated as CSV (text always quoted, a
-- quote doubled; absent values empty; times as wall-clock microseconds since 1970; booleans
-- 1 or 0). See socialcredit/storage/packing.py. An ingest batch then writes a row per subject
-- it touched, not one per entry.
--
-- Entries are derived, not facts. The rows cached so far are converted here, each write's
-- rows into one pack, so nothing needs recomputing; `socialcredit verify` checks them against
-- the facts as before, and `socialcredit recompute` would rebuild them in any case. The
-- standings are copied into a table without a rowid (below), unchanged.
CREATE TABLE entry_packs (
    scheme       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    log_position INTEGER NOT NULL,
    rulebooks    TEXT NOT NULL,
    entry_count  INTEGER NOT NULL,
    entries      TEXT NOT NULL
);

-- Stored times are '%Y-%m-%dT%H:%M:%S.ffffff': whole seconds from strftime('%s') of the first
-- 19 characters (exact; given the fraction too, SQLite rounds through a float), plus the six
-- digits of the fraction.
INSERT INTO entry_packs (scheme, subject, log_position, rulebooks, entry_count, entries)
SELECT scheme, subject, log_position, rulebooks, count(*), group_concat(
        coalesce('"' || replace(event_id, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(source, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(type, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(rule, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(rulebook, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(kind, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(status, '"', '""') || '"', '')
        || ',' || CAST(base_points AS TEXT)
        || ',' || CAST(applied_points AS TEXT)
        || ',' || coalesce('"' || replace(grade, '"', '""') || '"', '')
        || ',' || CAST(doubled AS TEXT)
        || ',' || CAST(capped AS TEXT)
        || ',' || coalesce(CAST(CAST(strftime('%s', substr(valid_from, 1, 19)) AS INTEGER) * 1000000
            + CAST(substr(valid_from, 21, 6) AS INTEGER) AS TEXT), '')
        || ',' || coalesce(CAST(CAST(strftime('%s', substr(valid_until, 1, 19)) AS INTEGER) * 1000000
            + CAST(substr(valid_until, 21, 6) AS INTEGER) AS TEXT), '')
        || ',' || coalesce(CAST(CAST(strftime('%s', substr(ended_at, 1, 19)) AS INTEGER) * 1000000
            + CAST(substr(ended_at, 21, 6) AS INTEGER) AS TEXT), '')
        || ',' || coalesce('"' || replace(ended_by, '"', '""') || '"', ''),
        char(10)
    )
FROM entries
GROUP BY scheme, subject, log_position, rulebooks;

DROP TABLE entries;
ALTER TABLE entry_packs RENAME TO entries;
CREATE INDEX entries_by_subject ON entries (subject, scheme);

-- Every ingest batch replaces the standings of the subjects it touched, in place (INSERT OR
-- REPLACE on the key): without a rowid the table is the key's b-tree alone, one tree to
-- write instead of two.
CREATE TABLE standings_by_key (
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
) WITHOUT ROWID;
INSERT INTO standings_by_key SELECT
    scheme, subject, score, grade, direct_grade, points, scored, as_of, log_position, rulebooks
FROM standings;
DROP TABLE standings;
ALTER TABLE standings_by_key RENAME TO standings;
