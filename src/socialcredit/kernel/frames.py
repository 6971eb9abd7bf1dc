"""The event frame the kernel reads, and its preparation: voids, local time, rule, order.

Columns: `id`, `source`, `subject`, `type` (strings), `occurred_at` (a timezone-aware
Datetime), optional `act` (string), optional `birth_date` (Date; when absent and the plan
scores people, birth dates come from resident ID numbers, so minors are never left
unprotected), and one column per data field the rulebook reads (numbers as Float64, text as
String). Void events carry their target's id in a `target` column.

Preparation never reorders or copies the wide frame: it adds narrow columns in input order
and computes the processing order (`kernel.order`) as row numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.kernel.order import bucket_bits, ordered, tied
from socialcredit.kernel.tables import RuleTable
from socialcredit.rules.plan import VOID, Plan

__all__ = ["REQUIRED", "Prepared", "local_time", "prepare_events"]

REQUIRED = ("id", "source", "subject", "type", "occurred_at")
# Seeds of the two independent subject hashes (any fixed pair will do).
_SEEDS = (0x5EED, 0xC0FFEE)

I64 = npt.NDArray[np.int64]


def local_time(moment: pl.Expr, timezone: str) -> pl.Expr:
    """Aware datetimes as naive wall-clock time in the rulebook's timezone, in microseconds."""
    return moment.dt.convert_time_zone(timezone).dt.replace_time_zone(None).dt.cast_time_unit("us")


@dataclass(frozen=True)
class Prepared:
    """The input (plus the fields the plan reads) and what the kernel computes on.

    `withdrawn` marks rows a void took back. `key` is each row's rule key (-1: no rule, a
    void, or withdrawn) and `rule` the code of that
    rule's id, shared by its versions; `order` the rows with a
    rule in processing order (subject, rule, local time, source, id); `code` the subject code
    of each position of `order`, and `subject_code` the same per row (-1 for rows not in it).
    """

    events: pl.DataFrame
    t: I64
    seg: I64
    type_code: I64
    withdrawn: npt.NDArray[np.bool_]
    key: I64
    rule: I64
    order: I64
    code: I64
    subject_code: I64


def _check(events: pl.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in events.columns]
    if missing:
        raise ValueError(f"event frame lacks columns: {', '.join(missing)}")
    dtype = events.schema["occurred_at"]
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
        raise ValueError("occurred_at must be a timezone-aware Datetime column")


def _with_fields(events: pl.DataFrame, table: RuleTable) -> pl.DataFrame:
    wanted: dict[str, pl.DataType] = dict.fromkeys(table.numeric_fields(), pl.Float64())
    wanted.update(dict.fromkeys([*table.text_fields(), "act", "target"], pl.String()))
    return events.with_columns(
        (pl.col(name).cast(dtype) if name in events.columns else pl.lit(None, dtype=dtype)).alias(
            name
        )
        for name, dtype in wanted.items()
    )


def _segment(day: pl.Expr, table: RuleTable) -> pl.Expr:
    index = pl.lit(-1, dtype=pl.Int64)
    for i, start in enumerate(table.starts):
        index = pl.when(day >= pl.lit(start)).then(pl.lit(i, dtype=pl.Int64)).otherwise(index)
    return index


def _voided(events: pl.DataFrame) -> I64:
    """Rows withdrawn by a void from the same source."""
    voids = events.filter(pl.col("type") == VOID).select("source", id=pl.col("target"))
    if voids.is_empty():
        return np.empty(0, np.int64)
    maybe = events.select(pl.int_range(pl.len()).alias("_row"), "source", "id").filter(
        pl.col("id").is_in(voids.get_column("id").implode())
    )
    hit = maybe.join(voids, on=["source", "id"], how="semi").get_column("_row")
    return hit.to_numpy().astype(np.int64)


def _order(events: pl.DataFrame, live: I64, rule: I64, t: I64) -> tuple[I64, I64]:
    column = events.get_column("subject")
    if live.size < events.height:
        column = column.gather(live)
    h = column.hash(_SEEDS[0]).to_numpy()
    check = column.hash(_SEEDS[1]).to_numpy()
    position, code, distinct = ordered(h, check, rule, t, bucket_bits(live.size))
    if not distinct:  # two subjects share a 64-bit hash: fall back to exact codes
        exact = column.cast(pl.Categorical).to_physical().cast(pl.UInt64).to_numpy()
        position, code, distinct = ordered(exact, exact, rule, t, bucket_bits(live.size))
    order = live[position]
    ties = tied(position, code, rule, t)
    if ties.size:
        at = position[ties]
        order[ties] = _by_event_keys(events, order[ties], code[ties], rule[at], t[at])
    return order, code


def _by_event_keys(events: pl.DataFrame, rows: I64, code: I64, rule: I64, t: I64) -> I64:
    """Rows in runs of equal (subject, rule, time), put in (source, id) order within each run.

    The runs already follow one another by (code, rule, t), so sorting on those and then the
    event keys keeps every run in its place.
    """
    keyed = events.select("source", "id").gather(rows)
    keyed = keyed.with_columns(_row=rows, _code=code, _rule=rule, _t=t)
    return keyed.sort("_code", "_rule", "_t", "source", "id").get_column("_row").to_numpy()


def prepare_events(events: pl.DataFrame, plan: Plan, table: RuleTable) -> Prepared:
    """Fields added; local time, segment and type and rule key per row; the processing order."""
    _check(events)
    events = _with_fields(events, table)
    local = local_time(pl.col("occurred_at"), plan.timezone)
    narrow = events.select(
        t=local.cast(pl.Int64),
        seg=_segment(local.dt.date(), table),
        type=pl.col("type").replace_strict(table.types, default=-1, return_dtype=pl.Int64),
    )
    t = narrow.get_column("t").to_numpy()
    seg = narrow.get_column("seg").to_numpy()
    type_code = narrow.get_column("type").to_numpy()
    known = (seg >= 0) & (type_code >= 0)
    key = np.full(events.height, -1, np.int64)
    key[known] = table.key_of[seg[known], type_code[known]]
    withdrawn = np.zeros(events.height, np.bool_)
    withdrawn[_voided(events)] = True
    key[withdrawn] = -1
    live = np.flatnonzero(key >= 0)
    rule = np.full(events.height, -1, np.int64)
    rule[live] = table.rule_of[key[live]]
    order, code = _order(events, live, rule[live], t[live])
    subject_code = np.full(events.height, -1, np.int64)
    subject_code[order] = code
    events = events.with_columns(pl.Series("_key", key))
    return Prepared(events, t, seg, type_code, withdrawn, key, rule, order, code, subject_code)
