"""The event frame the kernel reads, and its preparation: voids, local time, segments.

Columns: `id`, `source`, `subject`, `type` (strings), `occurred_at` (a timezone-aware
Datetime), `birth_date` (Date; null when unknown: required, so that forgetting it can never
silently strip minors of their protection), optional `act` (string), and
one column per data field the rulebook reads (numbers as Float64, text as String). Void
events carry their target's id in a `target` column.
"""

from __future__ import annotations

import polars as pl

from socialcredit.kernel.tables import RuleTable
from socialcredit.rules.plan import VOID, Plan

__all__ = ["REQUIRED", "local_time", "prepare_events"]

REQUIRED = ("id", "source", "subject", "type", "occurred_at", "birth_date")


def local_time(moment: pl.Expr, timezone: str) -> pl.Expr:
    """Aware datetimes as naive wall-clock time in the rulebook's timezone, in microseconds."""
    return moment.dt.convert_time_zone(timezone).dt.replace_time_zone(None).dt.cast_time_unit("us")


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
    index = pl.lit(-1, dtype=pl.Int32)
    for i, start in enumerate(table.starts):
        index = pl.when(day >= pl.lit(start)).then(pl.lit(i, dtype=pl.Int32)).otherwise(index)
    return index


def prepare_events(events: pl.DataFrame, plan: Plan, table: RuleTable) -> pl.DataFrame:
    """Voids applied, local time `t`, segment `seg` and event order `_order` added."""
    _check(events)
    events = _with_fields(events, table)
    voided = events.filter(pl.col("type") == VOID).select("source", id=pl.col("target"))
    kept = events.filter(pl.col("type") != VOID).join(voided, on=["source", "id"], how="anti")
    kept = kept.with_columns(t=local_time(pl.col("occurred_at"), plan.timezone))
    kept = kept.with_columns(seg=_segment(pl.col("t").dt.date(), table))
    kept = kept.sort("t", "source", "id").with_row_index("_order")
    # An integer code per subject: windows grouped by it are cheaper than by text.
    kept = kept.with_columns(_sid=pl.col("subject").cast(pl.Categorical).to_physical())
    return kept.rename({"id": "event_id"})
