"""One block of people lived through the run in time steps (calendar months).

Deterrence and redemption depend on a person's own history, so the run advances a month at a
time, vectorised across the block's people within each month: reckon everyone's score, draw
the month's events, decide their recourse, let listed defaulters perform, update propensities.
At the end the block's events become the kernel's event frame (ids prefixed by the block, so
that blocks combine into chunks), with what the kernel must not see kept beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.domain.durations import Duration
from socialcredit.rules.model import ListDef
from socialcredit.simulate.behaviour import Conduct, Drawn, EventKinds
from socialcredit.simulate.people import People
from socialcredit.simulate.reckoning import OwnScores, Reckoning
from socialcredit.simulate.recourse import Recourse, seek_recourse
from socialcredit.simulate.scenario import Scenario
from socialcredit.simulate.spells import NEVER, Spells, spells_on
from socialcredit.simulate.synthetic import (
    _CODE,
    _FINE,
    _PERFORMED,
    _VOID,
    _act_companions,
    _Frame,
    _Keys,
    _Linked,
)

__all__ = ["History", "Model", "live", "month_starts"]

Ints = npt.NDArray[np.int64]
_DAY = 86_400
_MONTH = 30.436875 * _DAY
_NO_TIME = Duration()


@dataclass(frozen=True)
class Model:
    """What every block shares: the scenario, the kinds and their reckoning, the list."""

    scenario: Scenario
    kinds: EventKinds
    reckoning: Reckoning
    listing: ListDef | None
    removable: bool  # whether performing the judgment takes a defaulter off the list

    @property
    def trigger(self) -> int:
        """The kind code that puts people on the list (-1: none simulated)."""
        if self.listing is None:
            return -1
        return next((_CODE[t] for t in self.listing.on if t in _CODE), -1)


@dataclass(frozen=True, eq=False)
class History:
    """A block's kernel event frame and, beside it, what the kernel never sees."""

    people: People
    events: pl.DataFrame
    false_rows: Ints  # the rows of `events` that false reports made
    cases: Recourse
    spells: Spells


def month_starts(start: date, days: int) -> Ints:
    """Local seconds from `start` at which each calendar-month step begins, and the end."""
    first = np.datetime64(start, "D")
    end = first + days
    months = np.arange(first.astype("datetime64[M]") + 1, end.astype("datetime64[M]") + 1)
    inner = months.astype("datetime64[D]")
    edges = np.unique(np.r_[first, inner[inner < end], end])
    return ((edges - first).astype(np.int64) * _DAY).astype(np.int64)


class _Life:
    """The growing record of one block: events so far, and what recourse did to them."""

    def __init__(self) -> None:
        nothing = np.empty(0, np.int64)
        self.drawn = Drawn(nothing, nothing, nothing, np.empty(0, np.bool_))
        self.withdrawn = self.effective = nothing
        self.cases: list[Recourse] = []

    def add(self, drawn: Drawn, withdrawn: Ints, effective: Ints) -> None:
        self.drawn = Drawn.concat([self.drawn, drawn])
        self.withdrawn = np.r_[self.withdrawn, withdrawn]
        self.effective = np.r_[self.effective, effective]


def live(model: Model, people: People, rng: np.random.Generator, block: int) -> History:
    """The block's people through every month of the run, and their kernel event frame."""
    run = model.scenario.run
    edges = month_starts(run.start, run.days)
    span = int(edges[-1])
    conduct, life = Conduct(people, model.scenario, model.kinds), _Life()
    own = OwnScores(model.reckoning, len(people), edges)
    awaiting = np.empty(0, np.int64)  # rows of true listings whose judgment is not performed
    performed: list[tuple[Ints, Ints]] = []
    for begin, end in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        score, worst = own.next_month()
        redemption = model.scenario.redemption
        redeeming = model.reckoning.near_a_bound(score, worst, redemption.margin)
        drawn = conduct.step(rng, begin, end, redeeming)
        conduct.deter(drawn)
        offset = life.drawn.at.size
        ends = _record(model, people, life, rng, drawn, span)
        own.add(offset + np.arange(drawn.at.size), drawn.subject, drawn.kind, drawn.at, ends)
        awaiting = np.r_[awaiting, offset + _new_triggers(model, people, drawn)]
        monthly = model.scenario.performance.monthly
        awaiting, done = _perform(rng, life, awaiting, (begin, end), monthly)
        own.end(*done)
        performed.append(done)
    return _history(model, people, rng, life, performed, block, span)


def _record(
    model: Model, people: People, life: _Life, rng: np.random.Generator, drawn: Drawn, span: int
) -> Ints:
    # Recourse for the month's events, recorded; returns when each stops counting, reckoned.
    adult = drawn.at >= people.adult_at[drawn.subject]
    contestable = adult & model.kinds.penalty[drawn.kind]
    trigger = adult & (drawn.kind == model.trigger)
    window = model.listing.appeal_window if model.listing else _NO_TIME
    start = model.scenario.run.start
    step = seek_recourse(rng, model.scenario, drawn, contestable, window, trigger, start, span)
    life.add(drawn, step.withdrawn, step.effective)
    life.cases.extend(step.cases)
    ends: Ints = np.minimum(drawn.at + model.reckoning.seconds[drawn.kind], step.withdrawn)
    return ends


