"""The dispute lifecycle of one entry on the credit-reporting clock, step by step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.domain.cases import (
    DisputeFact,
    DisputeOpened,
    InformationAdded,
    OutcomeSent,
    SourceAnswered,
    SourceNotified,
)
from socialcredit.domain.disputes import Dispute, State, dispute_history, state_at

BEIJING = timezone(timedelta(hours=8))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


# Mon 4 Mar 2024: notify by Mon 11 Mar, answer by Wed 3 Apr (30 days) or Thu 18 Apr (45).
DISPUTE = DisputeOpened(
    "dispute-1",
    at(2024, 3, 4, 10),
    scheme="cn-371003-wendeng",
    source="traffic.weihai",
    event_id="tj-2024-000123",
    rule="traffic.fine",
    grounds="the car was sold in January",
)
NOTIFIED = SourceNotified("notified-1", at(2024, 3, 5, 9))
DAY_30_ENDS = at(2024, 4, 4)
DAY_45_ENDS = at(2024, 4, 19)


def history(*facts: DisputeFact, as_of: datetime, opened: DisputeOpened = DISPUTE) -> Dispute:
    return dispute_history(opened, facts, as_of=as_of)


def states(dispute: Dispute) -> list[State]:
    return [step.state for step in dispute.steps]


def confirmed(moment: datetime, fact_id: str = "answer-1") -> SourceAnswered:
    return SourceAnswered(fact_id, moment, "confirmed", "camera record and registration")


def withdrawn(moment: datetime, fact_id: str = "answer-1") -> SourceAnswered:
    return SourceAnswered(fact_id, moment, "withdrawn", "wrong plate read")


def opened_on(moment: datetime) -> DisputeOpened:
    return replace(DISPUTE, at=moment)


# --- the whole story ---------------------------------------------------------------------------


def test_unconfirmed_entry_is_removed_at_the_end_of_day_30_and_the_subject_is_told() -> None:
    told = OutcomeSent("outcome-1", at(2024, 4, 8, 9))
    facts = [NOTIFIED, told]

    def when(moment: datetime) -> State | None:
        return state_at(DISPUTE, facts, as_of=moment)

    assert when(DISPUTE.at - timedelta(minutes=1)) is None
    assert when(DISPUTE.at) is State.OPEN
    assert when(NOTIFIED.at) is State.SOURCE_NOTIFIED
    assert when(DAY_30_ENDS - timedelta(minutes=1)) is State.SOURCE_NOTIFIED
    assert when(DAY_30_ENDS) is State.REMOVED_UNVERIFIED

    done = history(*facts, as_of=at(2024, 6, 1))
    assert states(done) == [
        State.OPEN,
        State.SOURCE_NOTIFIED,
        State.REMOVED_UNVERIFIED,
        State.REMOVED_UNVERIFIED,
    ]
    assert [s.cause for s in done.steps] == ["dispute-1", "notified-1", "dispute-1", "outcome-1"]
    assert done.resolved_at == DAY_30_ENDS
    assert done.outcome_sent_at == told.at
    assert "did not confirm the entry by the end of 2024-04-03 (30d)" in done.steps[2].reason
    assert done.steps[3].reason == "outcome sent to the subject"


def test_opening_names_the_entry_and_its_deadlines() -> None:
    dispute = history(as_of=DISPUTE.at)
    assert dispute.state is State.OPEN
    assert dispute.notify_source_by == date(2024, 3, 11)
    assert dispute.resolve_by == date(2024, 4, 3)
    assert dispute.tell_subject_by is None
    reason = dispute.steps[0].reason
    for part in ("traffic.fine", "traffic.weihai/tj-2024-000123", "cn-371003-wendeng"):
        assert part in reason
    assert "the car was sold in January" in reason


def test_before_the_dispute_there_is_no_state() -> None:
    dispute = history(as_of=DISPUTE.at - timedelta(days=1))
    assert dispute.state is None
    assert dispute.steps == ()
    assert not dispute.disputed_at(DISPUTE.at)


# --- the source's answer -----------------------------------------------------------------------


def test_confirmation_within_the_30_days_keeps_the_entry() -> None:
    dispute = history(NOTIFIED, confirmed(at(2024, 3, 20, 15)), as_of=at(2024, 3, 21))
    assert states(dispute) == [State.OPEN, State.SOURCE_NOTIFIED, State.CONFIRMED]
    assert dispute.counts
    assert dispute.resolved_at == at(2024, 3, 20, 15)
    assert "the source confirmed the entry: camera record" in dispute.steps[-1].reason


def test_confirmation_in_the_last_minute_of_day_30_is_in_time() -> None:
    answer = confirmed(DAY_30_ENDS - timedelta(minutes=1))
    assert history(NOTIFIED, answer, as_of=at(2024, 6, 1)).state is State.CONFIRMED


def test_confirmation_after_the_deadline_is_too_late_the_entry_is_already_removed() -> None:
    late = confirmed(DAY_30_ENDS)
    dispute = history(NOTIFIED, late, as_of=at(2024, 4, 5))
    assert dispute.state is State.REMOVED_UNVERIFIED
    assert dispute.resolved_at == DAY_30_ENDS
    assert not dispute.counts
    assert dispute.steps[-1].cause == "answer-1"
    assert dispute.steps[-1].reason.startswith("the source's answer has no effect: too late")


def test_withdrawal_removes_the_entry_at_once() -> None:
    dispute = history(NOTIFIED, withdrawn(at(2024, 3, 8, 11)), as_of=at(2024, 3, 8, 11))
    assert dispute.state is State.WITHDRAWN
    assert not dispute.counts
    assert dispute.resolved_at == at(2024, 3, 8, 11)
    assert dispute.tell_subject_by == date(2024, 3, 15)
    assert "the source withdrew the entry: wrong plate read" in dispute.steps[-1].reason


def test_an_answer_before_the_source_was_notified_still_resolves() -> None:
    # The source knew of the dispute some other way; the answer is what the clock waits for.
    dispute = history(withdrawn(at(2024, 3, 5)), as_of=at(2024, 3, 6))
    assert states(dispute) == [State.OPEN, State.WITHDRAWN]
    assert not dispute.owes_source_notice


def test_a_dispute_is_never_resolved_twice() -> None:
    first = confirmed(at(2024, 3, 20))
    second = withdrawn(at(2024, 3, 21), "answer-2")
    dispute = history(NOTIFIED, first, second, as_of=at(2024, 3, 22))
    assert dispute.state is State.CONFIRMED
    assert dispute.resolved_at == first.at
    assert "already resolved: confirmed" in dispute.steps[-1].reason


# --- the 45-day extension -----------------------------------------------------------------------


def test_information_added_within_the_30_days_gives_the_source_45() -> None:
    added = InformationAdded("info-1", at(2024, 3, 20), "the bill of sale")
    dispute = history(NOTIFIED, added, as_of=at(2024, 4, 10))
    assert dispute.resolve_by == date(2024, 4, 18)
    assert dispute.state is State.SOURCE_NOTIFIED
    assert "the source answers by the end of 2024-04-18 (45d)" in dispute.steps[-1].reason

    assert state_at(DISPUTE, [NOTIFIED, added], as_of=DAY_45_ENDS - timedelta(minutes=1)) is (
        State.SOURCE_NOTIFIED
    )
    removed = history(NOTIFIED, added, as_of=DAY_45_ENDS)
    assert removed.state is State.REMOVED_UNVERIFIED
    assert removed.resolved_at == DAY_45_ENDS
    assert removed.steps[-1].cause == "info-1"


def test_a_confirmation_between_day_30_and_45_counts_after_information_was_added() -> None:
    added = InformationAdded("info-1", at(2024, 3, 20), "the bill of sale")
    answer = confirmed(at(2024, 4, 10))
    assert history(NOTIFIED, added, answer, as_of=at(2024, 6, 1)).state is State.CONFIRMED


def test_information_in_the_last_minute_of_day_30_still_extends() -> None:
    added = InformationAdded("info-1", DAY_30_ENDS - timedelta(minutes=1), "the bill of sale")
    dispute = history(NOTIFIED, added, as_of=at(2024, 4, 10))
    assert dispute.state is State.SOURCE_NOTIFIED
    assert dispute.resolve_by == date(2024, 4, 18)


def test_information_after_day_30_comes_too_late_to_extend() -> None:
    added = InformationAdded("info-1", DAY_30_ENDS, "the bill of sale")
    dispute = history(NOTIFIED, added, as_of=at(2024, 4, 10))
    assert dispute.state is State.REMOVED_UNVERIFIED
    assert dispute.resolve_by == date(2024, 4, 3)
    assert "has no effect: the dispute is already resolved" in dispute.steps[-1].reason


def test_more_information_never_extends_beyond_45_days() -> None:
    first = InformationAdded("info-1", at(2024, 3, 20), "the bill of sale")
    second = InformationAdded("info-2", at(2024, 4, 15), "the buyer's statement")
    dispute = history(NOTIFIED, first, second, as_of=DAY_45_ENDS)
    assert dispute.resolve_by == date(2024, 4, 18)
    assert dispute.state is State.REMOVED_UNVERIFIED
    assert dispute.steps[-1].cause == "info-1"


def test_information_after_a_confirmation_does_not_reopen_it() -> None:
    added = InformationAdded("info-1", at(2024, 3, 25), "the bill of sale")
    dispute = history(NOTIFIED, confirmed(at(2024, 3, 20)), added, as_of=at(2024, 6, 1))
    assert dispute.state is State.CONFIRMED
    assert dispute.resolve_by == date(2024, 4, 3)


# --- notifying the source -----------------------------------------------------------------------


def test_source_not_notified_within_5_working_days_is_recorded_overdue() -> None:
    # Mon 4 Mar: Tue to Fri and Mon 11 Mar are the five working days.
    due = history(as_of=at(2024, 3, 11, 23, 59))
    assert due.state is State.OPEN
    assert due.owes_source_notice
    assert len(due.steps) == 1

    overdue = history(as_of=at(2024, 3, 12))
    assert states(overdue) == [State.OPEN, State.OPEN]
    assert overdue.steps[-1].at == at(2024, 3, 12)
    assert overdue.steps[-1].cause == "dispute-1"
    assert overdue.steps[-1].reason == (
        "overdue: the source was not notified by the end of 2024-03-11 (5wd)"
    )
    assert overdue.owes_source_notice


def test_a_late_notice_is_recorded_as_late() -> None:
    late = SourceNotified("notified-1", at(2024, 3, 13, 9))
    dispute = history(late, as_of=at(2024, 3, 14))
    assert states(dispute) == [State.OPEN, State.OPEN, State.SOURCE_NOTIFIED]
    assert "late: due by the end of 2024-03-11 (5wd)" in dispute.steps[-1].reason
    assert not dispute.owes_source_notice


def test_a_notice_in_time_leaves_no_overdue_step() -> None:
    dispute = history(NOTIFIED, as_of=at(2024, 3, 20))
    assert states(dispute) == [State.OPEN, State.SOURCE_NOTIFIED]
    assert dispute.source_notified_at == NOTIFIED.at
    assert "late" not in dispute.steps[-1].reason


def test_a_second_notice_has_no_effect() -> None:
    again = SourceNotified("notified-2", at(2024, 3, 6))
    dispute = history(NOTIFIED, again, as_of=at(2024, 3, 7))
    assert dispute.source_notified_at == NOTIFIED.at
    assert dispute.steps[-1].reason == (
        "the notice to the source has no effect: the source was already notified"
    )


def test_five_working_days_to_notify_across_the_spring_festival() -> None:
    # Thu 8 Feb: Fri 9 Feb counts, 10-17 Feb are off, Sun 18 Feb is worked, then 19-21 Feb.
    dispute = history(as_of=at(2024, 2, 21, 23), opened=opened_on(at(2024, 2, 8, 10)))
    assert dispute.notify_source_by == date(2024, 2, 21)
    assert len(dispute.steps) == 1
    assert len(history(as_of=at(2024, 2, 22), opened=opened_on(at(2024, 2, 8, 10))).steps) == 2


def test_five_working_days_to_notify_across_national_day() -> None:
    # Fri 27 Sep: Sun 29 Sep is worked, Mon 30 Sep, 1-7 Oct are off, then 8-10 Oct.
    dispute = history(as_of=at(2024, 10, 1), opened=opened_on(at(2024, 9, 27, 10)))
    assert dispute.notify_source_by == date(2024, 10, 10)


def test_a_dispute_opened_on_a_weekend_counts_from_the_next_working_day() -> None:
    dispute = history(as_of=at(2024, 3, 10), opened=opened_on(at(2024, 3, 9, 10)))
    assert dispute.notify_source_by == date(2024, 3, 15)


def test_working_days_follow_the_country_passed_through() -> None:
    opened = opened_on(at(2024, 7, 1, 10))
    china = dispute_history(opened, [], as_of=opened.at)
    united_states = dispute_history(opened, [], as_of=opened.at, country="US")
    assert china.notify_source_by == date(2024, 7, 8)
    assert united_states.notify_source_by == date(2024, 7, 9)  # 4 July is a holiday there


# --- the 30 and 45 days across holidays ---------------------------------------------------------


def test_day_30_on_a_weekend_is_not_moved_to_the_next_working_day() -> None:
    opened = opened_on(at(2024, 2, 8, 10))  # day 30 is Saturday 9 March
    dispute = history(as_of=at(2024, 3, 10), opened=opened)
    assert dispute.resolve_by == date(2024, 3, 9)
    assert dispute.state is State.REMOVED_UNVERIFIED
    assert dispute.resolved_at == at(2024, 3, 10)


def test_day_30_in_the_spring_festival_is_not_moved_past_it() -> None:
    opened = opened_on(at(2024, 1, 13, 10))  # day 30 is Monday 12 Feb, a holiday
    dispute = history(as_of=at(2024, 2, 14), opened=opened)
    assert dispute.resolve_by == date(2024, 2, 12)
    assert dispute.resolved_at == at(2024, 2, 13)
    # The outcome is due five working days on: Sun 18 Feb (worked), then 19-22 Feb.
    assert dispute.tell_subject_by == date(2024, 2, 22)


def test_day_30_in_national_day_is_not_moved_past_it() -> None:
    opened = opened_on(at(2024, 9, 3, 10))  # day 30 is Thursday 3 Oct
    dispute = history(as_of=at(2024, 10, 5), opened=opened)
    assert dispute.state is State.REMOVED_UNVERIFIED
    assert dispute.resolved_at == at(2024, 10, 4)
    # 4-7 Oct are off; 8-11 Oct and Saturday 12 Oct, worked in lieu, are the five days.
    assert dispute.tell_subject_by == date(2024, 10, 12)


def test_day_45_in_national_day_is_not_moved_past_it() -> None:
    opened = opened_on(at(2024, 8, 22, 10))
    added = InformationAdded("info-1", at(2024, 9, 10), "the receipt")
    dispute = history(added, as_of=at(2024, 10, 8), opened=opened)
    assert dispute.resolve_by == date(2024, 10, 6)
    assert dispute.resolved_at == at(2024, 10, 7)


# --- telling the subject ------------------------------------------------------------------------


def test_outcome_not_sent_within_5_working_days_is_recorded_overdue() -> None:
    # Removed at the start of Thu 4 Apr; 4-6 Apr are Qingming, Sun 7 Apr is worked, then 8-11 Apr.
    in_time = history(NOTIFIED, as_of=at(2024, 4, 11, 23, 59))
    assert in_time.tell_subject_by == date(2024, 4, 11)
    assert in_time.owes_outcome
    assert in_time.steps[-1].state is State.REMOVED_UNVERIFIED
    assert "overdue" not in in_time.steps[-1].reason

    overdue = history(NOTIFIED, as_of=at(2024, 4, 12))
    assert overdue.steps[-1].at == at(2024, 4, 12)
    assert overdue.steps[-1].state is State.REMOVED_UNVERIFIED
    assert overdue.steps[-1].cause == "dispute-1"
    assert overdue.steps[-1].reason == (
        "overdue: the outcome was not sent to the subject by the end of 2024-04-11 (5wd)"
    )


def test_outcome_overdue_after_a_confirmation_names_the_answer() -> None:
    dispute = history(NOTIFIED, confirmed(at(2024, 3, 20, 15)), as_of=at(2024, 4, 1))
    assert dispute.tell_subject_by == date(2024, 3, 27)
    assert dispute.steps[-1].cause == "answer-1"
    assert dispute.steps[-1].reason.startswith("overdue: the outcome was not sent")


def test_a_late_outcome_is_recorded_as_late_and_then_nothing_is_owed() -> None:
    late = OutcomeSent("outcome-1", at(2024, 4, 15, 9))
    dispute = history(NOTIFIED, late, as_of=at(2024, 5, 1))
    assert dispute.steps[-1].reason == (
        "outcome sent to the subject (late: due by the end of 2024-04-11 (5wd))"
    )
    assert not dispute.owes_outcome


def test_an_outcome_is_late_from_midnight_after_its_last_day() -> None:
    last_minute = OutcomeSent("outcome-1", at(2024, 4, 11, 23, 59))
    midnight = OutcomeSent("outcome-1", at(2024, 4, 12))
    assert history(NOTIFIED, last_minute, as_of=at(2024, 5, 1)).steps[-1].reason == (
        "outcome sent to the subject"
    )
    assert "late" in history(NOTIFIED, midnight, as_of=at(2024, 5, 1)).steps[-1].reason


def test_an_outcome_before_the_resolution_has_no_effect() -> None:
    early = OutcomeSent("outcome-1", at(2024, 3, 20))
    dispute = history(NOTIFIED, early, as_of=at(2024, 3, 21))
    assert dispute.outcome_sent_at is None
    assert "has no effect: the dispute is not resolved yet" in dispute.steps[-1].reason


def test_a_second_outcome_has_no_effect() -> None:
    first = OutcomeSent("outcome-1", at(2024, 4, 8))
    second = OutcomeSent("outcome-2", at(2024, 4, 9))
    dispute = history(NOTIFIED, first, second, as_of=at(2024, 4, 10))
    assert dispute.outcome_sent_at == first.at
    assert "the outcome was already sent" in dispute.steps[-1].reason


# --- how the entry shows and counts ------------------------------------------------------------


def test_the_entry_shows_as_disputed_from_the_dispute_on_whatever_the_outcome() -> None:
    dispute = history(NOTIFIED, confirmed(at(2024, 3, 20)), as_of=at(2024, 6, 1))
    assert not dispute.disputed_at(DISPUTE.at - timedelta(seconds=1))
    assert dispute.disputed_at(DISPUTE.at)
    assert dispute.disputed_at(at(2025, 1, 1))


@pytest.mark.parametrize(
    ("facts", "counts"),
    [
        ([], True),  # open: the entry counts, shown as disputed
        ([NOTIFIED], True),
        ([NOTIFIED, confirmed(at(2024, 3, 20))], True),
        ([NOTIFIED, withdrawn(at(2024, 3, 20))], False),
    ],
)
def test_only_a_removed_entry_stops_counting(facts: list[DisputeFact], counts: bool) -> None:
    assert history(*facts, as_of=at(2024, 3, 25)).counts is counts


def test_a_removed_entry_counts_until_the_removal_is_known_and_never_after() -> None:
    assert history(NOTIFIED, as_of=DAY_30_ENDS - timedelta(seconds=1)).counts
    assert not history(NOTIFIED, as_of=DAY_30_ENDS).counts


def test_facts_before_the_dispute_are_refused() -> None:
    with pytest.raises(ValueError, match="precede the dispute"):
        history(SourceNotified("notified-0", at(2024, 3, 1)), as_of=at(2024, 4, 1))


def test_an_answer_is_confirmed_or_withdrawn() -> None:
    with pytest.raises(ValueError, match="'confirmed' or 'withdrawn'"):
        SourceAnswered("answer-1", DISPUTE.at, "maybe", "?")  # type: ignore[arg-type]


# --- properties ----------------------------------------------------------------------------------

HORIZON_HOURS = 60 * 24
offsets = st.integers(min_value=0, max_value=HORIZON_HOURS)
# Answers are rarer than the rest, so that many disputes run to their deadline.
KINDS = ["notified"] * 3 + ["information"] * 2 + ["outcome"] * 2 + ["confirmed", "withdrawn"]


@st.composite
def facts(draw: st.DrawFn) -> list[DisputeFact]:
    """Any facts about the dispute within 60 days of it, in any combination."""
    drawn: list[DisputeFact] = []
    for i in range(draw(st.integers(min_value=0, max_value=8))):
        moment = DISPUTE.at + timedelta(hours=draw(offsets))
        kind = draw(st.sampled_from(KINDS))
        fact_id = f"fact-{i}"
        if kind == "notified":
            drawn.append(SourceNotified(fact_id, moment))
        elif kind == "information":
            drawn.append(InformationAdded(fact_id, moment, "more"))
        elif kind == "outcome":
            drawn.append(OutcomeSent(fact_id, moment))
        elif kind == "confirmed":
            drawn.append(confirmed(moment, fact_id))
        else:
            drawn.append(withdrawn(moment, fact_id))
    return drawn


moments = st.integers(min_value=-24, max_value=HORIZON_HOURS + 30 * 24).map(
    lambda h: DISPUTE.at + timedelta(hours=h)
)


@settings(deadline=None, max_examples=300)
@given(data=st.data(), drawn=facts(), as_of=moments)
def test_any_order_of_arrival_gives_the_same_history(
    data: st.DataObject, drawn: list[DisputeFact], as_of: datetime
) -> None:
    arrived = data.draw(st.permutations(drawn))
    assert history(*arrived, as_of=as_of) == history(*drawn, as_of=as_of)


@settings(deadline=None, max_examples=300)
@given(drawn=facts(), as_of=moments)
def test_an_unconfirmed_entry_is_always_removed_by_day_30_or_45(
    drawn: list[DisputeFact], as_of: datetime
) -> None:
    dispute = history(*drawn, as_of=as_of)
    informed = any(isinstance(f, InformationAdded) and f.at < DAY_30_ENDS for f in drawn)
    deadline = DAY_45_ENDS if informed else DAY_30_ENDS
    if as_of >= deadline:
        assert dispute.resolved
    if dispute.resolved_at is not None:
        assert dispute.resolved_at <= deadline
    if dispute.state is State.CONFIRMED:
        assert dispute.resolved_at is not None
        assert dispute.resolved_at < deadline
    if dispute.state is State.REMOVED_UNVERIFIED:
        assert dispute.resolved_at in (DAY_30_ENDS, DAY_45_ENDS)
        assert not dispute.counts


_UNRESOLVED = {State.OPEN, State.SOURCE_NOTIFIED}


@settings(deadline=None, max_examples=300)
@given(drawn=facts(), as_of=moments)
def test_a_dispute_is_resolved_at_most_once_and_stays_so(
    drawn: list[DisputeFact], as_of: datetime
) -> None:
    dispute = history(*drawn, as_of=as_of)
    resolved = [i for i, s in enumerate(dispute.steps) if s.state not in _UNRESOLVED]
    if resolved:
        first = resolved[0]
        assert resolved == list(range(first, len(dispute.steps)))
        assert {s.state for s in dispute.steps[first:]} == {dispute.steps[first].state}
        assert dispute.resolved_at == dispute.steps[first].at


@settings(deadline=None, max_examples=200)
@given(drawn=facts(), earlier=moments, later=moments)
def test_later_facts_never_rewrite_earlier_history(
    drawn: list[DisputeFact], earlier: datetime, later: datetime
) -> None:
    earlier, later = min(earlier, later), max(earlier, later)
    before = history(*drawn, as_of=earlier).steps
    assert history(*drawn, as_of=later).steps[: len(before)] == before


@settings(deadline=None, max_examples=200)
@given(drawn=facts(), as_of=moments)
def test_every_fact_so_far_is_explained_by_a_step_in_time_order(
    drawn: list[DisputeFact], as_of: datetime
) -> None:
    dispute = history(*drawn, as_of=as_of)
    causes = {step.cause for step in dispute.steps}
    assert all(fact.id in causes for fact in drawn if fact.at <= as_of)
    times = [step.at for step in dispute.steps]
    assert times == sorted(times)
    assert all(DISPUTE.at <= moment <= as_of for moment in times)


def midnight_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=BEIJING)


@settings(deadline=None, max_examples=300)
@given(drawn=facts(), as_of=moments)
def test_a_missed_notice_always_leaves_one_overdue_step(
    drawn: list[DisputeFact], as_of: datetime
) -> None:
    dispute = history(*drawn, as_of=as_of)
    due = midnight_after(dispute.notify_source_by)
    notified = any(isinstance(f, SourceNotified) and f.at < due for f in drawn)
    answered = dispute.resolved_at is not None and dispute.resolved_at < due
    overdue = [s for s in dispute.steps if s.reason.startswith("overdue: the source")]
    missed = as_of >= due and not (notified or answered)
    assert [s.at for s in overdue] == ([due] if missed else [])
    told = any(isinstance(f, SourceNotified) and f.at <= as_of for f in drawn)
    started = as_of >= DISPUTE.at
    assert dispute.owes_source_notice is (started and not told and not dispute.resolved)


@settings(deadline=None, max_examples=300)
@given(drawn=facts(), as_of=moments)
def test_a_missed_outcome_always_leaves_one_overdue_step(
    drawn: list[DisputeFact], as_of: datetime
) -> None:
    dispute = history(*drawn, as_of=as_of)
    overdue = [s for s in dispute.steps if s.reason.startswith("overdue: the outcome")]
    if dispute.resolved_at is None or dispute.tell_subject_by is None:
        assert not overdue
        assert not dispute.owes_outcome
        return
    due = midnight_after(dispute.tell_subject_by)
    sent = [f.at for f in drawn if isinstance(f, OutcomeSent) and f.at >= dispute.resolved_at]
    missed = as_of >= due and not any(moment < due for moment in sent)
    assert [s.at for s in overdue] == ([due] if missed else [])
    assert dispute.owes_outcome is not any(moment <= as_of for moment in sent)
    assert dispute.counts is (dispute.state not in (State.WITHDRAWN, State.REMOVED_UNVERIFIED))
