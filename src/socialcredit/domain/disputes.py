"""The dispute lifecycle: a subject contests one entry, on the US credit-reporting clock.

A dispute is a pure function of (the dispute, facts, as_of, country), like a listing: the
facts are folded in time order, and the passing of time (a deadline reached) is a step of
its own. Every step says when, why, and which fact caused it. Times are wall-clock times in
the rulebook's timezone.

    open --source notified--> source_notified --source confirms--> confirmed
                                              --source withdraws--> withdrawn
                                              --no answer by day 30 (45)--> removed_unverified
                                              --the reviewer removes it--> removed_by_reviewer

    an answer, the reviewer's removal, or the deadline, before the source was notified
    resolves the dispute alike

The platform's reviewer may decide an unresolved dispute: finding that the source cannot
substantiate the event, it removes the entry in the subject's favour, as a withdrawal does;
or it leaves the dispute to the source, a step that changes nothing but is on the record.

The clocks, counted from the day after the step that starts them:

- the source is notified within 5 working days of the dispute;
- the source confirms or withdraws within 30 calendar days of the dispute, or 45 if the
  subject added information during the 30; unanswered by then, the entry is removed;
- the outcome goes to the subject within 5 working days of the resolution.

Working days follow the country's calendar (`calendar.py`: weekends, public holidays and
weekend days worked in lieu). The 30 and 45 days are plain calendar days: unlike the Civil
Procedure Law's periods (`calendar.last_day`), they do not run on to the next working day
when the last one is a rest day, so an entry nobody could verify never outlives them.

A notice or an outcome not sent by its deadline is not a transition but an overdue step, so
the deadline job sees it and sends it; sent late, it is recorded as late.

From the moment of the dispute the entry shows as disputed, with the outcome once there is
one. An entry removed by a dispute (withdrawn, removed by the reviewer, or removed
unverified) is excluded from every score computed once the removal is known, at every
moment, the moments before the removal included, as a voided event is: a record that could
not be verified must not harm. Decisions given earlier on the strength of it are what the
services correct and notify.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from socialcredit.domain.calendar import add_days, last_day
from socialcredit.domain.cases import (
    DisputeFact,
    DisputeOpened,
    InformationAdded,
    OutcomeSent,
    ReviewerDecided,
    SourceAnswered,
    SourceNotified,
    Step,
)
from socialcredit.domain.durations import Duration

__all__ = [
    "NOTIFY_SOURCE_WITHIN",
    "RESOLVE_WITHIN",
    "RESOLVE_WITH_INFORMATION_WITHIN",
    "TELL_SUBJECT_WITHIN",
    "Dispute",
    "State",
    "dispute_history",
    "state_at",
]

NOTIFY_SOURCE_WITHIN = Duration(working_days=5)
RESOLVE_WITHIN = Duration(days=30)
RESOLVE_WITH_INFORMATION_WITHIN = Duration(days=45)
TELL_SUBJECT_WITHIN = Duration(working_days=5)


class State(StrEnum):
    """Where a dispute stands."""

    OPEN = "open"
    SOURCE_NOTIFIED = "source_notified"
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"
    REMOVED_UNVERIFIED = "removed_unverified"
    REMOVED_BY_REVIEWER = "removed_by_reviewer"


_Clock = Callable[[], None]

_REMOVED = frozenset({State.WITHDRAWN, State.REMOVED_UNVERIFIED, State.REMOVED_BY_REVIEWER})
_RESOLVED = frozenset({State.CONFIRMED, *_REMOVED})

# Facts at the same instant apply in this order, after any clock due then; and their names.
# The reviewer decides only what the source has not: at the same instant, its answer first.
_ORDER: dict[type, tuple[int, str]] = {
    SourceNotified: (0, "the notice to the source"),
    InformationAdded: (1, "the added information"),
    SourceAnswered: (2, "the source's answer"),
    ReviewerDecided: (3, "the reviewer's decision"),
    OutcomeSent: (4, "the outcome sent"),
}


@dataclass(frozen=True)
class Dispute:
    """A dispute as the facts up to `as_of` show it, with the last day of each deadline."""

    opened: DisputeOpened
    as_of: datetime
    steps: tuple[Step[State], ...]
    notify_source_by: date
    resolve_by: date
    tell_subject_by: date | None = None
    source_notified_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome_sent_at: datetime | None = None

    @property
    def state(self) -> State | None:
        """The state as of `as_of`; None before the dispute."""
        return self.steps[-1].state if self.steps else None

    @property
    def resolved(self) -> bool:
        """True once the source answered, or the reviewer or the deadline removed the entry."""
        return self.state in _RESOLVED

    @property
    def counts(self) -> bool:
        """False once the dispute removed the entry: then it counts at no moment at all."""
        return self.state not in _REMOVED

    @property
    def owes_source_notice(self) -> bool:
        """True while the source is still to be told of the dispute."""
        return self.state is State.OPEN

    @property
    def owes_outcome(self) -> bool:
        """True while the subject is still to be told how the dispute ended."""
        return self.resolved and self.outcome_sent_at is None

    def disputed_at(self, moment: datetime) -> bool:
        """True if the entry shows as disputed at `moment`: from the dispute on."""
        return bool(self.steps) and self.opened.at <= moment


def dispute_history(
    opened: DisputeOpened,
    facts: Iterable[DisputeFact],
    *,
    as_of: datetime,
    country: str = "CN",
) -> Dispute:
    """Fold the facts about one dispute, in time order, into its history up to `as_of`."""
    ordered = sorted(facts, key=lambda f: (f.at, _ORDER[type(f)][0], f.id, repr(f)))
    early = [f.id for f in ordered if f.at < opened.at]
    if early:
        raise ValueError(f"facts {early} precede the dispute {opened.id} at {opened.at}")
    fold = _Fold(opened, country)
    if opened.at <= as_of:
        fold.start()
        for fact in ordered:
            if fact.at > as_of:
                break
            fold.run_clocks(until=fact.at)
            fold.apply(fact)
        fold.run_clocks(until=as_of)
    return fold.dispute(as_of)


def state_at(
    opened: DisputeOpened,
    facts: Iterable[DisputeFact],
    *,
    as_of: datetime,
    country: str = "CN",
) -> State | None:
    """The dispute's state as of `as_of`; None before the dispute."""
    return dispute_history(opened, facts, as_of=as_of, country=country).state


