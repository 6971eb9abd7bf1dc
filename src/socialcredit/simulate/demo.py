"""The demo: a seeded synthetic Wendeng population, a year of events, scored and explained."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import polars as pl

from socialcredit.services.evaluate import Evaluation, evaluate_events
from socialcredit.services.rulebooks import plan_for
from socialcredit.simulate.synthetic import synthetic_events, synthetic_population

__all__ = ["DemoResult", "run_demo"]

RULEBOOK = "cn-371003-wendeng"
START = date(2024, 1, 1)
DAYS = 366
# The synthetic generator's default rates are a stress load; the demo shows a calmer city.
RATE = 0.4


@dataclass(frozen=True)
class DemoResult:
    """What the demo shows: the grade distribution and one person's explained standing."""

    people: int
    events: int
    evaluation: Evaluation
    grades: pl.DataFrame
    person: str

    def summary(self) -> dict[str, object]:
        """The result as plain data, for --json."""
        entries = self.evaluation.entries.filter(pl.col("subject") == self.person)
        standing = self.evaluation.standings.filter(pl.col("subject") == self.person)
        return {
            "rulebook": RULEBOOK,
            "people": self.people,
            "events": self.events,
            "as_of": self.evaluation.as_of.isoformat(),
            "grades": self.grades.to_dicts(),
            "person": standing.to_dicts()[0],
            "entries": entries.select(
                "event_id",
                "type",
                "applied_points",
                "grade",
                "status",
                "valid_from",
                "valid_until",
                "reason",
            ).to_dicts(),
        }


def _interesting_person(evaluation: Evaluation) -> str:
    """Someone whose year shows the rules at work: a doubled fine, a bonus, several entries."""
    per = evaluation.entries.group_by("subject").agg(
        doubled=pl.col("doubled").any(),
        bonus=(pl.col("applied_points") > 0).any(),
        n=pl.len(),
    )
    readable = (pl.col("n") >= 5) & (pl.col("n") <= 14)
    ranked = per.with_columns(readable=readable).sort(
        ["readable", "doubled", "bonus", "n", "subject"], descending=[True, True, True, True, False]
    )
    return str(ranked.get_column("subject")[0])


def run_demo(people: int = 5000, seed: int = 7) -> DemoResult:
    """Generate, score and summarise a synthetic population under the Wendeng rulebook."""
    plan = plan_for(RULEBOOK)
    population = synthetic_population(people, seed=seed, start=START)
    events = synthetic_events(population, seed=seed, start=START, days=DAYS, rate=RATE)
    as_of = datetime(2024, 12, 31, 16, 0, tzinfo=UTC)  # end of 2024 in Wendeng
    evaluation = evaluate_events(events, plan, as_of, population.people.get_column("subject"))
    grades = (
        evaluation.standings.group_by("grade")
        .agg(people=pl.len())
        .with_columns(share=(pl.col("people") / pl.col("people").sum()).round(4))
    )
    order = (
        {name: i for i, name in enumerate(plan.latest.grades.names)} if plan.latest.grades else {}
    )
    grades = grades.sort(pl.col("grade").replace_strict(order, default=99))
    return DemoResult(
        len(population), events.height, evaluation, grades, _interesting_person(evaluation)
    )
