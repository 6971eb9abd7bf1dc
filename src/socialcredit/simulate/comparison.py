"""The same subjects judged under OLD and under NEW, compared subject by subject.

Both rulebooks are taken as in force throughout (`throughout`): the composition each puts in
force from its newest effective date judges every event, so what differs is the change of
rules alone, not when either takes effect. An entry is the same under both if it exists under
both (the same subject, event, rule and kind) with the same status, applied points, direct
grade, validity and end; otherwise it differs, and its rule is one the change works through.
Everything is joins and group-bys over whole frames.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import polars as pl

from socialcredit.kernel.entries import derive_entries
from socialcredit.kernel.standing import standings
from socialcredit.rules.plan import Plan
from socialcredit.simulate.listed import LISTINGS, on_lists

__all__ = ["ENTRY_COMPARED", "ENTRY_KEY", "Comparison", "Judged", "compare", "judge", "throughout"]

# Every event is later than this: the day a rulebook taken as in force throughout starts.
_DAWN = date(1900, 1, 1)
# An entry's identity, and what must be equal for it to be the same under both rulebooks.
ENTRY_KEY = ("subject", "source", "event_id", "rule", "kind")
ENTRY_COMPARED = ("status", "applied_points", "grade", "valid_until", "ended_at")


def throughout(plan: Plan) -> Plan:
    """The plan's latest composition, in force from long before any event."""
    return Plan(plan.rulebook, plan.timezone, (replace(plan.latest, start=_DAWN),))


@dataclass(frozen=True, eq=False)
class Judged:
    """What one rulebook makes of some subjects as of one moment: entries, standings, and
    who is on which list (`subject`, `list`)."""

    entries: pl.DataFrame
    standings: pl.DataFrame
    listed: pl.DataFrame


def judge(
    events: pl.DataFrame,
    plan: Plan,
    as_of: datetime,
    subjects: pl.Series | None = None,
    entries: pl.DataFrame | None = None,
) -> Judged:
    """The kernel's entries and standings (of `subjects`, by default everyone with an event)
    and the lists, under `plan`; `entries` if derived already."""
    entries = derive_entries(events, plan) if entries is None else entries
    found = standings(events, entries, plan, as_of, subjects)
    return Judged(entries, found, on_lists(events, plan, as_of))


@dataclass(frozen=True, eq=False)
class Comparison:
    """Some subjects under OLD and NEW: per subject (`subject`, optional `group` and
    `district`, `score_old`, `score_new`, `grade_old`, `grade_new`, `rank_old`, `rank_new`,
    `listed`, `delisted`); per listing (`subject`, `list`, `old`, `new`); per subject and rule
    with differing entries (`subject`, `rule`, `entries`)."""

    subjects: pl.DataFrame
    listings: pl.DataFrame
    rules: pl.DataFrame

    @staticmethod
    def empty() -> Comparison:
        """No subjects at all."""
        text, number, flag = pl.String(), pl.Int64(), pl.Boolean()
        subjects = {"subject": text, "score_old": number, "grade_old": text, "score_new": number}
        subjects |= {"grade_new": text, "rank_old": number, "rank_new": number}
        subjects |= {"listed": flag, "delisted": flag}
        return Comparison(
            pl.DataFrame(schema=subjects),
            pl.DataFrame(schema={**LISTINGS, "old": flag, "new": flag}),
            pl.DataFrame(schema={"subject": text, "rule": text, "entries": number}),
        )


def _ranks(plan: Plan) -> dict[str, int]:
    grades = plan.latest.grades
    return {name: i for i, name in enumerate(grades.names)} if grades else {}


def compare(
    old: Judged, new: Judged, plans: tuple[Plan, Plan], people: pl.DataFrame | None = None
) -> Comparison:
    """Subject by subject, what NEW changes; `people` (`subject`, `group`, `district`) names
    every subject to count and what they are counted by."""
    both = old.standings.select("subject", score_old="score", grade_old="grade").join(
        new.standings.select("subject", score_new="score", grade_new="grade"),
        on="subject",
        how="full",
        coalesce=True,
    )
    both = both.with_columns(
        rank_old=pl.col("grade_old").replace_strict(
            _ranks(plans[0]), default=None, return_dtype=pl.Int64
        ),
        rank_new=pl.col("grade_new").replace_strict(
            _ranks(plans[1]), default=None, return_dtype=pl.Int64
        ),
    )
    listings = _listings(old.listed, new.listed)
    moved = listings.group_by("subject").agg(
        listed=(pl.col("new") & ~pl.col("old")).any(),
        delisted=(pl.col("old") & ~pl.col("new")).any(),
    )
    subjects = both if people is None else people.join(both, on="subject", how="left")
    subjects = subjects.join(moved, on="subject", how="left").with_columns(
        pl.col("listed", "delisted").fill_null(False)
    )
    return Comparison(subjects, listings, _differing(old.entries, new.entries))


def _listings(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    return (
        old.with_columns(old=pl.lit(True))
        .join(new.with_columns(new=pl.lit(True)), on=["subject", "list"], how="full", coalesce=True)
        .with_columns(pl.col("old", "new").fill_null(False))
    )


def _differing(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Per subject and rule, the entries that exist under one rulebook only or differ in
    status, applied points, direct grade, validity or end."""
    columns = [*ENTRY_KEY, *ENTRY_COMPARED]
    joined = old.select(columns).join(
        new.select(columns), on=list(ENTRY_KEY), how="full", coalesce=True, suffix="_new"
    )
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}_new")) for c in ENTRY_COMPARED)
    return (
        joined.filter(~same)
        .group_by("subject", "rule")
        .agg(entries=pl.len().cast(pl.Int64))
        .sort("subject", "rule")
    )
