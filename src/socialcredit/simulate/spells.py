"""Spells on a list, for whole arrays of triggers at once: the court list's lifecycle
(`domain.listing`) in the few lines a national-scale run can afford.

A trigger about an adult takes effect when its appeal window closes (or when an appeal is
decided, if it is upheld); it is never listed if the trigger is withdrawn or performed first.
A listing ends at the earliest of: the end of its period, the removal deadline after the
judgment is performed, the withdrawal of its trigger. Working days are counted as calendar
days at 7 for every 5, rounded up; extensions are not simulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from socialcredit.domain.durations import Duration
from socialcredit.rules.model import ListDef

__all__ = ["NEVER", "Ending", "Spells", "later", "spells_on"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
NEVER = 2**62  # a local second no run reaches, far from overflow
_DAY = 86_400
_FIELDS = ("subject", "false", "since", "until", "ending")


class Ending(IntEnum):
    """Why a spell on a list ended (ONGOING: not within the run)."""

    EXPIRED = 0
    PERFORMED = 1
    WITHDRAWN = 2
    ONGOING = 3


def later(at: Ints, length: Duration, start: date) -> Ints:
    """`at` (local seconds from `start`) plus a calendar length; a day missing in the target
    month clamps to its last day. NEVER stays NEVER."""
    never = at >= NEVER
    moment = np.datetime64(start, "s") + np.where(never, 0, at)
    day = moment.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    target = month + length.months
    last = (target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")
    offset = np.minimum(day - month.astype("datetime64[D]"), last - 1)
    extra = length.days + -(-length.working_days * 7 // 5)
    shifted = target.astype("datetime64[D]") + offset + extra + (moment - day)
    seconds: Ints = (shifted - np.datetime64(start, "s")).astype(np.int64)
    return np.where(never, NEVER, seconds)


@dataclass(frozen=True)
class Spells:
    """Listings that took effect: subject row, whether the trigger was false, from, until
    (NEVER: past the run), and how each ended."""

    subject: Ints
    false: Bools
    since: Ints
    until: Ints
    ending: Ints

    @staticmethod
    def none() -> Spells:
        """No spells at all."""
        nothing = np.empty(0, np.int64)
        return Spells(nothing, np.empty(0, np.bool_), nothing, nothing, nothing)

    @staticmethod
    def concat(parts: list[Spells]) -> Spells:
        """The spells of every part, one after another."""
        if not parts:
            return Spells.none()
        return Spells(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


def spells_on(
    listing: ListDef,
    trigger: tuple[Ints, Ints, Bools],
    effective: Ints,
    withdrawn: Ints,
    performed: Ints,
    *,
    removable: bool,
    start: date,
    span: int,
) -> Spells:
    """Spells from triggers (subject row, local second, false) of adults, with when each
    would take effect, is withdrawn and is performed (NEVER where not)."""
    subject, _, false = trigger
    removal = Duration(working_days=0) if listing.removal_within is None else listing.removal_within
    removed = later(performed, removal, start) if removable else np.full(performed.size, NEVER)
    if not removable:
        performed = np.full(performed.size, NEVER)
    listed = (effective < span) & (withdrawn > effective) & (performed > effective)
    expires = later(effective, listing.period, start)
    until = np.minimum(np.minimum(expires, removed), withdrawn)
    ending = np.select(
        [until >= span, until == withdrawn, until == removed],
        [Ending.ONGOING, Ending.WITHDRAWN, Ending.PERFORMED],
        Ending.EXPIRED,
    )
    until = np.where(until >= span, NEVER, until)
    rows = np.flatnonzero(listed)
    return Spells(subject[rows], false[rows], effective[rows], until[rows], ending[rows])