@dataclass(frozen=True)
class _Deadline:
    """A period's last day, and the moment it has run out: midnight after that day."""

    by: date
    closes: datetime
    length: Duration

    @classmethod
    def after(cls, start: datetime, length: Duration, country: str) -> _Deadline:
        if length.working_days:
            by = last_day(start.date(), length, country)
        else:
            # Plain calendar days: never moved to the next working day (see the module's notes).
            by = add_days(start.date(), length.days, working=False)
        closes = datetime.combine(by + timedelta(days=1), time(), tzinfo=start.tzinfo)
        return cls(by, closes, length)

    def __str__(self) -> str:
        return f"the end of {self.by} ({self.length})"


class _Fold:
    """The running state of one dispute while its facts are folded in."""

    def __init__(self, opened: DisputeOpened, country: str) -> None:
        self.opened = opened
        self.country = country
        self.steps: list[Step[State]] = []
        self.notify = _Deadline.after(opened.at, NOTIFY_SOURCE_WITHIN, country)
        self.resolve = _Deadline.after(opened.at, RESOLVE_WITHIN, country)
        self.resolve_cause = opened.id
        self.tell: _Deadline | None = None
        self.resolution_cause = ""
        self.notified_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.sent_at: datetime | None = None
        self.flagged_notice = False
        self.flagged_outcome = False

    @property
    def state(self) -> State:
        return self.steps[-1].state

    @property
    def resolved(self) -> bool:
        return self.state in _RESOLVED

    def step(self, at: datetime, state: State, cause: str, reason: str) -> None:
        self.steps.append(Step(at=at, state=state, reason=reason, cause=cause))

    def no_effect(self, fact: DisputeFact, why: str) -> None:
        name = _ORDER[type(fact)][1]
        self.step(fact.at, self.state, fact.id, f"{name} has no effect: {why}")

    def dispute(self, as_of: datetime) -> Dispute:
        return Dispute(
            opened=self.opened,
            as_of=as_of,
            steps=tuple(self.steps),
            notify_source_by=self.notify.by,
            resolve_by=self.resolve.by,
            tell_subject_by=self.tell.by if self.tell else None,
            source_notified_at=self.notified_at,
            resolved_at=self.resolved_at,
            outcome_sent_at=self.sent_at,
        )

    # --- the dispute -------------------------------------------------------------------------

    def start(self) -> None:
        o = self.opened
        reason = (
            f"the subject disputes entry {o.rule} of event {o.source}/{o.event_id} "
            f"in {o.scheme}: {o.grounds}; the source is to be notified by {self.notify} "
            f"and to answer by {self.resolve}"
        )
        self.step(o.at, State.OPEN, o.id, reason)

    # --- facts -------------------------------------------------------------------------------

    def apply(self, fact: DisputeFact) -> None:
        if isinstance(fact, SourceNotified):
            self.notify_source(fact)
        elif isinstance(fact, InformationAdded):
            self.add_information(fact)
        elif isinstance(fact, SourceAnswered):
            self.answer(fact)
        elif isinstance(fact, ReviewerDecided):
            self.review(fact)
        else:
            self.send_outcome(fact)

    def notify_source(self, fact: SourceNotified) -> None:
        if self.resolved:
            self.no_effect(fact, f"the dispute is already resolved: {self.state}")
        elif self.notified_at is not None:
            self.no_effect(fact, "the source was already notified")
        else:
            self.notified_at = fact.at
            late = f" (late: due by {self.notify})" if fact.at >= self.notify.closes else ""
            reason = f"source {self.opened.source} notified{late}; it answers by {self.resolve}"
            self.step(fact.at, State.SOURCE_NOTIFIED, fact.id, reason)

    def add_information(self, fact: InformationAdded) -> None:
        if self.resolved:
            self.no_effect(fact, f"the dispute is already resolved: {self.state}")
        elif self.resolve.length == RESOLVE_WITH_INFORMATION_WITHIN:
            reason = f"information added: {fact.summary}; the source answers by {self.resolve}"
            self.step(fact.at, self.state, fact.id, reason)
        else:
            # Unresolved means still within the 30 days: the deadline would have removed it.
            length = RESOLVE_WITH_INFORMATION_WITHIN
            self.resolve = _Deadline.after(self.opened.at, length, self.country)
            self.resolve_cause = fact.id
            reason = f"information added within the {RESOLVE_WITHIN}: {fact.summary}"
            self.step(
                fact.at, self.state, fact.id, f"{reason}; the source answers by {self.resolve}"
            )

    def answer(self, fact: SourceAnswered) -> None:
        if self.state is State.REMOVED_UNVERIFIED:
            self.no_effect(
                fact, f"too late: the entry was removed, unverified, after {self.resolve}"
            )
        elif self.resolved:
            self.no_effect(fact, f"the dispute is already resolved: {self.state}")
        elif fact.outcome == "confirmed":
            said = f"the source confirmed the entry: {fact.reasons}; the entry stands"
            self.resolve_as(fact.at, State.CONFIRMED, fact.id, said)
        else:
            said = f"the source withdrew the entry: {fact.reasons}; the entry is removed"
            self.resolve_as(fact.at, State.WITHDRAWN, fact.id, said)

    def review(self, fact: ReviewerDecided) -> None:
        if self.state is State.REMOVED_UNVERIFIED:
            self.no_effect(
                fact, f"too late: the entry was removed, unverified, after {self.resolve}"
            )
        elif self.resolved:
            self.no_effect(fact, f"the dispute is already resolved: {self.state}")
        elif fact.outcome == "removed":
            said = (
                f"the platform's reviewer {fact.by} found that the source cannot substantiate "
                f"the entry: {fact.reasons}; the entry is removed"
            )
            self.resolve_as(fact.at, State.REMOVED_BY_REVIEWER, fact.id, said)
        else:
            said = f"the platform's reviewer {fact.by} left the dispute to the source: "
            self.step(
                fact.at,
                self.state,
                fact.id,
                f"{said}{fact.reasons}; the source answers by {self.resolve}",
            )

    def send_outcome(self, fact: OutcomeSent) -> None:
        if not self.resolved or self.tell is None:
            self.no_effect(fact, "the dispute is not resolved yet")
        elif self.sent_at is not None:
            self.no_effect(fact, "the outcome was already sent")
        else:
            self.sent_at = fact.at
            late = f" (late: due by {self.tell})" if fact.at >= self.tell.closes else ""
            self.step(fact.at, self.state, fact.id, f"outcome sent to the subject{late}")

    def resolve_as(self, at: datetime, state: State, cause: str, said: str) -> None:
        self.resolved_at = at
        self.resolution_cause = cause
        self.tell = _Deadline.after(at, TELL_SUBJECT_WITHIN, self.country)
        self.step(at, state, cause, f"{said}; the subject is told by {self.tell}")

    # --- the passing of time -----------------------------------------------------------------

    def run_clocks(self, until: datetime) -> None:
        """Take every step that time makes at or before `until`, earliest first."""
        while (clock := self.next_clock()) is not None and clock[0] <= until:
            clock[1]()

    def next_clock(self) -> tuple[datetime, _Clock] | None:
        """The clock that runs out next: the notice to the source falls due (5 working days)
        before the answer (30 days), and the outcome only after the answer."""
        if self.state is State.OPEN and not self.flagged_notice:
            return self.notify.closes, self.source_notice_overdue
        if not self.resolved:
            return self.resolve.closes, self.remove_unverified
        if self.tell is not None and self.sent_at is None and not self.flagged_outcome:
            return self.tell.closes, self.outcome_overdue
        return None

    def source_notice_overdue(self) -> None:
        self.flagged_notice = True
        reason = f"overdue: the source was not notified by {self.notify}"
        self.step(self.notify.closes, self.state, self.opened.id, reason)

    def remove_unverified(self) -> None:
        said = f"the source did not confirm the entry by {self.resolve}: removed, unverified"
        self.resolve_as(self.resolve.closes, State.REMOVED_UNVERIFIED, self.resolve_cause, said)

    def outcome_overdue(self) -> None:
        assert self.tell is not None, "only a resolved dispute owes its outcome"
        self.flagged_outcome = True
        reason = f"overdue: the outcome was not sent to the subject by {self.tell}"
        self.step(self.tell.closes, self.state, self.resolution_cause, reason)
