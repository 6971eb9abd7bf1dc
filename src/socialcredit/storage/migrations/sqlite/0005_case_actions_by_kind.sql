-- Deadline jobs, the outbox and the review queue ask for case actions of some kinds across
-- every subject; an index on the kind finds them without reading the others.

CREATE INDEX case_actions_by_kind ON case_actions (kind, seq);
