"""The listing lifecycle: how a subject comes onto a list and off it, derived from facts.

A listing is a pure function of (list rule, trigger, facts, as_of), like a score: the facts
are folded in time order, and the passing of time (an appeal window closing, a period
ending, a removal falling due) is a step of its own. Every step says when, why, and which
fact caused it. Times are wall-clock times in the rulebook's timezone.

    proposed --notice--> noticed --window closes, no appeal--> effective --period ends--> expired
                            |                                   ^   |
                            +--appeal--> under_appeal --upheld--+   +--removal event, then
                                              |                        N working days--> removed
                                              +--overturned--> overturned

    a removal event before the listing takes effect, or an early removal --> removed at once
    a correction, from any state but overturned and not_listed --> corrected
    a trigger about a minor --> not_listed, and nothing moves it from there

A removal event leaves the listing in effect until the end of the list's `removal_within`
(the authority's deadline to take it down); an early removal takes it down sooner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from socialcredit.domain.calendar import closes_at, last_day
from socialcredit.domain.cases import (
    AppealLodged,
    Correction,
    EarlyRemoval,
    Extension,
    ListingFact,
    NoticeServed,
    RemovalEvent,
    ReviewDecided,
    Step,
)
from socialcredit.domain.durations import Duration, add_months
from socialcredit.domain.identifiers import ADULT_AGE

__all__ = ["ListRule", "Listing", "Notice", "State", "Trigger", "listing_history", "state_at"]


class State(StrEnum):
    """Where a listing stands."""

    PROPOSED = "proposed"
    NOTICED = "noticed"
    UNDER_APPEAL = "under_appeal"
    EFFECTIVE = "effective"
    OVERTURNED = "overturned"
    EXPIRED = "expired"
    REMOVED = "removed"
    CORRECTED = "corrected"
    NOT_LISTED = "not_listed"


_LIVE = frozenset({State.PROPOSED, State.NOTICED, State.UNDER_APPEAL, State.EFFECTIVE})
_CORRECTABLE = _LIVE | {State.EXPIRED, State.REMOVED}


@dataclass(frozen=True)
class ListRule:
    """A list as its rulebook defines it; `country` names the holiday calendar for deadlines."""

    id: str
    kind: Literal["black", "red"]
    appeal_window: Duration
    period: Duration
    notice: bool = True
    extension_most: Duration | None = None
    removal_within: Duration | None = None
    country: str = "CN"

    def __post_init__(self) -> None:
        if self.kind not in ("black", "red"):
            raise ValueError(f"list {self.id}: kind must be 'black' or 'red', not {self.kind!r}")
        if self.kind == "black" and not self.notice:
            raise ValueError(f"list {self.id}: a blacklist takes effect only after notice")
        for name in ("period", "extension_most"):
            length = getattr(self, name)
            if length is not None and length.working_days:
                raise ValueError(f"list {self.id}: {name} is calendar time, not working days")


@dataclass(frozen=True)
class Trigger:
    """The event that proposes the listing; `born` is the subject's birth date if a person."""

    id: str
    at: datetime
    type: str
    born: date | None = None


# Facts at the same instant apply in this order, after any clock due then; and their names.
_ORDER: dict[type, tuple[int, str]] = {
    NoticeServed: (0, "the notice"),
    AppealLodged: (1, "the appeal"),
    ReviewDecided: (2, "the review"),
    Extension: (3, "the extension"),
    RemovalEvent: (4, "the removal event"),
    EarlyRemoval: (5, "the early removal"),
    Correction: (6, "the correction"),
}


@dataclass(frozen=True)
class Notice:
    """The written notice as served, with the last day to appeal."""

    list_id: str
    served_at: datetime
    reasons: str
    evidence: tuple[str, ...]
    how_to_appeal: str
    appeal_by: date
    appeal_closes: datetime
    fact: str


