"""Simulated people: what the kernel may see of them, and what only the simulator sees.

The kernel's event frame is built from `People.identity()` alone: a subject label and a birth
date. District, income band, propensities and the audit group stay here; the group is drawn
from a random stream of its own, so relabelling groups changes nothing any rule could see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.simulate.scenario import BEHAVIOURS, Scenario
from socialcredit.simulate.synthetic import Population, _adult_at, _birth_days

__all__ = ["People", "draw_people"]

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class People:
    """One block of people, numbered from `first` across the whole run."""

    first: int
    birth_date: pl.Series
    adult_at: Ints  # local seconds from the run's start to the 18th birthday
    district: Ints
    income: Ints
    group: Ints
    propensity: dict[str, Floats]

    def __len__(self) -> int:
        return self.adult_at.size

    def identity(self) -> Population:
        """Subject labels and birth dates: everything about a person the kernel may read."""
        index = pl.int_range(self.first, self.first + len(self), eager=True)
        subject = index.cast(pl.String).alias("subject")
        return Population(pl.DataFrame([subject, self.birth_date]))


def _choice(rng: np.random.Generator, shares: dict[str, float], size: int) -> Ints:
    weights = np.array(list(shares.values()), dtype=np.float64)
    chosen: Ints = rng.choice(weights.size, size, p=weights / weights.sum()).astype(np.int64)
    return chosen


def _by_group(rng: np.random.Generator, scenario: Scenario, group: Ints, key: str) -> Ints:
    # Each person's district or income band, from their group's shares where it states them.
    mix = scenario.population
    everyone: dict[str, float] = getattr(mix, key)
    drawn = _choice(rng, everyone, group.size)
    for code, name in enumerate(mix.groups):
        own = getattr(mix.by_group[name], key) if name in mix.by_group else {}
        if own:
            members = np.flatnonzero(group == code)
            shares = {k: own.get(k, 0.0) for k in everyone}
            drawn[members] = _choice(rng, shares, members.size)
    return drawn


def _propensities(rng: np.random.Generator, scenario: Scenario, income: Ints) -> dict[str, Floats]:
    bands = list(scenario.population.income_bands)
    found = {}
    for name in BEHAVIOURS:
        stated = scenario.propensity(name)
        s = stated.sigma
        factor = np.array([stated.income.get(band, 1.0) for band in bands])
        found[name] = rng.lognormal(-(s**2) / 2, s, income.size) * factor[income]
    return found


def draw_people(
    scenario: Scenario, seeds: tuple[np.random.Generator, np.random.Generator], first: int, n: int
) -> People:
    """`n` people numbered from `first`: ages as the synthetic population has them, the rest
    from the scenario's shares. The second generator is the audit group's alone."""
    rng, audit = seeds
    start: date = scenario.run.start
    born = _birth_days(rng, n, start)
    birth_date = pl.Series("birth_date", born.astype("datetime64[D]")).cast(pl.Date)
    group = _choice(audit, scenario.population.groups, n)
    district = _by_group(rng, scenario, group, "districts")
    income = _by_group(rng, scenario, group, "income_bands")
    return People(
        first=first,
        birth_date=birth_date,
        adult_at=_adult_at(birth_date, start),
        district=district,
        income=income,
        group=group,
        propensity=_propensities(rng, scenario, income),
    )
