"""The impact of a rulebook change: one population's events judged by the production kernel
under OLD and under NEW (`simulate.comparison`), counted: grade transitions, listings, the
breakdowns by audit group and district, and the rules responsible.

A synthetic population (`simulated_impact`) is lived through the run once by the simulator,
behaving as it would under OLD (deterrence and redemption reckon with OLD), and each chunk's
events go through `derive_entries` and `standings` under both. Stored events are derived by
the services as every cache is (`stored_impact` takes what they derived). Python loops run
over chunks only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.rules.plan import Plan
from socialcredit.services.derive import Derived
from socialcredit.simulate.comparison import Comparison, Judged, compare, judge, throughout
from socialcredit.simulate.history import History
from socialcredit.simulate.listed import on_lists
from socialcredit.simulate.run import _chunks, model_for, simulate_chunk
from socialcredit.simulate.scenario import Scenario

__all__ = ["Impact", "run_end", "simulated_impact", "stored_impact"]

_UNJUDGED = (
    "a grade of null (none) is no standing: no event the rulebook considers, or unscored "
    "(opt-in, no consent)"
)


_CHANGED = ~pl.col("grade_old").eq_missing(pl.col("grade_new"))
_WORSE = (pl.col("rank_new") > pl.col("rank_old")).fill_null(False)
_BETTER = (pl.col("rank_new") < pl.col("rank_old")).fill_null(False)


def _tallies() -> list[pl.Expr]:
    return [
        pl.len().cast(pl.Int64).alias("people"),
        _CHANGED.sum().cast(pl.Int64).alias("grade_changed"),
        _WORSE.sum().cast(pl.Int64).alias("worse"),
        _BETTER.sum().cast(pl.Int64).alias("better"),
        pl.col("listed").sum().cast(pl.Int64).alias("listed"),
        pl.col("delisted").sum().cast(pl.Int64).alias("delisted"),
    ]


@dataclass(frozen=True, eq=False)
class Impact:
    """What NEW changes against OLD over one population, counted.

    `transitions`: (`old`, `new`, `subjects`), every pair of grades that occurs (null: no
    standing, or unscored). `lists`: (`list`, `on_old`, `on_new`, `listed`, `delisted`).
    `by_group`, `by_district`: (`group` or `district`, `people`, `grade_changed`, `worse`,
    `better`, `listed`, `delisted`), None where the population has no such labels. `rules`:
    (`rule`, `grade_changed`, `subjects`, `entries`): of the subjects whose grade changed, how
    many have a differing entry of the rule; how many subjects have one at all; how many
    entries differ."""

    source: str
    as_of: datetime
    grades: tuple[tuple[str, ...], tuple[str, ...]]
    totals: dict[str, int]
    transitions: pl.DataFrame
    lists: pl.DataFrame
    rules: pl.DataFrame
    by_group: pl.DataFrame | None
    by_district: pl.DataFrame | None
    details: dict[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @staticmethod
    def of(
        parts: Sequence[Comparison],
        plans: tuple[Plan, Plan],
        *,
        source: str,
        as_of: datetime,
        details: dict[str, object] | None = None,
        notes: tuple[str, ...] = (),
    ) -> Impact:
        """The counts over every part (parts hold distinct subjects)."""
        parts = [Comparison.empty(), *parts]
        subjects = pl.concat([p.subjects for p in parts], how="diagonal_relaxed")
        listings = pl.concat([p.listings for p in parts], how="vertical_relaxed")
        rules = pl.concat([p.rules for p in parts], how="vertical_relaxed")
        changed_score = ~pl.col("score_old").eq_missing(pl.col("score_new"))
        totals = subjects.select(
            *_tallies(), score_changed=changed_score.sum().cast(pl.Int64)
        ).rename({"people": "subjects"})
        transitions = _transitions(subjects)
        unjudged = transitions.filter(pl.col("old").is_null() | pl.col("new").is_null())
        if not unjudged.is_empty():
            notes = (*notes, _UNJUDGED)
        return Impact(
            totals={k: int(v) for k, v in totals.row(0, named=True).items()},
            grades=(_names(plans[0]), _names(plans[1])),
            transitions=transitions,
            lists=_list_counts(listings, plans),
            rules=_responsible(rules, subjects),
            by_group=_by(subjects, "group"),
            by_district=_by(subjects, "district"),
            source=source,
            as_of=as_of,
            details=details or {},
            notes=notes,
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        frames = {
            "transitions": self.transitions,
            "lists": self.lists,
            "by_group": self.by_group,
            "by_district": self.by_district,
            "rules": self.rules,
        }
        return {
            "source": self.source,
            "as_of": self.as_of.isoformat(),
            **self.details,
            **self.totals,
            "grades": {"old": list(self.grades[0]), "new": list(self.grades[1])},
            **{k: None if f is None else f.to_dicts() for k, f in frames.items()},
            "notes": list(self.notes),
        }


def _names(plan: Plan) -> tuple[str, ...]:
    grades = plan.latest.grades
    return grades.names if grades else ()


def _transitions(subjects: pl.DataFrame) -> pl.DataFrame:
    return (
        subjects.group_by("grade_old", "grade_new", "rank_old", "rank_new")
        .agg(subjects=pl.len().cast(pl.Int64))
        .sort("rank_old", "rank_new", "grade_old", "grade_new", nulls_last=True)
        .select(old="grade_old", new="grade_new", subjects="subjects")
    )


def _list_counts(listings: pl.DataFrame, plans: tuple[Plan, Plan]) -> pl.DataFrame:
    """Per list of either rulebook (none on it: zeros), who is on it under each and who moves."""
    names = sorted({item.id for plan in plans for item in plan.latest.lists})
    counts = listings.group_by("list").agg(
        on_old=pl.col("old").sum().cast(pl.Int64),
        on_new=pl.col("new").sum().cast(pl.Int64),
        listed=(pl.col("new") & ~pl.col("old")).sum().cast(pl.Int64),
        delisted=(pl.col("old") & ~pl.col("new")).sum().cast(pl.Int64),
    )
    every = pl.DataFrame({"list": names}, schema={"list": pl.String()})
    return every.join(counts, on="list", how="left").fill_null(0)


def _responsible(rules: pl.DataFrame, subjects: pl.DataFrame) -> pl.DataFrame:
    changed = subjects.select("subject", _changed=_CHANGED)
    return (
        rules.join(changed, on="subject", how="left")
        .group_by("rule")
        .agg(
            grade_changed=pl.col("_changed").fill_null(False).sum().cast(pl.Int64),
            subjects=pl.len().cast(pl.Int64),
            entries=pl.col("entries").sum().cast(pl.Int64),
        )
        .sort(["grade_changed", "subjects", "rule"], descending=[True, True, False])
    )


def _by(subjects: pl.DataFrame, column: str) -> pl.DataFrame | None:
    if column not in subjects.columns:
        return None
    return subjects.group_by(column).agg(*_tallies()).sort(column)


def _scored(plan: Plan, role: str) -> Plan:
    if plan.latest.scale is None or plan.latest.grades is None:
        raise SocialCreditError(f"{role} ({plan.rulebook}) has no scale and grades to score with")
    return throughout(plan)


def run_end(scenario: Scenario, timezone: str) -> datetime:
    """The last moment of a run, in the rulebook's timezone."""
    end = scenario.run.start + timedelta(days=scenario.run.days)
    return datetime.combine(end, time(), ZoneInfo(timezone)) - timedelta(microseconds=1)


