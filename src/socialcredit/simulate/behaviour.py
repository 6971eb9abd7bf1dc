"""Behaviour: how many events of each kind people cause in one time step, and how their
records change that (deterrence after penalties, redemption near a grade bound).

Event-sparse: for each behaviour the step's total is one Poisson draw over everyone's
intensity, and its events are placed on people in proportion to their intensity (a binary
search in the cumulative sum), which is the same as one Poisson count per person. A month
costs its events and a few whole-array operations, never a loop over people or days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from socialcredit.simulate.people import People
from socialcredit.simulate.reckoning import Reckoning
from socialcredit.simulate.scenario import BEHAVIOURS, Scenario, behaviour_of
from socialcredit.simulate.synthetic import _CALIBRATION, _KINDS

__all__ = ["Conduct", "Drawn", "EventKinds"]

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
_YEAR = 365.25 * 86_400


@dataclass(frozen=True)
class EventKinds:
    """The kinds each behaviour produces and their yearly rates per adult, and which
    behaviours are misconduct (every kind a penalty) or good deeds (every kind a bonus)."""

    codes: tuple[Ints, ...]  # per behaviour, the kind codes it draws
    rates: tuple[Floats, ...]  # per behaviour, each kind's yearly rate
    minor: Floats  # per kind code, the rate factor while the person is a minor
    behaviour: Ints  # per kind code, the behaviour that draws it (-1: none)
    penalty: Bools  # per kind code
    negative: Bools  # per behaviour
    positive: Bools  # per behaviour

    @staticmethod
    def of(scenario: Scenario, reckoning: Reckoning) -> EventKinds:
        """The synthetic generator's kinds and rates, times the scenario's `rate`."""
        codes, rates = [], []
        for name in BEHAVIOURS:
            mine = [
                c
                for c, k in enumerate(_KINDS)
                if k.rate > 0 and behaviour_of(k.type, k.propensity) == name
            ]
            codes.append(np.array(mine, np.int64))
            yearly = [_KINDS[c].rate * _CALIBRATION * scenario.run.rate for c in mine]
            rates.append(np.array(yearly))
        minor = np.array([k.minor_factor for k in _KINDS])
        behaviour = np.full(len(_KINDS), -1, np.int64)
        for b, drawn in enumerate(codes):
            behaviour[drawn] = b
        signs = [reckoning.sign[c] for c in codes]
        return EventKinds(
            codes=tuple(codes),
            rates=tuple(rates),
            minor=minor,
            behaviour=behaviour,
            penalty=reckoning.sign < 0,
            negative=np.array([bool(s.size) and bool((s < 0).all()) for s in signs]),
            positive=np.array([bool(s.size) and bool((s > 0).all()) for s in signs]),
        )


@dataclass(frozen=True)
class Drawn:
    """One step's events: subject row, kind code, local second from the run's start, and
    whether the report is false (about someone who did nothing)."""

    subject: Ints
    kind: Ints
    at: Ints
    false: Bools

    @staticmethod
    def concat(parts: list[Drawn]) -> Drawn:
        """The parts one after another."""
        return Drawn(*(np.concatenate([getattr(p, f) for p in parts]) for f in Drawn.fields()))

    @staticmethod
    def fields() -> tuple[str, ...]:
        """The array fields, in order."""
        return ("subject", "kind", "at", "false")


@dataclass(frozen=True)
class _Ceiling:
    """A behaviour's highest possible intensity per person, summed cumulatively once per
    block, and the kinds it draws with their yearly rates."""

    cumulative: Floats
    codes: Ints
    rates: Floats

    def candidates(self, rng: np.random.Generator, years: float) -> tuple[Ints, Ints]:
        """Poisson events at the ceiling intensity: the person of each, and its kind."""
        total = float(self.rates.sum()) * years * float(self.cumulative[-1])
        count = int(rng.poisson(total)) if total > 0 else 0
        # Sorted draws make the binary search walk the array once, in order.
        drawn = np.sort(rng.random(count)) * self.cumulative[-1]
        found = np.searchsorted(self.cumulative, drawn, "right")
        subject: Ints = np.minimum(found, self.cumulative.size - 1).astype(np.int64)
        if not count:
            return subject, self.codes[:0]
        shares = self.rates / self.rates.sum()
        return subject, self.codes[rng.choice(self.codes.size, count, p=shares)]


class Conduct:
    """The people of one block and what moves their propensities from step to step.

    Intensities only ever fall below a ceiling fixed for the run (deterrence lowers them,
    redemption's boost is part of the ceiling), so each month draws events at the ceiling and
    keeps each with the probability its person's current intensity bears to the ceiling: the
    thinning of a Poisson process, exact, and the cumulative sums are made once per block.
    """

    def __init__(self, people: People, scenario: Scenario, kinds: EventKinds) -> None:
        self.people, self.scenario, self.kinds = people, scenario, kinds
        mix = scenario.population
        policing = np.array([mix.enforcement.get(d, 1.0) for d in mix.districts])
        self.reported = policing[people.district]
        self.deterred = np.ones((len(BEHAVIOURS), len(people)))
        self.boost = max(scenario.redemption.factor, 1.0)
        self.ceilings = [self._ceiling(b, name) for b, name in enumerate(BEHAVIOURS)]
        self.false = self._false_ceiling()

    def _ceiling(self, b: int, name: str) -> _Ceiling:
        weights = self.people.propensity[name]
        if self.kinds.negative[b]:
            weights = weights * self.reported
        elif self.kinds.positive[b]:
            weights = weights * self.boost
        return _Ceiling(np.cumsum(weights), self.kinds.codes[b], self.kinds.rates[b])

    def _false_ceiling(self) -> _Ceiling:
        # False reports of each penalty kind: rate f / (1 - f) of the true ones, so that a
        # share f of all reports are false; they fall on anyone, as policed, not by conduct.
        share = self.scenario.false_reports.rate
        negative = np.flatnonzero(self.kinds.negative)
        codes = np.concatenate([self.kinds.codes[b] for b in negative] or [np.empty(0, np.int64)])
        rates = np.concatenate([self.kinds.rates[b] for b in negative] or [np.empty(0)])
        return _Ceiling(np.cumsum(self.reported), codes, rates * share / (1 - share))

    def step(self, rng: np.random.Generator, begin: int, end: int, redeeming: Bools) -> Drawn:
        """Every event of the step [begin, end), true and false, minors thinned."""
        years = (end - begin) / _YEAR
        kept = np.where(redeeming, self.scenario.redemption.factor, 1.0) / self.boost
        parts = []
        for b, ceiling in enumerate(self.ceilings):
            subject, kind = ceiling.candidates(rng, years)
            if self.kinds.negative[b] and self.scenario.deterrence.factor < 1:
                chance = self.deterred[b, subject]
            elif self.kinds.positive[b] and self.boost > 1:
                chance = kept[subject]
            else:
                chance = None
            if chance is not None:
                keep = rng.random(subject.size) < chance
                subject, kind = subject[keep], kind[keep]
            parts.append(Drawn(subject, kind, subject, np.zeros(subject.size, np.bool_)))
        subject, kind = self.false.candidates(rng, years)
        parts.append(Drawn(subject, kind, subject, np.ones(subject.size, np.bool_)))
        drawn = Drawn.concat(parts)
        times = rng.integers(begin, end, drawn.at.size)
        return self._thinned(rng, Drawn(drawn.subject, drawn.kind, times, drawn.false))

    def _thinned(self, rng: np.random.Generator, drawn: Drawn) -> Drawn:
        # A minor causes each kind at its minor factor of the adult rate.
        minor = drawn.at < self.people.adult_at[drawn.subject]
        kept = ~minor | (rng.random(drawn.at.size) < self.kinds.minor[drawn.kind])
        return Drawn(*(getattr(drawn, f)[kept] for f in Drawn.fields()))

    def deter(self, drawn: Drawn) -> None:
        """Each true penalty multiplies the propensity for its behaviour (or for all
        misconduct) by the factor, down to the floor. Only the people penalised are touched."""
        deterrence = self.scenario.deterrence
        if deterrence.factor == 1:
            return
        penalised = ~drawn.false & self.kinds.penalty[drawn.kind]
        subject, kind = drawn.subject[penalised], drawn.kind[penalised]
        n = len(self.people)
        if deterrence.scope == "all":
            hit, hits = np.unique(subject, return_counts=True)
            behaviours = np.flatnonzero(self.kinds.negative)
            at = (np.repeat(behaviours, hit.size), np.tile(hit, behaviours.size))
            hits = np.tile(hits, behaviours.size)
        else:
            pairs, hits = np.unique(self.kinds.behaviour[kind] * n + subject, return_counts=True)
            at = np.divmod(pairs, n)
        lowered = self.deterred[at] * deterrence.factor**hits
        self.deterred[at] = np.maximum(lowered, deterrence.floor)
