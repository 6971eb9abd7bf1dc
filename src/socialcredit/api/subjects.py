"""A subject's record: score, explanation, notices, and who asked about them.

The subject reads their own; admins (and reviewers, for score and explanation) read any,
and each such read is logged for the subject to see under `/access`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from socialcredit.api.auth import Caller, reading_subject
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from socialcredit.services.access_log import access_of, log_reads
from socialcredit.services.outbox import notices_of
from socialcredit.services.statements import explanation, read_known_subject, statement

__all__ = ["NOT_FOUND", "SchemeQuery", "asked_moment", "router"]

router = APIRouter(prefix="/subjects/{subject}", tags=["subjects"])

AnyReader = Annotated[Caller, Depends(reading_subject("admin", "reviewer"))]
AdminReader = Annotated[Caller, Depends(reading_subject("admin"))]
AsOf = Annotated[
    datetime | None,
    Query(description="An ISO 8601 moment with offset; default: now."),
]
SchemeQuery = Annotated[
    str | None, Query(description="Only this scheme (a published rulebook id).")
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No event about the subject is stored."}
}


class Standing(BaseModel):
    """A subject's standing under one scheme as of a moment."""

    subject: str
    rulebook: str = Field(description="The scheme (a published rulebook id).")
    score: int | None = Field(description="None when not scored (no consent to opt-in).")
    grade: str | None
    direct_grade: str | None = Field(description="The worst valid direct grade, if any.")
    points: int
    scored: bool
    as_of: str = Field(description="The moment, in the scheme's timezone.")
    log_position: int = Field(description="The last event of the subject's record it saw.")
    rulebooks: list[str] = Field(description="Every rulebook@version the scheme is made of.")


class Statement(Standing):
    """The first scored scheme's standing, and every scheme's under `schemes`."""

    schemes: list[Standing]


class Entry(BaseModel):
    """One entry behind a standing: points or a direct grade from one rule and one event."""

    model_config = ConfigDict(extra="allow")

    event_id: str
    source: str
    type: str
    rule: str
    rulebook: str = Field(description="rulebook@version of the rule.")
    status: str
    applied_points: int
    valid_from: str | None
    valid_until: str | None = Field(description="When it expires; None: never.")
    reason: str
    counts: bool = Field(description="Whether it bears on the standing at the moment.")
    expired: bool
    disputed: bool
    dispute: str | None = Field(description="The ref of the dispute of its event, if any.")


class SchemeExplanation(Standing):
    """One scheme's standing and every entry behind it."""

    entries: list[Entry]


class NotScored(BaseModel):
    """An event that counts for nothing, and why."""

    model_config = ConfigDict(extra="allow")

    source: str
    id: str
    type: str
    why: str


class Explanation(SchemeExplanation):
    """The first scored scheme's standing and entries, every scheme's under `schemes`, the
    events that count for nothing and the subject's disputes."""

    schemes: list[SchemeExplanation]
    not_scored: list[NotScored]
    disputes: list[dict[str, Any]]


class Read(BaseModel):
    """One read of the subject's data: who, in which role, what, for what purpose, when."""

    who: str
    role: str
    what: str
    purpose: str | None
    at: datetime


class Notice(BaseModel):
    """A notice to the subject, its content under `data`, with every delivery attempt."""

    kind: str
    ref: str
    at: str
    data: dict[str, Any]
    deliveries: list[dict[str, Any]]


def asked_moment(as_of: datetime | None, now: datetime, name: str = "as_of") -> datetime:
    """The moment a query asks about (`now` if none): aware, and in a year from 1900 to 2200."""
    if as_of is None:
        return now
    if as_of.tzinfo is None:
        raise ApiError(
            422,
            "invalid_request",
            f"query.{name}: give an offset, e.g. 2026-03-01T12:00:00+08:00",
        )
    if not 1900 <= as_of.year <= 2200:
        raise ApiError(422, "invalid_request", f"query.{name}: a year from 1900 to 2200")
    return as_of


@router.get(
    "/score",
    summary="A subject's score and grade under each scheme",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def score(
    subject: str,
    store: Stored,
    now: Now,
    who: AnyReader,
    as_of: AsOf = None,
    rulebook: SchemeQuery = None,
) -> Statement:
    """The subject's score and grade under every published scheme, from the stored facts."""
    record = read_known_subject(store, subject, asked_moment(as_of, now), rulebook)
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="score", at=now)
    return Statement.model_validate(statement(record))


@router.get(
    "/explain",
    summary="Every entry behind a subject's standing, and why",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
def explain(
    subject: str,
    store: Stored,
    now: Now,
    who: AnyReader,
    as_of: AsOf = None,
    rulebook: SchemeQuery = None,
) -> Explanation:
    """Each entry with its rule, rulebook version, source, event, points, validity and
    whether it counts, has expired or is disputed; and the events that count for nothing
    (voided, removed by a dispute, pending, rejected), with why."""
    record = read_known_subject(store, subject, asked_moment(as_of, now), rulebook)
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="explain", at=now)
    return Explanation.model_validate(explanation(record))


@router.get(
    "/access",
    summary="Who asked about the subject",
    responses={**ERROR_RESPONSES},
)
def access(subject: str, store: Stored, now: Now, who: AdminReader) -> list[Read]:
    """Every logged read of the subject's data (decisions included), oldest first."""
    reads = [Read.model_validate(r) for r in access_of(store, subject)]
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="access", at=now)
    return reads


@router.get(
    "/notices",
    summary="The subject's notices",
    responses={**ERROR_RESPONSES},
)
def notices(subject: str, store: Stored, now: Now, who: AdminReader) -> list[Notice]:
    """Listing notices, adverse-action notices, dispute outcomes and repair decisions, each
    with its delivery attempts, in the order served."""
    found = [Notice.model_validate(n) for n in notices_of(store, subject)]
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="notices", at=now)
    return found
