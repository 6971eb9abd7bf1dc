"""What an ingest keeps in hand between its batches, so that each batch re-derives the
subjects it touched without reading back what the ingest itself wrote, and rewrites only the
cache rows that changed.

Held: the stored events (derivation columns but `data`) of every subject the ingest has
touched, those events decoded for each scheme (JSON data decoded once per event, not once per
batch), and the entries cached for them under each scheme, each with the hash the next
derivation is compared by; each held row carries its subject's number in the set, so that
picking the touched subjects' rows is a mask, not a string lookup per row. That is exactly
what the store holds as long as nobody else wrote in between; the set remembers the log
head and the number of reviews it last saw, and starts over when either moved. It also
starts over once it holds more than `limit` events, so memory stays bounded whatever the
size of the input.

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

import numpy as np
import numpy.typing as npt
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
CODE = "_code"  # a held subject's number in the set: masks by number, not by text
HASH = "_h"  # a held entry's hash (`_hashed`), kept beside it from when it was derived
# The held events keep what derivation reads of them; `data` is read once, by `decode`.
HELD_COLUMNS = [name for name in DERIVATION_COLUMNS if name != "data"]


def _none_held() -> pl.DataFrame:
    return pl.DataFrame(
        schema=dict.fromkeys(HELD_COLUMNS, pl.String) | {"seq": pl.Int64, CODE: pl.UInt32}
    )


def _no_codes() -> pl.DataFrame:
    return pl.DataFrame(schema={"subject": pl.String, CODE: pl.UInt32})


def _no_subjects() -> pl.DataFrame:
    return pl.DataFrame(schema={"id": pl.String, "kind": pl.String})


@dataclass
class WorkingSet:
    """The facts and cached entries of the subjects an ingest touched (see the module)."""

    limit: int = LIMIT
    events: pl.DataFrame = field(default_factory=_none_held)
    entries: dict[str, pl.DataFrame] = field(default_factory=dict)
    decoded: dict[str, pl.DataFrame] = field(default_factory=dict)  # scheme -> `decode` of events
    codes: pl.DataFrame = field(default_factory=_no_codes)  # every held subject and its number
    seen: tuple[int, int] | None = None  # (log head, reviews) when the set was last in step
    # Subjects known to be registered (`id`, `kind`), from committed batches. Subjects are
    # never removed and never change kind, so this stays true whoever writes meanwhile.
    subjects: pl.DataFrame = field(default_factory=_no_subjects)

    def remember_subjects(self, registered: pl.DataFrame) -> None:
        """After a batch committed: these subjects (`id`, `kind`) are registered."""
        known = pl.concat([self.subjects, registered.select("id", "kind")])
        known = known.unique("id", keep="first", maintain_order=True)
        self.subjects = known if known.height <= self.limit else _no_subjects()

    def clear(self) -> None:
        """Hold no facts: every subject is read back and its caches replaced whole (the
        registered subjects are kept: see `subjects`)."""
        self.events, self.entries, self.decoded = _none_held(), {}, {}
        self.codes, self.seen = _no_codes(), None

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
        held = self.codes.height
        coded = self._coded(touched)
        mine = _mask(coded, self.codes.height)
        unseen = coded.filter(
            (pl.col(CODE) >= held) & ~pl.col("subject").is_in(first_seen.implode())
        ).get_column("subject")
        read = store.events_for(unseen.to_list()).select(DERIVATION_COLUMNS)
        cached = store.entries_for(unseen.to_list()) if unseen.len() else None
        added = pl.concat([read, fresh.filter(~pl.col("subject").is_in(unseen.implode()))]).join(
            coded, on="subject", how="left", maintain_order="left"
        )
        # In no particular order: `derive` puts the events in log order itself.
        stored = pl.concat([_mine(self.events, mine), added.drop("data")])
        # A subject the batch registered has no case actions: no dispute or repair to read.
        known = touched.filter(~touched.is_in(first_seen.implode())).to_list()
        actions = store.case_actions_for(known) if known else pl.DataFrame()
        zones = {s.id: s.plan.timezone for s in schemes}
        disputes = disputes_from(actions, zones, as_of) if known else []
        derivable = repaired(settled(stored, disputes), repairs_from(actions))
        for scheme in schemes:
            new, unscorable = decode(added, scheme)
            new = new.join(coded, on="subject", how="left", maintain_order="left")
            held_decoded = self.decoded.get(scheme.id, new.clear())
            decoded = pl.concat([_mine(held_decoded, mine), new])
            derived = derive(derivable, scheme, as_of, decoded=(decoded.drop(CODE), unscorable))
            entries = _hashed(derived.entries.select(ENTRY_COLUMNS)).join(
                coded, on="subject", how="left", maintain_order="left"
            )
            before = self.entries.get(scheme.id, entries.clear())
            mine_before = _mine(before, mine)
            if cached is not None:
                current = _current(cached, scheme, derived.entries.select(ENTRY_COLUMNS).schema)
                current = _hashed(current).join(
                    coded, on="subject", how="inner", maintain_order="left"
                )
                mine_before = pl.concat([mine_before, current])
            rows, kept = _entry_changes(mine_before, entries)
            store.replace_caches(
                scheme.id,
                touched.to_list(),
                rows.drop(CODE, HASH),
                derived.standings,
                as_of=as_of,
                log_position=head,
                rulebooks=scheme.versions,
                keep_entries=kept,
            )
            self.entries[scheme.id] = pl.concat([_mine(before, ~mine), entries])
            self.decoded[scheme.id] = pl.concat([held_decoded, new])
        self.events = pl.concat([self.events, added.drop("data")])
        self.seen = (head, reviews)
        if self.events.height > self.limit:
            self.clear()
        return touched.len()

    def _coded(self, subjects: pl.Series) -> pl.DataFrame:
        """`subject` and `_code` of each of these subjects, numbering the new ones."""
        frame = subjects.to_frame("subject").join(
            self.codes, on="subject", how="left", maintain_order="left"
        )
        new = frame.filter(pl.col(CODE).is_null()).select("subject")
        numbered = new.with_columns(
            pl.int_range(self.codes.height, self.codes.height + new.height, dtype=pl.UInt32).alias(
                CODE
            )
        )
        self.codes = pl.concat([self.codes, numbered])
        return pl.concat([frame.filter(pl.col(CODE).is_not_null()), numbered])


def _mask(coded: pl.DataFrame, size: int) -> npt.NDArray[np.bool_]:
    """A boolean per code (`size` of them): whether that subject is among `coded`."""
    mask = np.zeros(size, np.bool_)
    mask[coded.get_column(CODE).to_numpy()] = True
    return mask


def _mine(frame: pl.DataFrame, mask: npt.NDArray[np.bool_]) -> pl.DataFrame:
    """The rows of `frame` whose subject's code the mask marks."""
    return frame.filter(pl.Series(mask[frame.get_column(CODE).to_numpy()]))


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


