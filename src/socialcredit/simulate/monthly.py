"""Everyone's grade at the end of every month, from the kernel's entries, in one pass.

`kernel.standing.standings` answers for one moment; calling it once a month over millions of
people would cost more than deriving the entries. This is the same rule (baseline plus the
points of the entries that count, no better than the worst direct grade, floor and ceiling,
then the bands) over a people-by-months grid: each entry adds its points from the first month
end it counts at to the first it no longer does, and a running sum across months does the
rest. A test holds it equal to `standings` at every month end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.kernel.compiled import compiled
from socialcredit.rules.plan import Plan

__all__ = ["grades_by_month", "month_ends"]

Ints = npt.NDArray[np.int64]
Ranks = npt.NDArray[np.int8]


def month_ends(starts: Ints, first: datetime) -> list[datetime]:
    """The last local microsecond of each step, from the steps' starts in seconds (and the
    run's end) counted from the local midnight `first`."""
    return [first + timedelta(seconds=int(s)) - timedelta(microseconds=1) for s in starts[1:]]


def _micros(ends: list[datetime]) -> Ints:
    return np.array([np.datetime64(e, "us").astype(np.int64) for e in ends], np.int64)


def grades_by_month(counted: pl.DataFrame, plan: Plan, people: int, ends: list[datetime]) -> Ranks:
    """Grade rank (0: best) at each month end (rows) of each of `people` (columns), from the
    applied entries (`simulate.coded`: `person` 0 to people - 1, `points`, `rank`, `begin`,
    `stop`)."""
    scale = _Scales.of(plan, ends)
    column = counted.get_column
    return _ranks(
        column("person").to_numpy(),
        column("points").to_numpy(),
        column("rank").to_numpy(),
        (column("begin").to_numpy(), column("stop").to_numpy(), _micros(ends)),
        people,
        (scale.baseline, scale.ceiling, scale.floor, scale.bounds),
    )


class _Scales:
    """Per month end: the scale's baseline, ceiling and floor (none: the widest numbers) and
    the lower bounds of the grades but the last, padded with the lowest number."""

    def __init__(self, rows: list[tuple[int, int, int, list[int]]]) -> None:
        widest = max(len(r[3]) for r in rows)
        low = np.iinfo(np.int64).min
        self.baseline = np.array([r[0] for r in rows], np.int64)
        self.ceiling = np.array([r[1] for r in rows], np.int64)
        self.floor = np.array([r[2] for r in rows], np.int64)
        self.bounds = np.array([r[3] + [low] * (widest - len(r[3])) for r in rows], np.int64)

    @staticmethod
    def of(plan: Plan, ends: list[datetime]) -> _Scales:
        rows = []
        for end in ends:
            segment = plan.segment_at(end.date()) or plan.latest
            assert segment.scale is not None
            assert segment.grades is not None
            scale = segment.scale
            ceiling = scale.ceiling if scale.ceiling is not None else np.iinfo(np.int64).max
            floor = scale.floor if scale.floor is not None else np.iinfo(np.int64).min
            lowers = [lower for _, lower in segment.grades.bands][:-1]
            rows.append((scale.baseline, ceiling, floor, lowers))
        return _Scales(rows)


@compiled
def _ranks(
    person: Ints,
    points: Ints,
    rank: Ints,
    window: tuple[Ints, Ints, Ints],
    people: int,
    scale: tuple[Ints, Ints, Ints, Ints],
) -> Ranks:
    # Each entry adds its points at the first month end it counts at and takes them off at
    # the first it no longer does; a running sum per person gives the points at each month
    # end. Direct grades are few: each marks its months. One small grid per month, no more.
    begin, stop, at = window
    baseline, ceiling, floor, bounds = scale
    months = at.shape[0]
    delta = np.zeros((months + 1, people), np.int64)
    worst = np.full((months, people), -1, np.int8)
    for i in range(person.shape[0]):
        first = np.searchsorted(at, begin[i])
        last = min(np.searchsorted(at, stop[i]), months)
        if first >= last:
            continue
        delta[first, person[i]] += points[i]
        delta[last, person[i]] -= points[i]
        if rank[i] >= 0:
            for m in range(first, last):
                worst[m, person[i]] = max(worst[m, person[i]], rank[i])
    grades = np.empty((months, people), np.int8)
    running = np.zeros(people, np.int64)
    for m in range(months):
        for p in range(people):
            running[p] += delta[m, p]
            score = baseline[m] + running[p]
            held = worst[m, p]
            if held > 0:  # no better than the direct grade: below the next grade's bound
                score = min(score, bounds[m, held - 1] - 1)
            score = max(min(score, ceiling[m]), floor[m])
            band = 0
            for lower in bounds[m]:
                band += score < lower
            grades[m, p] = max(band, held)
    return grades