def simulated_impact(
    scenario: Scenario, old: Plan, new: Plan, progress: Callable[[int], None] | None = None
) -> Impact:
    """One synthetic population, lived once as under OLD, judged under OLD and NEW as of the
    end of the run; `progress` is called with the number of people done after each chunk."""
    plans = (_scored(old, "OLD"), _scored(new, "NEW"))
    model = model_for(scenario, plans[0])
    as_of = run_end(scenario, old.timezone)
    parts = []
    for blocks in _chunks(scenario):
        chunk = simulate_chunk(model, plans[0], blocks)
        people = _people(chunk.histories, scenario)
        everyone = people.get_column("subject")
        under_old = judge(chunk.events, plans[0], as_of, everyone, chunk.entries)
        under_new = judge(chunk.events, plans[1], as_of, everyone)
        parts.append(compare(under_old, under_new, plans, people))
        if progress:
            progress(chunk.size)
    run = scenario.run
    details = {"people": run.population, "start": run.start.isoformat(), "days": run.days}
    return Impact.of(
        parts,
        plans,
        source="simulation",
        as_of=as_of,
        details={**details, "seed": run.seed, "rate": run.rate},
    )


def _people(histories: Iterable[History], scenario: Scenario) -> pl.DataFrame:
    """Each person's subject label, audit group and district."""
    mix = scenario.population
    groups, districts = pl.Series(list(mix.groups)), pl.Series(list(mix.districts))
    frames = []
    for history in histories:
        people = history.people
        frames.append(
            pl.DataFrame(
                {
                    "subject": people.identity().people.get_column("subject"),
                    "group": groups.gather(people.group),
                    "district": districts.gather(people.district),
                }
            )
        )
    return pl.concat(frames)


def stored_impact(
    derived: Iterable[Sequence[Derived]], old: Plan, new: Plan, as_of: datetime
) -> Impact:
    """The impact on stored subjects, from what the services derived under `throughout(old)`
    and `throughout(new)`, a chunk of subjects at a time."""
    plans = (_scored(old, "OLD"), _scored(new, "NEW"))
    parts = []
    for under_old, under_new in derived:
        judged = [
            Judged(d.entries, d.standings, on_lists(d.events, plan, as_of))
            for d, plan in zip((under_old, under_new), plans, strict=True)
        ]
        parts.append(compare(judged[0], judged[1], plans))
    notes = ("the store holds no audit groups or districts: no breakdown by group or district",)
    return Impact.of(parts, plans, source="store", as_of=as_of, notes=notes)
