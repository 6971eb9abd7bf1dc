"""Who is on each list at a moment, followed from the events alone as the simulator follows
a list (`simulate.spells`): a trigger about an adult takes effect when its appeal window closes
and lasts the list's period, unless a removal event of the same case (or of no stated case)
comes first, after which the subject leaves within the list's `removal_within`. A voided event
does nothing. Appeals, reviews and extensions are not replayed.

The events are a kernel event frame (`kernel.frames`); birth dates come from its `birth_date`
column or, where there is none, from resident ID numbers, as the kernel takes them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from socialcredit.domain.identifiers import ADULT_AGE
from socialcredit.kernel.frames import local_time
from socialcredit.kernel.identity import adult_from, resident_birth_date
from socialcredit.rules.model import ListDef
from socialcredit.rules.plan import VOID, Plan
from socialcredit.simulate.spells import NEVER, Ending, later, spells_on

__all__ = ["LISTINGS", "on_lists"]

LISTINGS = pl.Schema({"subject": pl.String(), "list": pl.String()})


def on_lists(events: pl.DataFrame, plan: Plan, as_of: datetime) -> pl.DataFrame:
    """Who is on each list of the plan's latest composition at `as_of` (see the module):
    `subject`, `list`."""
    lists = plan.latest.lists
    if not lists or events.is_empty():
        return pl.DataFrame(schema=LISTINGS)
    at = as_of.astimezone(ZoneInfo(plan.timezone)).replace(tzinfo=None)
    if "case_no" in events.columns:
        case = pl.col("case_no").cast(pl.String)
    else:
        case = pl.lit(None, dtype=pl.String)
    moment = local_time(pl.col("occurred_at"), plan.timezone)
    local = events.select(
        "source", "id", "subject", "type", _t=moment, _case=case, _adult=_adult(events, moment)
    )
    live = local.join(_voided(events), on=["source", "id"], how="anti")
    first = live.get_column("_t").min()
    origin = min(first.date() if isinstance(first, datetime) else at.date(), at.date())
    parts = [_listed(live, item, origin, at) for item in lists]
    return pl.concat(parts).unique().sort("list", "subject")


def _adult(events: pl.DataFrame, moment: pl.Expr) -> pl.Expr:
    """Whether the subject is 18 on the local date of the event (taken as yes where the
    birth date is unknown, as the kernel takes it)."""
    if "birth_date" in events.columns:
        birth = pl.col("birth_date")
    else:
        birth = resident_birth_date(pl.col("subject"))
    return birth.is_null() | (moment.dt.date() >= adult_from(birth, ADULT_AGE))


def _voided(events: pl.DataFrame) -> pl.DataFrame:
    if "target" not in events.columns:
        return pl.DataFrame(schema={"source": pl.String(), "id": pl.String()})
    voids = events.filter(pl.col("type") == VOID)
    return voids.select("source", id=pl.col("target")).unique()


def _seconds(moment: pl.Expr, origin: date) -> pl.Expr:
    midnight = datetime.combine(origin, time())
    return (moment - pl.lit(midnight)).dt.total_seconds()


def _listed(live: pl.DataFrame, item: ListDef, origin: date, at: datetime) -> pl.DataFrame:
    """Who is on one list at `at`: the simulator's spells (`spells_on`) of its triggers."""
    triggers = live.filter(pl.col("type").is_in(item.on) & pl.col("_adult")).with_row_index("_row")
    removals = live.filter(pl.col("type").is_in(item.removal_on)).select(
        "subject", _removed="_t", _removal_case="_case"
    )
    same_case = (
        pl.col("_case").is_null()
        | pl.col("_removal_case").is_null()
        | (pl.col("_case") == pl.col("_removal_case"))
    )
    performed = (
        triggers.join(removals, on="subject")
        .filter(same_case & (pl.col("_removed") >= pl.col("_t")))
        .group_by("_row")
        .agg(pl.col("_removed").min())
    )
    timed = triggers.join(performed, on="_row", how="left").sort("_row")
    seconds = timed.select(
        _at=_seconds(pl.col("_t"), origin),
        _done=_seconds(pl.col("_removed"), origin).fill_null(NEVER),
    )
    moments = seconds.get_column("_at").to_numpy().astype(np.int64)
    done = seconds.get_column("_done").to_numpy().astype(np.int64)
    rows = np.arange(timed.height, dtype=np.int64)
    spells = spells_on(
        item,
        (rows, moments, np.zeros(rows.size, np.bool_)),
        later(moments, item.appeal_window, origin),
        np.full(rows.size, NEVER, np.int64),
        done,
        removable=bool(item.removal_on),
        start=origin,
        span=int((at - datetime.combine(origin, time())).total_seconds()) + 1,
    )
    ongoing = spells.subject[spells.ending == Ending.ONGOING]
    subjects = timed.get_column("subject").gather(ongoing)
    return subjects.to_frame("subject").with_columns(list=pl.lit(item.id)).cast(LISTINGS)
