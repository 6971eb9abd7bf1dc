"""The listing lifecycle of the court's list of dishonest judgment defaulters, step by step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.domain.cases import (
    AppealLodged,
    Correction,
    EarlyRemoval,
    Extension,
    NoticeServed,
    RemovalEvent,
    ReviewDecided,
)
from socialcredit.domain.cases import ListingFact as Fact
from socialcredit.domain.durations import parse_duration
from socialcredit.domain.listing import (
    Listing,
    ListRule,
    State,
    Trigger,
    listing_history,
    state_at,
)

BEIJING = timezone(timedelta(hours=8))
COURT_LIST = ListRule(
    id="dishonest-judgment-defaulters",
    kind="black",
    appeal_window=parse_duration("10d"),
    period=parse_duration("2y"),
    extension_most=parse_duration("3y"),
    removal_within=parse_duration("3wd"),
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


LISTED = Trigger("court-2024-0042", at(2024, 1, 25, 9), "court.defaulter_listed")
NOTICE = NoticeServed(
    "notice-1",
    at(2024, 1, 31, 10),
    reasons="able to perform judgment (2023) Lu 1003 Zhi 88 but refused",
    how_to_appeal="apply in writing to the Wendeng court for review",
    evidence=("court-2024-0041",),
)
# 31 Jan + 10 days falls in the Spring Festival break; the window runs to Sun 18 Feb (worked).
WINDOW_CLOSES = at(2024, 2, 19)


def history(*facts: Fact, as_of: datetime, trigger: Trigger = LISTED) -> Listing:
    return listing_history(COURT_LIST, trigger, facts, as_of=as_of)


def states(listing: Listing) -> list[State]:
    return [step.state for step in listing.steps]


# --- the whole story ---------------------------------------------------------------------------


def test_unappealed_listing_takes_effect_when_the_window_closes_and_ends_after_performance() -> (
    None
):
    performed = RemovalEvent("court-2024-0913", at(2024, 9, 27, 15), "court.judgment_performed")
    facts = [NOTICE, performed]

    def when(moment: datetime) -> State | None:
        return state_at(COURT_LIST, LISTED, facts, as_of=moment)

    assert when(at(2024, 1, 25, 8)) is None
    assert when(at(2024, 1, 25, 9)) is State.PROPOSED
    assert when(at(2024, 1, 31, 10)) is State.NOTICED
    assert when(WINDOW_CLOSES - timedelta(minutes=1)) is State.NOTICED
    assert when(WINDOW_CLOSES) is State.EFFECTIVE
    # Performed on Fri 27 Sep: three working days are Sun 29 Sep, Mon 30 Sep and Tue 8 Oct.
    assert when(at(2024, 10, 8, 23, 59)) is State.EFFECTIVE
    assert when(at(2024, 10, 9)) is State.REMOVED

    done = history(*facts, as_of=at(2025, 1, 1))
    assert states(done) == [
        State.PROPOSED,
        State.NOTICED,
        State.EFFECTIVE,
        State.EFFECTIVE,
        State.REMOVED,
    ]
    assert [s.cause for s in done.steps] == [
        LISTED.id,
        "notice-1",
        "notice-1",
        "court-2024-0913",
        "court-2024-0913",
    ]
    assert done.effective_from == WINDOW_CLOSES
    assert done.effective_until == at(2024, 10, 9)
    assert "no appeal by the end of 2024-02-18" in done.steps[2].reason
    assert "removal due by the end of 2024-10-08 (3wd)" in done.steps[3].reason


def test_notice_states_reasons_list_evidence_deadline_and_how_to_appeal() -> None:
    notice = history(NOTICE, as_of=at(2024, 2, 1)).notice
    assert notice is not None
    assert notice.list_id == "dishonest-judgment-defaulters"
    assert notice.reasons == NOTICE.reasons
    assert notice.evidence == (LISTED.id, "court-2024-0041")
    assert notice.how_to_appeal == NOTICE.how_to_appeal
    assert notice.appeal_by == date(2024, 2, 18)
    assert notice.appeal_closes == WINDOW_CLOSES


def test_effective_listing_shows_when_it_ends() -> None:
    listing = history(NOTICE, as_of=at(2024, 3, 1))
    assert listing.ends == at(2026, 2, 19)
    assert listing.removal_due is None
    assert listing.in_effect_at(at(2024, 3, 1))
    assert not listing.in_effect_at(at(2024, 2, 18, 23))


# --- the appeal window --------------------------------------------------------------------------


def test_appeal_window_ending_on_national_day_runs_past_the_holiday() -> None:
    notice = replace(NOTICE, at=at(2024, 9, 21, 10))
    trigger = replace(LISTED, at=at(2024, 9, 20))
    on_holiday = history(notice, as_of=at(2024, 10, 2), trigger=trigger)
    assert on_holiday.notice is not None
    assert on_holiday.notice.appeal_by == date(2024, 10, 8)
    assert on_holiday.state is State.NOTICED
    appeal = AppealLodged("appeal-1", at(2024, 10, 8, 17), "the judgment was performed")
    assert history(notice, appeal, as_of=at(2024, 11, 1), trigger=trigger).state is (
        State.UNDER_APPEAL
    )


def test_appeal_after_the_window_has_no_effect() -> None:
    late = AppealLodged("appeal-1", WINDOW_CLOSES, "too late")
    listing = history(NOTICE, late, as_of=at(2024, 3, 1))
    assert listing.state is State.EFFECTIVE
    assert listing.steps[-1].cause == "appeal-1"
    assert "window closed at the end of 2024-02-18" in listing.steps[-1].reason


def test_appeal_before_any_notice_has_no_effect() -> None:
    early = AppealLodged("appeal-1", at(2024, 1, 26), "no notice yet")
    listing = history(early, as_of=at(2024, 3, 1))
    assert listing.state is State.PROPOSED
    assert "no notice has been served" in listing.steps[-1].reason


def test_without_notice_a_blacklisting_never_takes_effect() -> None:
    assert history(as_of=at(2030, 1, 1)).state is State.PROPOSED


def test_appeal_upheld_after_the_window_takes_effect_at_the_review() -> None:
    appeal = AppealLodged("appeal-1", at(2024, 2, 5), "I cannot pay")
    upheld = ReviewDecided("review-1", at(2024, 2, 26, 11), "upheld", "assets found", "judge Li")
    listing = history(NOTICE, appeal, upheld, as_of=at(2024, 3, 1))
    assert states(listing)[1:] == [State.NOTICED, State.UNDER_APPEAL, State.EFFECTIVE]
    assert listing.effective_from == upheld.at
    assert listing.ends == at(2026, 2, 26, 11)
    assert listing.steps[-1].reason.startswith(
        "review by judge Li upheld the listing: assets found"
    )


def test_appeal_upheld_within_the_window_still_waits_for_it_to_close() -> None:
    appeal = AppealLodged("appeal-1", at(2024, 2, 1), "I cannot pay")
    upheld = ReviewDecided("review-1", at(2024, 2, 5), "upheld", "assets found", "judge Li")
    listing = history(NOTICE, appeal, upheld, as_of=at(2024, 3, 1))
    assert states(listing)[1:] == [
        State.NOTICED,
        State.UNDER_APPEAL,
        State.NOTICED,
        State.EFFECTIVE,
    ]
    assert listing.effective_from == WINDOW_CLOSES
    assert listing.steps[-1].cause == "review-1"


def test_second_appeal_has_no_effect() -> None:
    first = AppealLodged("appeal-1", at(2024, 2, 1), "I cannot pay")
    upheld = ReviewDecided("review-1", at(2024, 2, 5), "upheld", "assets found", "judge Li")
    again = AppealLodged("appeal-2", at(2024, 2, 6), "still cannot pay")
    listing = history(NOTICE, first, upheld, again, as_of=at(2024, 2, 7))
    assert listing.state is State.NOTICED
    assert "an appeal was already lodged" in listing.steps[-1].reason


def test_appeal_overturned_never_takes_effect() -> None:
    appeal = AppealLodged("appeal-1", at(2024, 2, 1), "I paid in full in December")
    overturned = ReviewDecided("review-1", at(2024, 2, 20), "overturned", "receipt", "judge Li")
    listing = history(NOTICE, appeal, overturned, as_of=at(2027, 1, 1))
    assert listing.state is State.OVERTURNED
    assert listing.effective_from is None
    assert "overturned the listing: receipt" in listing.steps[-1].reason


def test_review_without_an_appeal_has_no_effect() -> None:
    stray = ReviewDecided("review-1", at(2024, 2, 5), "overturned", "?", "judge Li")
    assert history(NOTICE, stray, as_of=at(2024, 2, 6)).state is State.NOTICED


# --- the period, extensions and removal -------------------------------------------------------


def test_listing_expires_when_its_two_year_period_ends() -> None:
    assert history(NOTICE, as_of=at(2026, 2, 18, 23, 59)).state is State.EFFECTIVE
    expired = history(NOTICE, as_of=at(2026, 2, 19))
    assert expired.state is State.EXPIRED
    assert expired.effective_until == at(2026, 2, 19)
    assert expired.steps[-1].reason == "the 2y period ended"


def test_extensions_are_capped_at_the_lists_longest() -> None:
    first = Extension("ext-1", at(2025, 6, 1), 2)
    second = Extension("ext-2", at(2025, 7, 1), 2)
    third = Extension("ext-3", at(2025, 8, 1), 1)
    listing = history(NOTICE, first, second, third, as_of=at(2026, 3, 1))
    assert listing.ends == at(2029, 2, 19)  # 2 years plus at most 3
    assert "capped at the list's longest extension, 3y" in listing.steps[-2].reason
    assert "has no effect" in listing.steps[-1].reason
    expired = history(NOTICE, first, second, third, as_of=at(2029, 2, 19))
    assert expired.state is State.EXPIRED
    assert expired.steps[-1].cause == "ext-2"


def test_a_list_without_extension_is_not_extended() -> None:
    rule = replace(COURT_LIST, extension_most=None)
    facts = [NOTICE, Extension("ext-1", at(2025, 6, 1), 1)]
    listing = listing_history(rule, LISTED, facts, as_of=at(2026, 3, 1))
    assert listing.state is State.EXPIRED


def test_performance_before_the_listing_takes_effect_removes_it_at_once() -> None:
    performed = RemovalEvent("court-2024-0205", at(2024, 2, 5), "court.judgment_performed")
    listing = history(NOTICE, performed, as_of=at(2024, 3, 1))
    assert listing.state is State.REMOVED
    assert listing.steps[-1].at == performed.at
    assert listing.effective_from is None


def test_early_removal_ends_an_effective_listing_now() -> None:
    performed = RemovalEvent("court-2024-0913", at(2024, 9, 27, 15), "court.judgment_performed")
    early = EarlyRemoval("removal-1", at(2024, 9, 29, 10), "performance confirmed")
    listing = history(NOTICE, performed, early, as_of=at(2024, 12, 1))
    assert listing.state is State.REMOVED
    assert listing.effective_until == early.at
    assert listing.steps[-1].cause == "removal-1"


# --- mistakes and minors -------------------------------------------------------------------------


def test_correction_withdraws_an_effective_listing() -> None:
    wrong = Correction("correction-1", at(2024, 5, 6, 14), "a different person of the same name")
    listing = history(NOTICE, wrong, as_of=at(2024, 6, 1))
    assert listing.state is State.CORRECTED
    assert listing.in_effect_at(at(2024, 5, 6, 13))
    assert not listing.in_effect_at(at(2024, 5, 6, 14))
    assert listing.steps[-1].reason.endswith("a different person of the same name")


def test_correction_of_an_expired_listing_records_it_was_wrong() -> None:
    wrong = Correction("correction-1", at(2026, 6, 1), "wrong person")
    listing = history(NOTICE, wrong, as_of=at(2026, 7, 1))
    assert states(listing)[-2:] == [State.EXPIRED, State.CORRECTED]
    assert listing.effective_until == at(2026, 2, 19)


def test_minor_is_never_listed() -> None:
    minor = replace(LISTED, born=date(2007, 3, 1))
    listing = history(NOTICE, as_of=at(2030, 1, 1), trigger=minor)
    assert states(listing) == [State.NOT_LISTED, State.NOT_LISTED]
    assert "minors are never listed" in listing.steps[0].reason
    assert listing.notice is None
    assert listing.effective_from is None


@pytest.mark.parametrize(
    ("born", "listed"),
    [
        (date(2006, 1, 25), True),  # eighteen that day
        (date(2006, 1, 26), False),  # eighteen the next day
        (date(2004, 2, 29), True),  # a 29 February birthday falls on 28 February
    ],
)
def test_adulthood_starts_on_the_eighteenth_birthday(born: date, listed: bool) -> None:
    act = at(2024, 1, 25, 9) if born.month == 1 else at(2022, 2, 28)
    trigger = replace(LISTED, at=act, born=born)
    expected = State.PROPOSED if listed else State.NOT_LISTED
    assert history(as_of=act, trigger=trigger).state is expected


# --- the rule ------------------------------------------------------------------------------------


def test_a_red_list_without_notice_takes_effect_at_once() -> None:
    red = ListRule("model-taxpayers", "red", parse_duration("10d"), parse_duration("1y"), False)
    listing = listing_history(red, LISTED, [], as_of=LISTED.at)
    assert listing.state is State.EFFECTIVE
    assert listing.effective_from == LISTED.at


def test_a_blacklist_without_notice_is_refused() -> None:
    with pytest.raises(ValueError, match="takes effect only after notice"):
        replace(COURT_LIST, notice=False)


def test_facts_before_the_trigger_are_refused() -> None:
    with pytest.raises(ValueError, match="precede the trigger"):
        history(replace(NOTICE, at=at(2024, 1, 1)), as_of=at(2024, 3, 1))


# --- properties ----------------------------------------------------------------------------------

HOURS = 4 * 365 * 24
# Most facts come soon after the trigger, where the window and the appeal are; some come late.
offsets = st.one_of(
    st.integers(min_value=0, max_value=40 * 24), st.integers(min_value=0, max_value=HOURS)
)
# Facts that end a listing are rarer, so that long lives, extensions and expiry are reached.
KINDS = ["notice"] * 3 + ["appeal", "review"] * 2 + ["extension"] * 3 + ["removal", "early", "fix"]


@st.composite
def facts(draw: st.DrawFn) -> list[Fact]:
    """Any facts about the listing within four years of its trigger, in any combination."""
    drawn: list[Fact] = []
    for i in range(draw(st.integers(min_value=0, max_value=10))):
        moment = LISTED.at + timedelta(hours=draw(offsets))
        kind = draw(st.sampled_from(KINDS))
        fact_id = f"fact-{i}"
        if kind == "notice":
            drawn.append(NoticeServed(fact_id, moment, "refused", "write to the court"))
        elif kind == "appeal":
            drawn.append(AppealLodged(fact_id, moment, "grounds"))
        elif kind == "review":
            outcome = draw(st.sampled_from(["upheld", "overturned"]))
            drawn.append(ReviewDecided(fact_id, moment, outcome, "reasons", "judge Li"))
        elif kind == "extension":
            years = draw(st.integers(min_value=0, max_value=4))
            drawn.append(Extension(fact_id, moment, years))
        elif kind == "removal":
            drawn.append(RemovalEvent(fact_id, moment, "court.judgment_performed"))
        elif kind == "early":
            drawn.append(EarlyRemoval(fact_id, moment, "reasons"))
        else:
            drawn.append(Correction(fact_id, moment, "reasons"))
    return drawn


moments = st.integers(min_value=-24, max_value=HOURS + 6 * 365 * 24).map(
    lambda h: LISTED.at + timedelta(hours=h)
)


@settings(deadline=None, max_examples=300)
@given(data=st.data(), drawn=facts(), as_of=moments)
def test_any_order_of_arrival_gives_the_same_history(
    data: st.DataObject, drawn: list[Fact], as_of: datetime
) -> None:
    arrived = data.draw(st.permutations(drawn))
    assert history(*arrived, as_of=as_of) == history(*drawn, as_of=as_of)


@settings(deadline=None, max_examples=300)
@given(drawn=facts(), as_of=moments)
def test_no_listing_takes_effect_before_its_notice_and_window(
    drawn: list[Fact], as_of: datetime
) -> None:
    listing = history(*drawn, as_of=as_of)
    if listing.effective_from is not None:
        assert listing.notice is not None
        assert listing.effective_from >= listing.notice.appeal_closes
        assert listing.notice.appeal_closes >= listing.notice.served_at + timedelta(days=10)


@settings(deadline=None, max_examples=300)
@given(drawn=facts(), as_of=moments)
def test_nothing_stays_in_effect_beyond_the_period_and_longest_extension(
    drawn: list[Fact], as_of: datetime
) -> None:
    listing = history(*drawn, as_of=as_of)
    if listing.effective_from is not None:
        longest = parse_duration("5y").after(listing.effective_from)
        assert not listing.in_effect_at(longest)
        assert listing.effective_until is None or listing.effective_until <= longest


@settings(deadline=None, max_examples=200)
@given(drawn=facts(), earlier=moments, later=moments)
def test_later_facts_never_rewrite_earlier_history(
    drawn: list[Fact], earlier: datetime, later: datetime
) -> None:
    earlier, later = min(earlier, later), max(earlier, later)
    before = history(*drawn, as_of=earlier).steps
    assert history(*drawn, as_of=later).steps[: len(before)] == before


@settings(deadline=None, max_examples=200)
@given(drawn=facts(), as_of=moments)
def test_every_fact_so_far_is_explained_by_a_step_in_time_order(
    drawn: list[Fact], as_of: datetime
) -> None:
    listing = history(*drawn, as_of=as_of)
    causes = {step.cause for step in listing.steps}
    assert all(fact.id in causes for fact in drawn if fact.at <= as_of and as_of >= LISTED.at)
    times = [step.at for step in listing.steps]
    assert times == sorted(times)
    assert all(LISTED.at <= moment <= as_of for moment in times)


@settings(deadline=None, max_examples=200)
@given(drawn=facts(), as_of=moments)
def test_a_minor_is_never_listed_whatever_follows(drawn: list[Fact], as_of: datetime) -> None:
    minor = replace(LISTED, born=date(2010, 1, 1))
    listing = history(*drawn, as_of=as_of, trigger=minor)
    assert listing.effective_from is None
    assert all(step.state is State.NOT_LISTED for step in listing.steps)
