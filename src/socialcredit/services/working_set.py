"""What an ingest keeps in hand between its batches, so that each batch re-derives the
subjects it touched without reading back what the ingest itself wrote, and rewrites only the
cache rows that changed.

Held: the stored events (derivation columns) of every subject the ingest has touched, those
events decoded for each scheme (JSON data decoded once per event, not once per batch), and
the entries cached for them under each scheme. That is exactly what the store holds as long
as nobody else wrote in between; the set remembers the log head and the number of reviews
it last saw, and starts over when either moved. It also starts over once it holds more than
`limit` events, so memory stays bounded whatever the size of the input.

A subject the set does not hold has its events and cached entries read back. When the facts
still give every cached entry of a subject, only its new entries are written; otherwise (a
late event doubling a later one, a void, a repair) all of its entries are. So an entry's
`log_position` is where it last changed, whatever the batches were.

Disputes and approved repairs are read afresh for the touched subjects at every batch (case
actions are not held): an event a dispute removed by the batch's moment is derived as
removed, and a penalty an approved repair ended stays ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from socialcredit.domain.events import ENTRY_COLUMNS
from socialcredit.services.derive import (
    DERIVATION_COLUMNS,
    decode,
    derive,
    repaired,
    repairs_from,
)
from socialcredit.services.disputes import disputes_from, settled
from socialcredit.services.schemes import Scheme
from socialcredit.storage import Store

__all__ = ["WorkingSet"]

LIMIT = 5_000_000  # events held at most
_NAME = ["subject", "source", "event_id", "rule"]  # what names an entry


def _none_held() -> pl.DataFrame:
    return pl.DataFrame(schema=dict.fromkeys(DERIVATION_COLUMNS, pl.String) | {"seq": pl.Int64})


@dataclass
class WorkingSet:
    """The facts and cached entries of the subjects an ingest touched (see the module)."""

    limit: int = LIMIT
    events: pl.DataFrame = field(default_factory=_none_held)
    entries: dict[str, pl.DataFrame] = field(default_factory=dict)
    decoded: dict[str, pl.DataFrame] = field(default_factory=dict)  # scheme -> `decode` of events
    seen: tuple[int, int] | None = None  # (log head, reviews) when the set was last in step

    def clear(self) -> None:
        """Hold nothing: every subject is read back and its caches replaced whole."""
        self.events, self.entries, self.decoded, self.seen = _none_held(), {}, {}, None

    def rederive(
        self,
        store: Store,
        schemes: Sequence[Scheme],
        fresh: pl.DataFrame,
        first_seen: pl.Series,
        as_of: datetime,
    ) -> int:
        """In the caller's transaction, just after a batch appended `fresh` (its new events,
        derivation columns but `review`): re-derive every subject they name under every
        scheme, write what changed in the caches, and hold the result. `first_seen` are the
        subjects the batch registered, who have no other events. Returns how many subjects."""
        head = store.head().seq
        reviews = store.review_count()
        if self.seen != (head - fresh.height, reviews):
            self.clear()
        fresh = fresh.with_columns(review=pl.lit(None, pl.String)).select(DERIVATION_COLUMNS)
        touched = fresh.get_column("subject").unique().sort()
        if touched.is_empty():
            return 0
        held = self.events.get_column("subject").unique()
        in_hand = pl.concat([held, first_seen]).implode()
        unseen = touched.filter(~touched.is_in(in_hand)).to_list()
        read = store.events_for(unseen).select(DERIVATION_COLUMNS)
        cached = store.entries_for(unseen) if unseen else None
        added = pl.concat([read, fresh.filter(pl.col("subject").is_in(in_hand))])
        mine = pl.col("subject").is_in(touched.implode())
        stored = pl.concat([self.events.filter(mine), added]).sort("seq")
        # A subject the batch registered has no case actions: no dispute or repair to read.
        known = touched.filter(~touched.is_in(first_seen.implode())).to_list()
        actions = store.case_actions_for(known) if known else pl.DataFrame()
        zones = {s.id: s.plan.timezone for s in schemes}
        disputes = disputes_from(actions, zones, as_of) if known else []
        derivable = repaired(settled(stored, disputes), repairs_from(actions))
        for scheme in schemes:
            new, unscorable = decode(added, scheme)
            held_decoded = self.decoded.get(scheme.id, new.clear())
            decoded = pl.concat([held_decoded.filter(mine), new])
            derived = derive(derivable, scheme, as_of, decoded=(decoded, unscorable))
            entries = derived.entries.select(ENTRY_COLUMNS)
            before = self.entries.get(scheme.id, entries.clear())
            if cached is not None:
                before = pl.concat([before, _current(cached, scheme, entries.schema)])
            rows, kept = _entry_changes(before.filter(mine), entries)
            store.replace_caches(
                scheme.id,
                touched.to_list(),
                rows,
                derived.standings,
                as_of=as_of,
                log_position=head,
                rulebooks=scheme.versions,
                keep_entries=kept,
            )
            self.entries[scheme.id] = pl.concat([before.filter(~mine), entries])
            self.decoded[scheme.id] = pl.concat([held_decoded, new])
        self.events = pl.concat([self.events, added])
        self.seen = (head, reviews)
        if self.events.height > self.limit:
            self.clear()
        return touched.len()


def _current(cached: pl.DataFrame, scheme: Scheme, schema: pl.Schema) -> pl.DataFrame:
    """The cached entries (`entries_for` rows) derived under the scheme's published versions;
    one cached under others is out of date, and its subject's entries are replaced whole."""
    versions = ",".join(sorted(scheme.versions))
    return (
        cached.filter(
            (pl.col("scheme") == scheme.id)
            & (pl.col("rulebooks").list.sort().list.join(",") == versions)
        )
        .select(ENTRY_COLUMNS)
        .cast(schema)
    )


def _entry_changes(held: pl.DataFrame, derived: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The entry rows to write, and the subjects whose cached entries stay (the rows to write
    for them are added to theirs): those of `held` (cached entries of subjects being
    re-derived) for whom the facts still give every cached entry unchanged.

    An entry is one rule's reading of one event, so (subject, source, event id, rule) names
    it; pairing on that and comparing the other columns is exact and far cheaper than
    joining on every column. Should a name ever repeat, every subject is replaced whole."""
    values = [c for c in ENTRY_COLUMNS if c not in _NAME]
    paired = derived.join(
        held.with_columns(_held=pl.lit(True)), on=_NAME, how="left", suffix="_held"
    )
    if paired.height != derived.height:
        return derived, []
    unchanged = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}_held")) for c in values)
    changed = paired.filter(pl.col("_held").is_not_null() & ~unchanged).get_column("subject")
    gone = held.join(derived, on=_NAME, how="anti").get_column("subject")
    replaced = pl.concat([changed, gone]).implode()
    subjects = held.get_column("subject").unique()
    kept = subjects.filter(~subjects.is_in(replaced))
    keeping = pl.col("subject").is_in(kept.implode())
    new = paired.filter(pl.col("_held").is_null()).select(derived.columns)
    rows = pl.concat([derived.filter(~keeping), new.filter(keeping)])
    return rows, kept.to_list()
