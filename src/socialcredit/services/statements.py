"""A subject's record as data: the score statement and the explanation behind it.

The command line prints these and the HTTP API returns them; both get them from here. A
statement has the first scored scheme's standing at the top and every scheme's standing
under `schemes`; an explanation adds, under each scheme, every entry with its reason,
validity, whether it counts, has expired or is disputed, and lists the events that count
for nothing and why. Times are in each scheme's timezone, with their offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.errors import UnknownRecordError
from socialcredit.services.reading import Reading, SubjectRecord, read_subject
from socialcredit.storage import Store

__all__ = ["entries_of", "explanation", "read_known_subject", "standing_of", "statement"]

_UNSCORED = {"score": None, "grade": None, "direct_grade": None, "points": 0, "scored": False}


def read_known_subject(
    store: Store, subject: str, as_of: datetime, scheme_id: str | None = None
) -> SubjectRecord:
    """The subject's record, or UnknownRecordError when no event about them is stored."""
    record = read_subject(store, subject, as_of, scheme_id)
    if all(r.standing is None for r in record.readings) and record.unscored.is_empty():
        raise UnknownRecordError(f"no events about {subject} are stored")
    return record


def standing_of(reading: Reading, subject: str) -> dict[str, Any]:
    """One scheme's standing of the subject, with the moment and provenance."""
    zone = ZoneInfo(reading.scheme.plan.timezone)
    standing = reading.standing or _UNSCORED
    return {
        "subject": subject,
        "rulebook": reading.scheme.id,
        "score": standing["score"],
        "grade": standing["grade"],
        "direct_grade": standing["direct_grade"],
        "points": standing["points"],
        "scored": standing["scored"],
        "as_of": reading.as_of.astimezone(zone).isoformat(),
        "log_position": reading.log_position,
        "rulebooks": list(reading.scheme.versions),
    }


def _with_schemes(record: SubjectRecord, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The first scored scheme's row at the top, every scheme's under `schemes`."""
    scored = [r for r, reading in zip(rows, record.readings, strict=True) if reading.standing]
    return {**(scored or rows)[0], "schemes": rows}


def statement(record: SubjectRecord) -> dict[str, Any]:
    """The subject's score and grade under each scheme."""
    return _with_schemes(record, [standing_of(r, record.subject) for r in record.readings])


def entries_of(reading: Reading, subject: str) -> list[dict[str, Any]]:
    """The subject's entries under one scheme that had begun by the reading's moment, each
    with `counts` and `expired` at that moment."""
    zone = reading.scheme.plan.timezone
    at = reading.as_of.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    end = pl.min_horizontal("valid_until", "ended_at")
    frame = reading.entries.filter(
        (pl.col("subject") == subject) & (pl.col("valid_from") <= at)
    ).with_columns(
        counts=(pl.col("status") == "counted") & (end.is_null() | (end > at)),
        expired=pl.col("valid_until").is_not_null() & (pl.col("valid_until") <= at),
    )
    iso = "%Y-%m-%dT%H:%M:%S%:z"
    frame = frame.with_columns(
        pl.col(c).dt.replace_time_zone(zone, ambiguous="earliest").dt.strftime(iso)
        for c in ("valid_from", "valid_until", "ended_at")
    )
    return frame.drop("subject").to_dicts()


def explanation(record: SubjectRecord) -> dict[str, Any]:
    """The statement with every entry under each scheme, the events that count for
    nothing (`not_scored`, with why) and the subject's disputes."""
    schemes = [
        {**standing_of(r, record.subject), "entries": entries_of(r, record.subject)}
        for r in record.readings
    ]
    disputes = [
        {"ref": d.ref, "source": d.source, "event_id": d.event_id, "state": str(d.dispute.state)}
        for d in record.disputes
    ]
    return {
        **_with_schemes(record, schemes),
        "not_scored": record.unscored.to_dicts(),
        "disputes": disputes,
    }
