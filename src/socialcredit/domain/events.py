"""Events as sources report them, and the entries and standings derived from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime

__all__ = ["ENTRY_COLUMNS", "STANDING_COLUMNS", "TOP_LEVEL", "Entry", "Event", "Standing"]


@dataclass(frozen=True)
class Event:
    """A reported act about one subject; `(source, id)` identifies it."""

    id: str
    source: str
    subject: str
    type: str
    occurred_at: datetime
    act: str | None = None
    data: Mapping[str, object] = field(default_factory=dict)
    jurisdiction: str | None = None


@dataclass(frozen=True)
class Entry:
    """Points or a direct grade for one subject from one rule and one event, with its window.

    Times are wall-clock times in the rulebook's timezone. An entry counts while `status`
    is "counted" and `valid_from <= t < end`, where end is the earlier of `valid_until` and
    `ended_at` (a later report of the same act, or a repair).
    """

    subject: str
    event_id: str
    source: str
    type: str
    rule: str
    rulebook: str
    kind: str
    status: str
    base_points: int
    applied_points: int
    grade: str | None
    doubled: bool
    capped: bool
    valid_from: datetime
    valid_until: datetime | None
    ended_at: datetime | None = None
    ended_by: str | None = None

    @property
    def end(self) -> datetime | None:
        """When the entry stops counting: expiry, or an earlier end by act or repair."""
        if self.ended_at is None:
            return self.valid_until
        if self.valid_until is None:
            return self.ended_at
        return min(self.ended_at, self.valid_until)

    def counts_at(self, moment: datetime) -> bool:
        """True if the entry bears on the score at this wall-clock moment."""
        end = self.end
        return (
            self.status == "counted" and self.valid_from <= moment and (end is None or moment < end)
        )


@dataclass(frozen=True)
class Standing:
    """A subject's score, grade and worst valid direct grade as of one moment."""

    subject: str
    score: int | None
    grade: str | None
    direct_grade: str | None
    points: int
    scored: bool


# The column names of entry and standing frames, wherever they are made or kept.
ENTRY_COLUMNS = tuple(f.name for f in fields(Entry))
STANDING_COLUMNS = tuple(f.name for f in fields(Standing))

# The top-level fields of an event on the wire; every other field is under `data`.
TOP_LEVEL = ("id", "source", "subject", "type", "occurred_at", "jurisdiction", "act")
