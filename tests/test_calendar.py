"""Working days and deadlines on China's calendar, adjusted working weekends included."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.domain.calendar import add_days, closes_at, is_working_day, last_day
from socialcredit.domain.durations import parse_duration

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2024, 3, 6), True),  # an ordinary Wednesday
        (date(2024, 3, 9), False),  # an ordinary Saturday
        (date(2024, 10, 1), False),  # National Day
        (date(2024, 10, 7), False),  # a Monday off in exchange for a worked weekend day
        (date(2024, 9, 29), True),  # a Sunday worked in lieu
        (date(2024, 10, 12), True),  # a Saturday worked in lieu
        (date(2024, 2, 12), False),  # Spring Festival
        (date(2024, 2, 17), False),  # the Saturday inside the Spring Festival break
        (date(2024, 2, 18), True),  # the Sunday worked after it
        (date(2024, 2, 4), True),  # the Sunday worked before it
    ],
)
def test_working_days_follow_the_published_schedule(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_calendar_days_are_plain_arithmetic() -> None:
    assert add_days(date(2024, 2, 8), 10, working=False) == date(2024, 2, 18)
    assert add_days(date(2024, 3, 1), -1, working=False) == date(2024, 2, 29)


def test_three_working_days_across_the_spring_festival() -> None:
    # Fri 9 Feb counts, 10-17 Feb are off, Sun 18 Feb is worked in lieu, then Mon 19 Feb.
    assert add_days(date(2024, 2, 8), 3, working=True) == date(2024, 2, 19)


def test_three_working_days_across_national_day() -> None:
    # Sun 29 Sep is worked, Mon 30 Sep counts, 1-7 Oct are off, Tue 8 Oct is the third.
    assert add_days(date(2024, 9, 27), 3, working=True) == date(2024, 10, 8)


def test_working_days_skip_an_ordinary_weekend() -> None:
    assert add_days(date(2024, 3, 8), 1, working=True) == date(2024, 3, 11)


def test_working_days_count_backwards() -> None:
    assert add_days(date(2024, 10, 8), -1, working=True) == date(2024, 9, 30)
    assert add_days(date(2024, 10, 8), -2, working=True) == date(2024, 9, 29)


def test_no_working_days_is_the_start_itself() -> None:
    assert add_days(date(2024, 10, 1), 0, working=True) == date(2024, 10, 1)


def test_a_calendar_period_ending_in_the_spring_festival_runs_to_the_next_working_day() -> None:
    # 31 Jan + 10 days is Sat 10 Feb, inside the break; the first day worked is Sun 18 Feb.
    assert last_day(date(2024, 1, 31), parse_duration("10d")) == date(2024, 2, 18)


def test_a_calendar_period_ending_on_national_day_runs_past_the_golden_week() -> None:
    assert last_day(date(2024, 9, 21), parse_duration("10d")) == date(2024, 10, 8)


def test_a_calendar_period_ending_on_a_saturday_runs_to_monday() -> None:
    assert last_day(date(2024, 3, 6), parse_duration("10d")) == date(2024, 3, 18)


def test_a_calendar_period_ending_on_a_saturday_worked_in_lieu_ends_that_day() -> None:
    assert last_day(date(2024, 10, 2), parse_duration("10d")) == date(2024, 10, 12)


def test_a_working_day_period_ends_on_its_last_working_day() -> None:
    assert last_day(date(2024, 9, 27), parse_duration("3wd")) == date(2024, 10, 8)


def test_a_period_of_months_clamps_to_the_month_end() -> None:
    assert last_day(date(2024, 1, 31), parse_duration("1mo")) == date(2024, 2, 29)


def test_a_period_closes_at_midnight_after_its_last_day_in_the_same_timezone() -> None:
    served = datetime(2024, 1, 31, 16, 45, tzinfo=BEIJING)
    closes = closes_at(served, parse_duration("10d"))
    assert closes == datetime(2024, 2, 19, tzinfo=BEIJING)
    assert closes.tzinfo is BEIJING


def test_another_countrys_calendar() -> None:
    assert not is_working_day(date(2024, 7, 4), "US")
    assert is_working_day(date(2024, 10, 1), "US")


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(ValueError, match="no public holiday calendar for country 'XX'"):
        is_working_day(date(2024, 1, 2), "XX")


days = st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 6, 30))


@settings(deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=40))
def test_n_working_days_later_is_a_working_day_with_n_working_days_up_to_it(
    start: date, n: int
) -> None:
    end = add_days(start, n, working=True)
    between = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert is_working_day(end)
    assert sum(is_working_day(day) for day in between) == n


@settings(deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=60))
def test_a_calendar_period_ends_on_the_first_working_day_at_or_after_its_plain_end(
    start: date, n: int
) -> None:
    plain = start + timedelta(days=n)
    end = last_day(start, parse_duration(f"{n}d"))
    assert end >= plain
    assert is_working_day(end)
    assert not any(is_working_day(plain + timedelta(days=i)) for i in range((end - plain).days))
