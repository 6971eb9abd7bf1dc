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

from socialcredit.rules.plan import Plan

__all__ = ["grades_by_month", "month_ends"]

Ints = npt.NDArray[np.int64]


def month_ends(starts: Ints, first: datetime) -> list[datetime]:
    """The last local microsecond of each step, from the steps' starts in seconds (and the
    run's end) counted from the local midnight `first`."""
    return [first + timedelta(seconds=int(s)) - timedelta(microseconds=1) for s in starts[1:]]


def _micros(ends: list[datetime]) -> Ints:
    return np.array([np.datetime64(e, "us").astype(np.int64) for e in ends], np.int64)


def _windows(counted: pl.DataFrame, at: Ints) -> tuple[Ints, Ints]:
    # Per entry, the first month end at which it counts and the first at which it no longer does.
    begin = counted.get_column("begin").to_numpy()
    stop = counted.get_column("stop").to_numpy()
    return np.searchsorted(at, begin, "left"), np.searchsorted(at, stop, "left")


def grades_by_month(counted: pl.DataFrame, plan: Plan, people: int, ends: list[datetime]) -> Ints:
    """Grade rank (0: best) at each month end (rows) of each of `people` (columns), from the
    applied entries (`simulate.coded`: `person` 0 to people - 1, `points`, `rank`, `begin`,
    `stop`)."""
    months = len(ends)
    rows = counted.get_column("person").to_numpy()
    begin, stop = _windows(counted, _micros(ends))
    points = counted.get_column("points").to_numpy().astype(np.float64)
    width = months + 1
    added = np.bincount(begin * people + rows, points, people * width)
    added -= np.bincount(np.minimum(stop, months) * people + rows, points, people * width)
    total = np.cumsum(added.reshape(width, people)[:months], axis=0).round().astype(np.int64)
    rank = counted.get_column("rank").to_numpy()
    worst = _worst_direct(rank, rows, (begin, stop), (months, people))
    return _graded(plan, total, worst, ends)


def _worst_direct(
    rank: Ints, rows: Ints, window: tuple[Ints, Ints], shape: tuple[int, int]
) -> Ints:
    direct = rank >= 0
    worst = np.full(shape, -1, np.int64)
    begin, stop = window[0][direct], window[1][direct]
    ranks, who = rank[direct], rows[direct]
    for month in range(shape[0]):
        counts = (begin <= month) & (stop > month)
        np.maximum.at(worst[month], who[counts], ranks[counts])
    return worst


def _graded(plan: Plan, total: Ints, worst: Ints, ends: list[datetime]) -> Ints:
    grades = np.empty_like(total)
    for month, end in enumerate(ends):
        segment = plan.segment_at(end.date()) or plan.latest
        assert segment.scale is not None
        assert segment.grades is not None
        bounds = np.array([lower for _, lower in segment.grades.bands], np.int64)
        caps = np.r_[np.iinfo(np.int64).max, bounds[:-1] - 1]
        score = segment.scale.baseline + total[month]
        held = worst[month]
        score = np.where(held >= 0, np.minimum(score, caps[np.maximum(held, 0)]), score)
        if segment.scale.ceiling is not None:
            score = np.minimum(score, segment.scale.ceiling)
        if segment.scale.floor is not None:
            score = np.maximum(score, segment.scale.floor)
        band = np.zeros(score.size, np.int64)
        for lower in bounds[:-1]:
            band += score < lower
        grades[month] = np.maximum(band, held)
    return grades
