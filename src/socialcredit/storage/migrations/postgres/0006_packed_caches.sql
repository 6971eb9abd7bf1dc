-- Cached entries packed one row per (scheme, subject, write): the entries one cache write
-- made for a subject, with the write's log position and rulebook versions, `entry_count`,
-- and `entries`: a line per entry, its fields comma-separated as CSV (text always quoted, a
-- quote doubled; absent values empty; times as wall-clock microseconds since 1970; booleans
-- 1 or 0). See socialcredit/storage/packing.py. An ingest batch then writes a row per subject
-- it touched, not one per entry.
--
-- Entries are derived, not facts. The rows cached so far are converted here, each write's
-- rows into one pack, so nothing needs recomputing; `socialcredit verify` checks them against
-- the facts as before, and `socialcredit recompute` would rebuild them in any case.
CREATE TABLE entry_packs (
    scheme       text NOT NULL,
    subject      text NOT NULL,
    log_position bigint NOT NULL,
    rulebooks    text NOT NULL,
    entry_count  bigint NOT NULL,
    entries      text NOT NULL
);

-- Times split into whole seconds and microseconds, both exact.
INSERT INTO entry_packs (scheme, subject, log_position, rulebooks, entry_count, entries)
SELECT scheme, subject, log_position, rulebooks, count(*), string_agg(
        coalesce('"' || replace(event_id, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(source, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(type, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(rule, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(rulebook, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(kind, '"', '""') || '"', '')
        || ',' || coalesce('"' || replace(status, '"', '""') || '"', '')
        || ',' || base_points::text
        || ',' || applied_points::text
        || ',' || coalesce('"' || replace(grade, '"', '""') || '"', '')
        || ',' || CASE WHEN doubled THEN '1' ELSE '0' END
        || ',' || CASE WHEN capped THEN '1' ELSE '0' END
        || ',' || coalesce((extract(epoch FROM date_trunc('second', valid_from))::bigint * 1000000
            + extract(microseconds FROM valid_from)::bigint % 1000000)::text, '')
        || ',' || coalesce((extract(epoch FROM date_trunc('second', valid_until))::bigint * 1000000
            + extract(microseconds FROM valid_until)::bigint % 1000000)::text, '')
        || ',' || coalesce((extract(epoch FROM date_trunc('second', ended_at))::bigint * 1000000
            + extract(microseconds FROM ended_at)::bigint % 1000000)::text, '')
        || ',' || coalesce('"' || replace(ended_by, '"', '""') || '"', ''),
        E'\n'
    )
FROM entries
GROUP BY scheme, subject, log_position, rulebooks;

DROP TABLE entries;
ALTER TABLE entry_packs RENAME TO entries;
CREATE INDEX entries_by_subject ON entries (subject, scheme);
