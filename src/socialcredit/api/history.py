"""`GET /subjects/{subject}/history`: a subject's score and grade over a range of time.

Each point is the standing `GET /subjects/{subject}/score` gives as of that moment, read
from the stored facts as of it (disputes settled by then, repairs approved by then), so a
point never differs from the score asked for at the same moment. The moments are the month
ends of each scheme's timezone in the range (`every=month`), or the moments one of the
subject's entries starts or stops counting (`every=change`); both add the end of the range.
Moments at which the same events count share one derivation, each reading its standing
from it; a range holds at most `MAX_POINTS` of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from socialcredit.api.auth import Caller, reading_subject
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES, ApiError
from socialcredit.api.subjects import NOT_FOUND, SchemeQuery, asked_moment
from socialcredit.services.access_log import log_reads
from socialcredit.services.reading import Reading, SubjectRecord, read_subject_over
from socialcredit.services.statements import entries_of, read_known_subject, standing_of
from socialcredit.storage import Store

__all__ = ["MAX_POINTS", "router"]

router = APIRouter(prefix="/subjects/{subject}", tags=["subjects"])

AnyReader = Annotated[Caller, Depends(reading_subject("admin", "reviewer"))]
MAX_POINTS = 60
_ENDS = ("valid_from", "valid_until", "ended_at")


class Point(BaseModel):
    """The standing under one scheme as of one moment."""

    as_of: str = Field(description="The moment, in the scheme's timezone.")
    score: int | None = Field(description="None when not scored (no consent to opt-in).")
    grade: str | None
    direct_grade: str | None = Field(description="The worst valid direct grade, if any.")
    points: int
    scored: bool


class Series(BaseModel):
    """One scheme's standings at the moments asked, oldest first."""

    rulebook: str = Field(description="The scheme (a published rulebook id).")
    rulebooks: list[str] = Field(description="Every rulebook@version the scheme is made of.")
    points: list[Point]


class History(BaseModel):
    """The subject's standing under each scheme at each moment of the range."""

    subject: str
    every: Literal["month", "change"]
    start: datetime = Field(alias="from", description="The start of the range.")
    end: datetime = Field(alias="to", description="The end of the range.")
    log_position: int = Field(description="The last event of the subject's record it saw.")
    schemes: list[Series]


def _month_ends(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """The last local microsecond of each month ending in [start, end]; one more than
    `MAX_POINTS` at most."""
    local = start.astimezone(zone)
    year, month = local.year, local.month
    found: list[datetime] = []
    while len(found) <= MAX_POINTS:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        moment = datetime(year, month, 1, tzinfo=zone) - timedelta(microseconds=1)
        if moment > end:
            break
        if moment >= start:
            found.append(moment)
    return found


def _changes(reading: Reading, subject: str, start: datetime, end: datetime) -> list[datetime]:
    """`start`, and each moment in the range an entry starts or stops counting."""
    found = {start}
    for entry in entries_of(reading, subject):
        if entry["status"] == "counted":
            moments = (datetime.fromisoformat(entry[key]) for key in _ENDS if entry[key])
            found.update(at for at in moments if start < at <= end)
    return sorted(found)


def _moments(
    reading: Reading, subject: str, every: str, start: datetime, end: datetime
) -> set[datetime]:
    if every == "month":
        return {*_month_ends(start, end, ZoneInfo(reading.scheme.plan.timezone)), end}
    return {*_changes(reading, subject, start, end), end}


def _point(reading: Reading, subject: str) -> Point:
    return Point.model_validate(standing_of(reading, subject))


def _series(
    store: Store,
    ended: tuple[datetime, SubjectRecord],
    wanted: dict[str, set[datetime]],
    scheme: str | None,
) -> dict[str, list[Point]]:
    """Each scheme's points at its own moments, every moment read once; `ended` is the end
    of the range and the record there, read already."""
    end, record = ended
    subject = record.subject
    found: dict[str, list[Point]] = {name: [] for name in wanted}
    moments = set().union(*wanted.values()) - {end}
    records = {**read_subject_over(store, subject, moments, scheme), end: record}
    for moment, record in sorted(records.items()):
        for reading in record.readings:
            if moment in wanted.get(reading.scheme.id, ()):
                found[reading.scheme.id].append(_point(reading, subject))
    return found


def _range(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    last = asked_moment(end, now, "to")
    first = asked_moment(start, last - timedelta(days=365), "from")
    if first > last:
        raise ApiError(422, "invalid_request", "query.from: must not be after `to`")
    return first, last


def _bounded(moments: Iterable[datetime]) -> None:
    if len(set(moments)) > MAX_POINTS:
        raise ApiError(
            422,
            "invalid_request",
            f"the range holds more than {MAX_POINTS} moments to read: narrow it with `from` "
            "and `to`",
        )


@router.get(
    "/history",
    summary="A subject's score and grade over time",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def history(
    subject: str,
    store: Stored,
    now: Now,
    who: AnyReader,
    start: Annotated[
        datetime | None,
        Query(alias="from", description="ISO 8601 with offset; default: a year before `to`."),
    ] = None,
    end: Annotated[
        datetime | None, Query(alias="to", description="ISO 8601 with offset; default: now.")
    ] = None,
    every: Annotated[
        Literal["month", "change"],
        Query(description="`month`: at each month end; `change`: when an entry starts or ends."),
    ] = "month",
    rulebook: SchemeQuery = None,
) -> History:
    """The subject's score and grade under each scheme at each month end of the range (or
    at each moment an entry of theirs starts or stops counting), and at its end."""
    first, last = _range(start, end, now)
    record = read_known_subject(store, subject, last, rulebook)
    wanted = {r.scheme.id: _moments(r, subject, every, first, last) for r in record.readings}
    _bounded(moment for moments in wanted.values() for moment in moments)
    points = _series(store, (last, record), wanted, rulebook)
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="history", at=now)
    schemes = [
        Series(rulebook=r.scheme.id, rulebooks=list(r.scheme.versions), points=points[r.scheme.id])
        for r in record.readings
    ]
    return History.model_validate(
        {
            "subject": subject,
            "every": every,
            "from": first,
            "to": last,
            "log_position": record.readings[0].log_position if record.readings else 0,
            "schemes": schemes,
        }
    )