@dataclass(frozen=True)
class Listing:
    """A listing as the facts up to `as_of` show it."""

    list_id: str
    trigger: str
    as_of: datetime
    steps: tuple[Step[State], ...]
    notice: Notice | None = None
    effective_from: datetime | None = None
    effective_until: datetime | None = None
    ends: datetime | None = None
    removal_due: datetime | None = None

    @property
    def state(self) -> State | None:
        """The state as of `as_of`; None before the trigger."""
        return self.steps[-1].state if self.steps else None

    def in_effect_at(self, moment: datetime) -> bool:
        """True if the listing bears on the subject at `moment`, as the facts so far show."""
        if self.effective_from is None or moment < self.effective_from:
            return False
        ends = [t for t in (self.effective_until, self.ends, self.removal_due) if t is not None]
        return moment < min(ends)


def listing_history(
    rule: ListRule, trigger: Trigger, facts: Iterable[ListingFact], *, as_of: datetime
) -> Listing:
    """Fold the facts about one listing, in time order, into its history up to `as_of`."""
    ordered = sorted(facts, key=lambda f: (f.at, _ORDER[type(f)][0], f.id, repr(f)))
    early = [f.id for f in ordered if f.at < trigger.at]
    if early:
        raise ValueError(f"facts {early} precede the trigger {trigger.id} at {trigger.at}")
    fold = _Fold(rule, trigger)
    if trigger.at <= as_of:
        fold.start()
        for fact in ordered:
            if fact.at > as_of:
                break
            fold.run_clocks(until=fact.at)
            fold.apply(fact)
        fold.run_clocks(until=as_of)
    return fold.listing(as_of)


def state_at(
    rule: ListRule, trigger: Trigger, facts: Iterable[ListingFact], *, as_of: datetime
) -> State | None:
    """The listing's state as of `as_of`; None before the trigger."""
    return listing_history(rule, trigger, facts, as_of=as_of).state


