"""Working days and deadlines: how long a due-process period runs, counted in days.

Rest days come from the `holidays` package: the country's weekend and public holidays. For
China it also lists the adjusted working days (调休): a Saturday or Sunday worked in exchange
for a longer holiday, such as Sunday 2024-02-18 after the Spring Festival. Those count as
working days here. The State Council publishes each year's adjustments late in the year
before, so a year the package does not yet cover has only its weekends and statutory holidays.

A period is counted from the day after its start. A calendar period whose last day is a rest
day ends on the next working day instead, as the Civil Procedure Law counts periods. A period
of working days always ends on a working day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from socialcredit.domain.durations import Duration, add_months

__all__ = ["add_days", "closes_at", "is_working_day", "last_day"]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class _Year:
    """One country's rest days in one year."""

    weekend: frozenset[int]
    holidays: frozenset[date]
    weekend_workdays: frozenset[date]


@lru_cache(maxsize=512)
def _year(country: str, year: int) -> _Year:
    try:
        found = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        raise ValueError(f"no public holiday calendar for country {country!r}") from None
    return _Year(
        weekend=frozenset(found.weekend),
        holidays=frozenset(found),
        # The package keeps some earlier years' adjusted days in every instance.
        weekend_workdays=frozenset(d for d in found.weekend_workdays if d.year == year),
    )


def is_working_day(day: date, country: str = "CN") -> bool:
    """True unless `day` is a weekend day (not worked in lieu) or a public holiday."""
    year = _year(country, day.year)
    if day.weekday() in year.weekend:
        return day in year.weekend_workdays
    return day not in year.holidays


def add_days(start: date, n: int, *, working: bool, country: str = "CN") -> date:
    """`start` moved by `n` days; with `working`, the n-th working day after it (before, if n<0)."""
    if not working:
        return start + timedelta(days=n)
    step = _ONE_DAY if n > 0 else -_ONE_DAY
    day = start
    for _ in range(abs(n)):
        day += step
        while not is_working_day(day, country):
            day += step
    return day


def last_day(start: date, length: Duration, country: str = "CN") -> date:
    """The last day of a period of `length` counted from the day after `start`."""
    if length.working_days:
        return add_days(start, length.working_days, working=True, country=country)
    day = add_months(start, length.months) + timedelta(days=length.days)
    while not is_working_day(day, country):
        day += _ONE_DAY
    return day


def closes_at(start: datetime, length: Duration, country: str = "CN") -> datetime:
    """The moment a period of `length` from `start` has run out: midnight after its last day.

    The days are `start`'s wall-clock days, and the moment is in `start`'s timezone.
    """
    end = last_day(start.date(), length, country) + _ONE_DAY
    return datetime.combine(end, time(), tzinfo=start.tzinfo)
