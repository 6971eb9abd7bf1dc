"""A person's own reckoning of their score, which is what redemption responds to.

People do not rerun the kernel every month: they know roughly what each kind of record does
to them. That knowledge is taken from the kernel itself: each event kind's entry when it is a
person's first such event with typical data (its points, how long it counts, any direct
grade). The reckoned score is the baseline plus those points while they count, no better than
the worst direct grade held; the grades the simulator reports always come from the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.kernel.entries import derive_entries
from socialcredit.rules.plan import Plan
from socialcredit.simulate.synthetic import _KINDS, _NUMERIC_DATA, _VOID, EVENT_SCHEMA

__all__ = ["OwnScores", "Reckoning", "reckon"]

Ints = npt.NDArray[np.int64]
_DAY = 86_400
_FOREVER = 100 * 366 * _DAY
_TYPICAL = 1001  # draws whose median is a kind's typical datum


@dataclass(frozen=True)
class Reckoning:
    """Per event kind code: reckoned points, seconds they count, direct grade rank (-1: none),
    and the sign of the rule that scores the kind (-1 penalty, +1 good deed, 0 unscored)."""

    points: Ints
    seconds: Ints
    grade: Ints
    sign: Ints
    baseline: int
    bounds: Ints  # the grades' lower bounds, best grade first
    caps: Ints  # the top of each grade's band (the best grade: no cap)

    def near_a_bound(self, score: Ints, worst: Ints, margin: int) -> npt.NDArray[np.bool_]:
        """People within `margin` points below the next better grade, with no direct grade
        holding them down."""
        ascending = self.bounds[::-1]
        above = np.searchsorted(ascending, score, side="right")
        room = np.full(score.size, margin + 1, np.int64)
        has_next = above < ascending.size
        room[has_next] = ascending[above[has_next]] - score[has_next]
        near: npt.NDArray[np.bool_] = (room <= margin) & (worst < 0)
        return near


class OwnScores:
    """Every person's reckoned score, kept month by month as their events come and go.

    An event drawn in one month counts from the next month's start until the first month
    start at or after it stops: its points are added to and taken from a people-by-months
    grid of changes once each, so a month costs its own events, not everyone's history.
    Direct grades are few and kept as a list.
    """

    def __init__(self, reckoning: Reckoning, people: int, starts: Ints) -> None:
        self.reckoning, self.starts = reckoning, starts
        self.changes = np.zeros((starts.size + 1, people), np.int64)
        self.points = np.zeros(people, np.int64)
        self.month = 0
        nothing = np.empty(0, np.int64)
        self.graded = {"row": nothing, "subject": nothing, "rank": nothing, "end": nothing}

    def add(self, rows: Ints, subject: Ints, kind: Ints, at: Ints, ends: Ints) -> None:
        """Events just drawn (`rows`: their numbers in the block's record, ascending)."""
        points = self.reckoning.points[kind]
        scored = points != 0
        begins = np.searchsorted(self.starts, at[scored], "right")
        stops = np.searchsorted(self.starts, ends[scored], "left")
        np.add.at(self.changes, (begins, subject[scored]), points[scored])
        np.add.at(self.changes, (stops, subject[scored]), -points[scored])
        graded = self.reckoning.grade[kind] >= 0
        found = {"row": rows, "subject": subject, "rank": self.reckoning.grade[kind], "end": ends}
        self.graded = {k: np.r_[self.graded[k], v[graded]] for k, v in found.items()}

    def end(self, rows: Ints, when: Ints) -> None:
        """Direct grades ended early (a repaired listing), by record number."""
        at = np.searchsorted(self.graded["row"], rows)
        hit = at < self.graded["row"].size
        hit[hit] = self.graded["row"][at[hit]] == rows[hit]
        ends = self.graded["end"]
        ends[at[hit]] = np.minimum(ends[at[hit]], when[hit])

    def next_month(self) -> tuple[Ints, Ints]:
        """Each person's reckoned score and worst direct grade rank (-1: none) at the start
        of the next month."""
        self.points += self.changes[self.month]
        moment = self.starts[self.month]
        self.month += 1
        counts = self.graded["end"] > moment
        worst = np.full(self.points.size, -1, np.int64)
        np.maximum.at(worst, self.graded["subject"][counts], self.graded["rank"][counts])
        score = self.reckoning.baseline + self.points
        capped = worst >= 0
        score[capped] = np.minimum(score[capped], self.reckoning.caps[worst[capped]])
        return score, worst


def _probe(start: date) -> pl.DataFrame:
    # One adult per event kind, each with one event of that kind and a typical datum.
    codes = [code for code in range(len(_KINDS)) if code != _VOID]
    at = datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=1)
    rows: dict[str, list[object]] = {name: [] for name in EVENT_SCHEMA.names()}
    for code in codes:
        data: dict[str, object] = dict.fromkeys(EVENT_SCHEMA.names()[6:])
        if code in _NUMERIC_DATA:
            column, draw = _NUMERIC_DATA[code]
            data[column] = float(np.median(draw(np.random.default_rng(0), _TYPICAL)))
        data["level"], data["case_no"] = "county", "probe"
        fixed: dict[str, object] = {"id": f"probe-{code}", "source": _KINDS[code].source or "probe"}
        fixed |= {"subject": str(code), "type": _KINDS[code].type, "occurred_at": at}
        for name in rows:
            rows[name].append(fixed.get(name, data.get(name)))
    frame = pl.DataFrame(rows, schema=EVENT_SCHEMA)
    return frame.with_columns(birth_date=pl.lit(date(1970, 1, 1)))


def reckon(plan: Plan, start: date) -> Reckoning:
    """What each event kind does to a person under `plan`, as the kernel scores it."""
    size = len(_KINDS)
    points, seconds = np.zeros(size, np.int64), np.zeros(size, np.int64)
    grade, sign = np.full(size, -1, np.int64), np.zeros(size, np.int64)
    segment = plan.segment_at(start) or plan.latest
    assert segment.grades is not None
    assert segment.scale is not None
    names = segment.grades.names
    for code, kind in enumerate(_KINDS):
        rule = segment.rule_for(kind.type)
        sign[code] = rule.sign if rule is not None else 0
    entries = derive_entries(_probe(start), plan).filter(pl.col("kind") != "repair")
    for row in entries.iter_rows(named=True):
        code = int(row["subject"])
        points[code] = row["applied_points"]
        until = row["valid_until"]
        seconds[code] = _FOREVER if until is None else (until - row["valid_from"]).total_seconds()
        if row["grade"] is not None:
            grade[code] = names.index(row["grade"])
    bounds = np.array([lower for _, lower in segment.grades.bands], np.int64)
    caps = np.array([np.iinfo(np.int64).max, *(bounds[:-1] - 1)], np.int64)
    return Reckoning(points, seconds, grade, sign, segment.scale.baseline, bounds, caps)
