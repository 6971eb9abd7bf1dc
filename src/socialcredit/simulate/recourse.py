"""Recourse: disputes of entries, appeals of listings, corrections of wrongful listings.

Each is decided when its event is drawn, for the whole step at once, and ends in a void from
the source when the record goes: a disputed entry its source cannot confirm within
`confirm_days` is removed (a false report never can be confirmed), an overturned appeal
withdraws the listing's trigger, a corrected listing is withdrawn too. The kernel then sees
the void like any other, so removal works through the production path.

Notice is taken to be served with the trigger, so the appeal window runs from the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from socialcredit.domain.durations import Duration
from socialcredit.simulate.behaviour import Drawn
from socialcredit.simulate.scenario import Scenario
from socialcredit.simulate.spells import NEVER, later

__all__ = ["Outcome", "Recourse", "Step", "Way", "seek_recourse"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_DAY = 86_400
_FIELDS = ("subject", "at", "way", "false", "outcome")


class Way(IntEnum):
    """How a subject sought recourse."""

    DISPUTE = 0
    APPEAL = 1
    CORRECTION = 2


class Outcome(IntEnum):
    """How it ended, as far as the run saw."""

    REMOVED = 0
    CONFIRMED = 1
    OVERTURNED = 2
    UPHELD = 3
    CORRECTED = 4
    PENDING = 5


@dataclass(frozen=True)
class Recourse:
    """Disputes, appeals and corrections: who (subject row), when raised, which way, whether
    the record was false, and how it ended."""

    subject: Ints
    at: Ints
    way: Ints
    false: Bools
    outcome: Ints

    @staticmethod
    def concat(parts: list[Recourse]) -> Recourse:
        """The cases of every part, one after another."""
        if not parts:
            none = np.empty(0, np.int64)
            return Recourse(none, none, none, np.empty(0, np.bool_), none)
        return Recourse(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


@dataclass(frozen=True)
class Step:
    """What recourse did to one step's events: when each is withdrawn (NEVER: not in the
    run), when each trigger's listing takes effect (NEVER: it does not), and the cases."""

    withdrawn: Ints
    effective: Ints
    cases: list[Recourse]


def _days(rng: np.random.Generator, low: int, high: int, size: int) -> Ints:
    # A whole number of days in [low, high], as seconds.
    days: Ints = rng.integers(low, high + 1, size) * _DAY
    return days


def _dispute(
    rng: np.random.Generator, scenario: Scenario, drawn: Drawn, rows: Ints, span: int
) -> tuple[Ints, Recourse]:
    d = scenario.disputes
    false = drawn.false[rows]
    chance = np.where(false, d.false, d.true)
    rows = rows[rng.random(rows.size) < chance]
    false = drawn.false[rows]
    raised = drawn.at[rows] + (rng.exponential(d.delay_days, rows.size) * _DAY).astype(np.int64)
    removed = false | (rng.random(rows.size) < d.unconfirmed)
    resolved = raised + _days(rng, 1, d.confirm_days, rows.size)
    outcome = np.where(removed, Outcome.REMOVED, Outcome.CONFIRMED)
    outcome = np.where(resolved >= span, Outcome.PENDING, outcome)
    void = np.where(removed, resolved, NEVER)
    case = Recourse(drawn.subject[rows], raised, np.full(rows.size, Way.DISPUTE), false, outcome)
    keep = raised < span
    return np.stack([rows, void]), _kept(case, keep)


def _kept(case: Recourse, keep: Bools) -> Recourse:
    return Recourse(*(getattr(case, f)[keep] for f in _FIELDS))


def seek_recourse(
    rng: np.random.Generator,
    scenario: Scenario,
    drawn: Drawn,
    contestable: Bools,
    window: Duration,
    trigger: Bools,
    start: date,
    span: int,
) -> Step:
    """Disputes of the contestable events, appeals and corrections of the list triggers."""
    withdrawn = np.full(drawn.at.size, NEVER, np.int64)
    effective = np.full(drawn.at.size, NEVER, np.int64)
    rows = np.flatnonzero(contestable & ~trigger)
    pairs, disputes = _dispute(rng, scenario, drawn, rows, span)
    withdrawn[pairs[0]] = pairs[1]
    rows = np.flatnonzero(trigger)
    voids, takes_effect, cases = _appeal(rng, scenario, drawn, rows, window, start, span)
    withdrawn[rows], effective[rows] = voids, takes_effect
    return Step(withdrawn, effective, [disputes, *cases])


def _appeal(
    rng: np.random.Generator,
    scenario: Scenario,
    drawn: Drawn,
    rows: Ints,
    window: Duration,
    start: date,
    span: int,
) -> tuple[Ints, Ints, list[Recourse]]:
    # Appeal inside the window; the listing waits for the review and takes effect unless
    # overturned. A false listing that stands may later be corrected on request.
    a, d = scenario.appeals, scenario.disputes
    at, false, subject = drawn.at[rows], drawn.false[rows], drawn.subject[rows]
    closes = later(at, window, start)
    appealed = rng.random(rows.size) < np.where(false, a.false, a.true)
    lodged = at + (rng.random(rows.size) * (closes - at)).astype(np.int64)
    decided = lodged + _days(rng, 1, a.decided_days, rows.size)
    overturned = appealed & (
        rng.random(rows.size) < np.where(false, a.overturn_false, a.overturn_true)
    )
    effective = np.where(appealed, np.maximum(closes, decided), closes)
    effective = np.where(overturned, NEVER, effective)
    void = np.where(overturned, decided, NEVER)
    outcome = np.where(overturned, Outcome.OVERTURNED, Outcome.UPHELD)
    outcome = np.where(decided >= span, Outcome.PENDING, outcome)
    appeals = Recourse(subject, lodged, np.full(rows.size, Way.APPEAL), false, outcome)
    appeals = _kept(appeals, appealed & (lodged < span))
    asks = false & ~overturned & (rng.random(rows.size) < d.false)
    asked = effective + (rng.exponential(d.delay_days, rows.size) * _DAY).astype(np.int64)
    corrected = asked + _days(rng, 1, d.confirm_days, rows.size)
    void = np.where(asks, corrected, void)
    outcome = np.where(corrected >= span, Outcome.PENDING, Outcome.CORRECTED)
    corrections = Recourse(subject, asked, np.full(rows.size, Way.CORRECTION), false, outcome)
    corrections = _kept(corrections, asks & (asked < span))
    return void, effective, [appeals, corrections]