def _when(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")


def _years(n: int) -> str:
    return f"{n} year" if n == 1 else f"{n} years"


class _Fold:
    """The running state of one listing while its facts are folded in."""

    def __init__(self, rule: ListRule, trigger: Trigger) -> None:
        self.rule = rule
        self.trigger = trigger
        self.steps: list[Step[State]] = []
        self.notice: Notice | None = None
        self.appealed = False
        # When a noticed listing takes effect if nothing intervenes: moment, cause, why.
        self.takes_effect: tuple[datetime, str, str] | None = None
        self.effective_from: datetime | None = None
        self.effective_until: datetime | None = None
        self.extended_years = 0
        self.ends_cause = ""
        self.removal: tuple[datetime, RemovalEvent] | None = None

    @property
    def state(self) -> State:
        return self.steps[-1].state

    def step(self, at: datetime, state: State, cause: str, reason: str) -> None:
        if self.steps and self.state is State.EFFECTIVE and state is not State.EFFECTIVE:
            self.effective_until = at
        self.steps.append(Step(at=at, state=state, reason=reason, cause=cause))

    def no_effect(self, fact: ListingFact, why: str) -> None:
        name = _ORDER[type(fact)][1]
        self.step(fact.at, self.state, fact.id, f"{name} has no effect: {why}")

    def listing(self, as_of: datetime) -> Listing:
        effective = bool(self.steps) and self.state is State.EFFECTIVE
        return Listing(
            list_id=self.rule.id,
            trigger=self.trigger.id,
            as_of=as_of,
            steps=tuple(self.steps),
            notice=self.notice,
            effective_from=self.effective_from,
            effective_until=self.effective_until,
            ends=self.ends() if effective else None,
            removal_due=self.removal[0] if effective and self.removal else None,
        )

    # --- the trigger -------------------------------------------------------------------------

    def start(self) -> None:
        t, rule = self.trigger, self.rule
        if t.born is not None and t.at.date() < add_months(t.born, 12 * ADULT_AGE):
            reason = f"{t.type} {t.id} is about a minor (born {t.born}): minors are never listed"
            self.step(t.at, State.NOT_LISTED, t.id, reason)
            return
        self.step(t.at, State.PROPOSED, t.id, f"{t.type} {t.id} proposes listing on {rule.id}")
        if not rule.notice:
            self.take_effect(t.at, t.id, f"list {rule.id} takes effect without notice")

    # --- facts -------------------------------------------------------------------------------

    def apply(self, fact: ListingFact) -> None:
        if self.state is State.NOT_LISTED:
            self.no_effect(fact, "the subject is not listed")
        elif isinstance(fact, NoticeServed):
            self.serve(fact)
        elif isinstance(fact, AppealLodged):
            self.appeal(fact)
        elif isinstance(fact, ReviewDecided):
            self.review(fact)
        elif isinstance(fact, Extension):
            self.extend(fact)
        elif isinstance(fact, RemovalEvent):
            self.remove_on(fact)
        elif isinstance(fact, EarlyRemoval):
            self.remove_early(fact)
        else:
            self.correct(fact)

    def serve(self, fact: NoticeServed) -> None:
        if self.state is not State.PROPOSED:
            self.no_effect(fact, f"the listing is already {self.state}")
            return
        window, country = self.rule.appeal_window, self.rule.country
        by = last_day(fact.at.date(), window, country)
        self.notice = Notice(
            list_id=self.rule.id,
            served_at=fact.at,
            reasons=fact.reasons,
            evidence=tuple(dict.fromkeys((self.trigger.id, *fact.evidence))),
            how_to_appeal=fact.how_to_appeal,
            appeal_by=by,
            appeal_closes=closes_at(fact.at, window, country),
            fact=fact.id,
        )
        self.takes_effect = (self.notice.appeal_closes, fact.id, f"no appeal by the end of {by}")
        reason = f"written notice served: {fact.reasons}; appeal by the end of {by} ({window})"
        self.step(fact.at, State.NOTICED, fact.id, reason)

    def appeal(self, fact: AppealLodged) -> None:
        if self.state is State.NOTICED and not self.appealed:
            self.appealed = True
            self.takes_effect = None
            self.step(fact.at, State.UNDER_APPEAL, fact.id, f"appeal lodged: {fact.grounds}")
        elif self.appealed:
            self.no_effect(fact, "an appeal was already lodged")
        elif self.notice is None:
            self.no_effect(fact, "no notice has been served")
        elif self.state is State.EFFECTIVE:
            self.no_effect(fact, f"the window closed at the end of {self.notice.appeal_by}")
        else:
            self.no_effect(fact, f"the listing is already {self.state}")

    def review(self, fact: ReviewDecided) -> None:
        if self.state is not State.UNDER_APPEAL or self.notice is None:
            self.no_effect(fact, "no appeal is under review")
            return
        said = f"review by {fact.reviewer} {fact.outcome} the listing: {fact.reasons}"
        closes, by = self.notice.appeal_closes, self.notice.appeal_by
        if fact.outcome == "overturned":
            self.step(fact.at, State.OVERTURNED, fact.id, said)
        elif fact.at >= closes:
            self.take_effect(fact.at, fact.id, said)
        else:
            # Even a quick decision waits for the window: nothing takes effect before it closes.
            self.takes_effect = (closes, fact.id, f"the appeal window closed at the end of {by}")
            self.step(fact.at, State.NOTICED, fact.id, f"{said}; in effect after {by}")

    def extend(self, fact: Extension) -> None:
        most = self.rule.extension_most
        if self.state is not State.EFFECTIVE:
            self.no_effect(fact, f"only an effective listing is extended, not a {self.state} one")
        elif self.removal is not None:
            self.no_effect(fact, "its removal is already due")
        elif most is None:
            self.no_effect(fact, f"list {self.rule.id} has no extension")
        elif fact.years < 1:
            self.no_effect(fact, f"an extension is one year or more, not {fact.years}")
        elif self.ends() == self.longest_end():
            self.no_effect(fact, f"the list's longest extension, {most}, is reached")
        else:
            self.extended_years += fact.years
            self.ends_cause = fact.id
            capped = self.ends() == self.longest_end() < self.asked_end()
            cap = f", capped at the list's longest extension, {most}" if capped else ""
            reason = f"extended by {_years(fact.years)}{cap}; ends {_when(self.ends())}"
            self.step(fact.at, State.EFFECTIVE, fact.id, reason)

    def remove_on(self, fact: RemovalEvent) -> None:
        within = self.rule.removal_within
        if self.state not in _LIVE:
            self.no_effect(fact, f"the listing is already {self.state}")
        elif self.state is not State.EFFECTIVE or within is None:
            self.step(fact.at, State.REMOVED, fact.id, f"removed on {fact.type}")
        elif self.removal is not None:
            self.no_effect(fact, "its removal is already due")
        else:
            self.removal = (closes_at(fact.at, within, self.rule.country), fact)
            by = last_day(fact.at.date(), within, self.rule.country)
            reason = f"{fact.type}: removal due by the end of {by} ({within})"
            self.step(fact.at, State.EFFECTIVE, fact.id, reason)

    def remove_early(self, fact: EarlyRemoval) -> None:
        if self.state not in _LIVE:
            self.no_effect(fact, f"the listing is already {self.state}")
        else:
            self.step(fact.at, State.REMOVED, fact.id, f"removed early: {fact.reasons}")

    def correct(self, fact: Correction) -> None:
        if self.state not in _CORRECTABLE:
            self.no_effect(fact, f"the listing is already {self.state}")
        else:
            reason = f"corrected: listed wrongly, withdrawn: {fact.reasons}"
            self.step(fact.at, State.CORRECTED, fact.id, reason)

    # --- the passing of time -----------------------------------------------------------------

    def run_clocks(self, until: datetime) -> None:
        """Take every step that time makes at or before `until`."""
        while True:
            if self.state is State.NOTICED and self.takes_effect is not None:
                at, cause, why = self.takes_effect
                if at > until:
                    return
                self.takes_effect = None
                self.take_effect(at, cause, f"{why}: the listing takes effect")
            elif self.state is State.EFFECTIVE and min(self.due_times()) <= until:
                self.end_by_time()
            else:
                return

    def due_times(self) -> list[datetime]:
        return [self.ends(), self.removal[0]] if self.removal else [self.ends()]

    def end_by_time(self) -> None:
        ends = self.ends()
        if self.removal is None or ends <= self.removal[0]:
            extended = " with its extensions" if self.extended_years else ""
            reason = f"the {self.rule.period} period ended{extended}"
            self.step(ends, State.EXPIRED, self.ends_cause, reason)
        else:
            due, event = self.removal
            reason = f"removed {self.rule.removal_within} after {event.type}"
            self.step(due, State.REMOVED, event.id, reason)

    def take_effect(self, at: datetime, cause: str, why: str) -> None:
        self.effective_from = at
        self.ends_cause = cause
        self.step(at, State.EFFECTIVE, cause, f"{why}; in effect until {_when(self.ends())}")

    # --- the period --------------------------------------------------------------------------

    def ends(self) -> datetime:
        """When the period ends, with the extensions granted within the list's longest."""
        return min(self.asked_end(), self.longest_end())

    def asked_end(self) -> datetime:
        period = self.rule.period
        return self.after_start(
            Duration(months=period.months + 12 * self.extended_years, days=period.days)
        )

    def longest_end(self) -> datetime:
        period, most = self.rule.period, self.rule.extension_most or Duration()
        return self.after_start(
            Duration(months=period.months + most.months, days=period.days + most.days)
        )

    def after_start(self, length: Duration) -> datetime:
        assert self.effective_from is not None, "only an effective listing has a period"
        return length.after(self.effective_from)
