"""What the kernel computed for one event frame, before it is spelled out as entries.

The kernel works on codes in processing order (`kernel.frames.Prepared`): a rule key, a
subject code, local times in microseconds. A `Derivation` keeps that form: one slot per
event that a rule scores, with its status, base and applied points, validity and end, plus
the few entries that repairs made (already a frame). `entries()` spells everything out as the
entry frame (`ENTRY_COLUMNS`), names and all; `subject_totals()` goes straight from the codes
to each subject's points and worst direct grade at one moment, which is all a standing
needs, without building the names of ten million entries first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.domain.events import ENTRY_COLUMNS
from socialcredit.kernel.frames import Prepared
from socialcredit.kernel.groups import counted_at
from socialcredit.kernel.scan import COUNTED, NEVER, to_rows
from socialcredit.kernel.tables import RuleTable

__all__ = ["MOMENT", "STATUS", "Derivation", "counts_at"]

STATUS = pl.Series(["counted", "minor", "superseded"])  # by COUNTED, MINOR, SUPERSEDED
MOMENT = pl.Datetime("us")

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def counts_at(at: datetime) -> pl.Expr:
    """Whether an entry (entry columns) counts at `at` (local wall-clock time): counted, begun,
    neither expired nor ended."""
    end = pl.min_horizontal("valid_until", "ended_at")
    return (
        (pl.col("status") == "counted")
        & (pl.col("valid_from") <= at)
        & (end.is_null() | (end > at))
    )


def _moment(values: I64) -> pl.Series:
    series = pl.Series(values)
    return series.set(series == NEVER, None).cast(MOMENT)


@dataclass(frozen=True, eq=False)
class Derivation:
    """Per position of the processing order (`prepared.order[p]` is the event's row):
    `status` (COUNTED, MINOR, SUPERSEDED), `base` and `applied` points, `doubled`, `capped`,
    `until` (local time validity ends; NEVER: no end), `ended` (local time something ended it
    early; NEVER: nothing) and `ender` (the row of the event that ended it, -1 for none or a
    credit repair, whose application `repaired_by` names); and `made`, the repair and
    conversion entries as an entry frame, with `made_code`, the subject code of each."""

    prepared: Prepared
    table: RuleTable
    status: I64
    base: I64
    applied: I64
    doubled: Bools
    capped: Bools
    until: I64
    ended: I64
    ender: I64
    by_repair: Bools
    made: pl.DataFrame
    made_code: I64

    def entries(self) -> pl.DataFrame:
        """Every entry as the entry frame: the scored events' entries in input order, then
        the repairs'."""
        prepared, table = self.prepared, self.table
        live = prepared.key >= 0
        packed = np.empty((self.base.size, 4), np.int64)
        flags = self.doubled.astype(np.int64) << 2 | self.capped.astype(np.int64) << 3
        packed[:, 0] = self.status | flags
        packed[:, 1], packed[:, 2], packed[:, 3] = self.base, self.applied, self.until
        record = to_rows(prepared.position[live], packed)
        status, base, applied = record[:, 0] & 3, record[:, 1], record[:, 2]
        keys = prepared.key[live]
        computed = pl.DataFrame(
            {
                **{c: table.values(c, keys) for c in ("rule", "rulebook", "kind", "grade")},
                "status": STATUS.gather(status),
                "base_points": base,
                "applied_points": applied,
                "doubled": record[:, 0] & 4 == 4,
                "capped": record[:, 0] & 8 == 8,
                "valid_from": pl.Series(prepared.t[live]).cast(MOMENT),
                "valid_until": _moment(record[:, 3]),
                **self._endings(np.cumsum(live) - 1),
            }
        )
        frame = (
            prepared.events.select("subject", "source", "type", event_id="id")
            .filter(pl.Series(live))
            .hstack(computed)
            .select(ENTRY_COLUMNS)
        )
        return pl.concat([frame, self.made], how="vertical") if self.made.height else frame

    def _endings(self, entry_of_row: I64) -> dict[str, pl.Series]:
        """`ended_at` and `ended_by` per entry. Few entries were ended early (acts, repair
        events, credit repairs): those are placed on their own."""
        prepared, ended = self.prepared, self.ended
        size = int(np.count_nonzero(prepared.key >= 0))
        early = np.flatnonzero(ended != NEVER)
        rows = prepared.order[early]
        at = entry_of_row[rows]
        ended_at = np.full(size, NEVER, np.int64)
        ended_at[at] = ended[early]
        ender = self.ender[early]
        by_event = ender >= 0
        enders = pl.repeat(None, early.size, dtype=pl.String, eager=True)
        enders = enders.scatter(
            np.flatnonzero(by_event), prepared.events.get_column("id").gather(ender[by_event])
        )
        events = prepared.events
        credit = np.flatnonzero(self.by_repair[early])
        if credit.size and "repaired_by" in events.columns:
            by = events.get_column("repaired_by").cast(pl.String)
            enders = enders.scatter(credit, by.gather(rows[credit]))
        ended_by = pl.repeat(None, size, dtype=pl.String, eager=True).scatter(at, enders)
        return {"ended_at": _moment(ended_at), "ended_by": ended_by}

    def subject_totals(self, at: datetime, ranks: dict[str, int]) -> pl.DataFrame:
        """Each subject with a scored event: `subject`, the `points` of its entries that
        count at `at` (local wall-clock time) and `_worst`, the rank (in `ranks`) of the
        worst direct grade among them (null: none)."""
        prepared = self.prepared
        moment = int(np.datetime64(at, "us").astype(np.int64))
        starts, points, worst = counted_at(
            prepared.code,
            self.status,
            prepared.sorted_t,
            self.until,
            self.ended,
            self.applied,
            prepared.sorted_key,
            self.table.grade_ranks(ranks),
            moment,
            COUNTED,
        )
        if self.made.height:
            # Repair entries are few; each already knows its subject's code.
            grade_rank = pl.col("grade").replace_strict(ranks, default=-1, return_dtype=pl.Int64)
            valid = counts_at(at)
            extra = self.made.select(
                _points=pl.when(valid).then(pl.col("applied_points")).otherwise(0),
                _rank=pl.when(valid).then(grade_rank).otherwise(-1),
            )
            np.add.at(points, self.made_code, extra.get_column("_points").to_numpy())
            np.maximum.at(worst, self.made_code, extra.get_column("_rank").to_numpy())
        found = prepared.events.select(pl.col("subject").gather(prepared.order[starts]))
        rank = pl.Series("_worst", worst)
        return found.with_columns(points=points, _worst=rank.set(rank < 0, None).cast(pl.Int32))
