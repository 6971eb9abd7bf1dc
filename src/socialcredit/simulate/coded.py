"""A chunk's entries as numbers: what the run's tallies read.

The tallies count entries by month, cell, rule, kind and status, and add up their points
over people and months. Spelling out ten million entries with their rule names and event ids
only for the tallies to group on those names again would cost more than deriving them; so the
kernel's codes (`kernel.derivation.Derivation`) go straight to one frame of integers, and
the names come back on the few counted rows at the end. Each entry's `label` stands for its
(rule, kind): the rule key of a scored event's entry, or a number after the rule keys for the
few repair entries, which the kernel already gives with names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.kernel.derivation import STATUS, Derivation
from socialcredit.kernel.scan import NEVER

__all__ = ["CodedEntries", "coded_entries"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_COUNTED = STATUS.to_list().index("counted")


@dataclass(frozen=True, eq=False)
class CodedEntries:
    """`frame`: one row per entry with `person` (0, 1, ... within the chunk), `label`,
    `status` (a code of `STATUS`), `points` (applied), `begin` and `stop` (local
    microseconds it counts from and until; NEVER: no end), `rank` (its direct grade's rank in
    `grade_names`, -1 for none) and `wrongful` (a false report made it). `labels`: `label`,
    `rule`, `kind`."""

    frame: pl.DataFrame
    labels: pl.DataFrame

    def counted(self) -> pl.DataFrame:
        """The entries that were applied (not a minor's, not superseded)."""
        return self.frame.filter(pl.col("status") == _COUNTED)


def coded_entries(
    derivation: Derivation, first: int, wrongful: Bools, grade_names: tuple[str, ...]
) -> CodedEntries:
    """The derivation's entries as numbers. Subjects are people's numbers, the chunk's
    first being `first`; `wrongful` marks the events false reports made, by row."""
    prepared, table = derivation.prepared, derivation.table
    person_of = pl.col("subject").cast(pl.Int64) - first
    person = prepared.events.select(person_of).to_series().to_numpy()
    ranks = {name: i for i, name in enumerate(grade_names)}
    rank_of_key = table.grade_ranks(ranks)
    rows = prepared.order
    scored = pl.DataFrame(
        {
            "person": person[rows],
            "label": prepared.sorted_key,
            "status": derivation.status,
            "points": derivation.applied,
            "begin": prepared.sorted_t,
            "stop": np.minimum(derivation.until, derivation.ended),
            "rank": rank_of_key[prepared.sorted_key],
            "wrongful": wrongful[rows],
        }
    )
    labels = table.frame.select(
        label=pl.int_range(pl.len(), dtype=pl.Int64), rule="rule", kind="kind"
    )
    made = derivation.made
    if made.is_empty():
        return CodedEntries(scored, labels)
    names = made.select("rule", "kind").unique(maintain_order=True)
    names = names.with_columns(label=pl.int_range(pl.len(), dtype=pl.Int64) + labels.height)
    ids = prepared.events.get_column("id").filter(pl.Series(wrongful))
    end = pl.min_horizontal("valid_until", "ended_at").cast(pl.Int64).fill_null(NEVER)
    extra = made.join(names, on=["rule", "kind"], how="left").select(
        person=person_of,
        label="label",
        status=pl.col("status").replace_strict(STATUS.to_list(), list(range(STATUS.len()))),
        points="applied_points",
        begin=pl.col("valid_from").cast(pl.Int64),
        stop=end,
        rank=pl.col("grade").replace_strict(ranks, default=-1, return_dtype=pl.Int64),
        wrongful=pl.col("event_id").is_in(ids.implode()),
    )
    frame = pl.concat([scored, extra.cast(scored.schema)], how="vertical")
    return CodedEntries(frame, pl.concat([labels, names.select(labels.columns)]))