def _new_triggers(model: Model, people: People, drawn: Drawn) -> Ints:
    adult = drawn.at >= people.adult_at[drawn.subject]
    rows: Ints = np.flatnonzero((drawn.kind == model.trigger) & adult & ~drawn.false)
    return rows


def _perform(
    rng: np.random.Generator, life: _Life, awaiting: Ints, step: tuple[int, int], monthly: float
) -> tuple[Ints, tuple[Ints, Ints]]:
    # Each awaiting defaulter performs this month with the monthly probability (scaled to the
    # month's length), at least a day after the listing's trigger; withdrawn ones drop out.
    begin, end = step
    withdrawn = life.withdrawn
    chance = rng.random(awaiting.size)
    at = life.drawn.at[awaiting]
    earliest = np.maximum(begin, at + _DAY)
    room = end - earliest
    hazard = 1 - (1 - monthly) ** ((end - begin) / _MONTH)
    performs = (room > 0) & (chance < hazard) & (withdrawn[awaiting] >= NEVER)
    when = earliest + (rng.random(awaiting.size) * np.maximum(room, 0)).astype(np.int64)
    rows = awaiting[performs]
    still = (withdrawn[awaiting] >= NEVER) & ~performs
    return awaiting[still], (rows, when[performs])


def _history(
    model: Model,
    people: People,
    rng: np.random.Generator,
    life: _Life,
    performed: list[tuple[Ints, Ints]],
    block: int,
    span: int,
) -> History:
    drawn = life.drawn
    rows = np.concatenate([p[0] for p in performed])
    when = np.concatenate([p[1] for p in performed])
    packing = _Keys.fitting(len(people), span)
    keys = packing.pack(drawn.at, drawn.kind, drawn.subject)
    ordered, events = _kernel_frame(model, people, rng, life, (rows, when), packing, span)
    events = _relabelled(events, block)
    performed_at = np.full(drawn.at.size, NEVER, np.int64)
    performed_at[rows] = when
    false_rows = np.searchsorted(ordered, keys[drawn.false])
    times = (life.effective, life.withdrawn, performed_at)
    return History(
        people=people,
        events=events,
        false_rows=false_rows,
        cases=Recourse.concat(life.cases),
        spells=_spells(model, people, drawn, times, span),
    )


def _kernel_frame(
    model: Model,
    people: People,
    rng: np.random.Generator,
    life: _Life,
    performed: tuple[Ints, Ints],
    packing: _Keys,
    span: int,
) -> tuple[Ints, pl.DataFrame]:
    # Every event as the synthetic generator packs it, with the fines' companions, the
    # performances (linked to their listings) and the voids (linked to their targets).
    drawn, withdrawn = life.drawn, life.withdrawn
    keys = packing.pack(drawn.at, drawn.kind, drawn.subject)
    companions = _act_companions(rng, packing, np.sort(keys[(drawn.kind == _FINE) & ~drawn.false]))
    rows, when = performed
    performances = _Linked.of(packing.pack(when, _PERFORMED, drawn.subject[rows]), keys[rows])
    gone = np.flatnonzero(withdrawn < span)
    voids = _Linked.of(packing.pack(withdrawn[gone], _VOID, drawn.subject[gone]), keys[gone])
    ordered = np.sort(np.concatenate([keys, companions, performances.keys, voids.keys]))
    run = model.scenario.run
    frame = _Frame(rng, packing, ordered, run.start, run.days)
    events = frame.build(people.identity(), {_PERFORMED: performances, _VOID: voids})
    return ordered, events.with_columns(people.birth_date.gather(packing.subject(ordered)))


def _relabelled(events: pl.DataFrame, block: int) -> pl.DataFrame:
    # "syn-00000001" becomes "12-00000001" in block 12: unique across a chunk's blocks.
    prefix = pl.lit(f"{block}-")
    return events.with_columns(
        id=pl.concat_str(prefix, pl.col("id").str.slice(4)),
        target=pl.concat_str(prefix, pl.col("target").str.slice(4)),
    )


def _spells(
    model: Model, people: People, drawn: Drawn, times: tuple[Ints, Ints, Ints], span: int
) -> Spells:
    if model.listing is None:
        return Spells.none()
    effective, withdrawn, performed_at = times
    adult = drawn.at >= people.adult_at[drawn.subject]
    rows = np.flatnonzero((drawn.kind == model.trigger) & adult)
    return spells_on(
        model.listing,
        (drawn.subject[rows], drawn.at[rows], drawn.false[rows]),
        effective[rows],
        withdrawn[rows],
        performed_at[rows],
        removable=model.removable,
        start=model.scenario.run.start,
        span=span,
    )
