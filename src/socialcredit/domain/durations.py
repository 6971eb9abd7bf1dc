"""Calendar durations as rulebooks write them ("1y", "18mo", "10d", "3wd").

Years and months are calendar arithmetic: 2024-03-01 + 1y = 2025-03-01, and a day that
does not exist in the target month clamps to its last day (2024-02-29 + 1y = 2025-02-28),
the same convention as Polars' `dt.offset_by`, so the kernel and the reference agree.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = ["Duration", "add_months", "parse_duration"]

_PATTERN = re.compile(r"^\s*(\d+)\s*(y|mo|w|d|wd)\s*$")
_UNIT_WORDS = {"y": "year", "mo": "month", "w": "week", "d": "day", "wd": "working day"}


@dataclass(frozen=True, order=True)
class Duration:
    """A calendar length: whole months plus days, or working days (never mixed)."""

    months: int = 0
    days: int = 0
    working_days: int = 0

    @property
    def text(self) -> str:
        """The canonical spelling, as a rulebook would write it."""
        if self.working_days:
            return f"{self.working_days}wd"
        if self.months and not self.days:
            return f"{self.months // 12}y" if self.months % 12 == 0 else f"{self.months}mo"
        return f"{self.days}d"

    @property
    def polars_offset(self) -> str:
        """The same length as a Polars `offset_by` string (calendar durations only)."""
        return f"{self.months}mo{self.days}d"

    def longest_days(self) -> int:
        """An upper bound of the duration in days, whatever the start date."""
        return self.months * 31 + self.days + self.working_days * 3

    def shortest_days(self) -> int:
        """A lower bound of the duration in days, whatever the start date."""
        years, months = divmod(self.months, 12)
        # A run of years may hold no 29 February at all (2097 to 2102 skips 2100).
        return years * 365 + months * 28 + self.days + self.working_days

    def after(self, moment: datetime) -> datetime:
        """The moment this long after `moment`, in the same wall-clock calendar."""
        if self.working_days:
            raise ValueError("working days need a holiday calendar")
        shifted = add_months(moment.date(), self.months)
        return datetime.combine(shifted, moment.timetz()).replace(fold=moment.fold) + _days(
            self.days
        )

    def __str__(self) -> str:
        return self.text


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the last day of the month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def parse_duration(text: str) -> Duration:
    """Parse "5y", "18mo", "2w", "10d" or "3wd"; raises ValueError naming the accepted units."""
    match = _PATTERN.match(text)
    if not match:
        units = ", ".join(f'"{u}" ({w}s)' for u, w in _UNIT_WORDS.items())
        raise ValueError(f"{text!r} is not a duration; write a whole number and one of {units}")
    n, unit = int(match.group(1)), match.group(2)
    if unit == "y":
        return Duration(months=12 * n)
    if unit == "mo":
        return Duration(months=n)
    if unit == "w":
        return Duration(days=7 * n)
    if unit == "wd":
        return Duration(working_days=n)
    return Duration(days=n)