def _hashed(entries: pl.DataFrame) -> pl.DataFrame:
    """Entry rows with `_h`, a 64-bit hash of all their columns, by which `_entry_changes`
    pairs them; held rows keep theirs, so each row is hashed once, when it is derived."""
    return entries.with_columns(entries.select(ENTRY_COLUMNS).hash_rows().alias(HASH))


def _entry_changes(held: pl.DataFrame, derived: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The entry rows to write, and the subjects whose cached entries stay (the rows to write
    for them are added to theirs): those of `held` (cached entries of subjects being
    re-derived, with `_code` and `_h`) for whom the facts still give every cached entry
    unchanged. `derived` has `_code` and `_h` too.

    Rows are paired on their hash (one integer join, far cheaper than joining on the text
    columns that name an entry), and every pair is then compared column by column, so the
    result is exact: should two different rows ever share a hash, or a row repeat, every
    subject is replaced whole."""
    columns = list(ENTRY_COLUMNS)
    paired = derived.join(
        held.select(*columns, HASH, _held=pl.lit(True)),
        on=HASH,
        how="left",
        suffix="_held",
        maintain_order="left",
    )
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}_held")) for c in columns)
    unpaired = pl.col("_held").is_null()
    if paired.height != derived.height or not paired.select((same | unpaired).all()).item():
        return derived, []
    gone = held.filter(~pl.col(HASH).is_in(derived.get_column(HASH).implode()))
    kept = (
        held.select("subject", CODE)
        .unique()
        .filter(~pl.col(CODE).is_in(gone.get_column(CODE).implode()))
    )
    # A kept subject's rows to write are its new ones; every other subject's are all of them.
    keeping = pl.col(CODE).is_in(kept.get_column(CODE).implode())
    rows = paired.filter(~keeping | unpaired).select(derived.columns)
    return rows, kept.get_column("subject").to_list()
