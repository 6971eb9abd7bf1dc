"""Disputes: the subject contests an entry of theirs and adds information; the source whose
event it is confirms or withdraws it; the platform's reviewer (or an admin) may remove the
entry the source cannot substantiate, or leave the dispute to the source; the subject (or an
admin or reviewer) reads them.

A dispute is named by its ref (`X-<log position of the event>`). Only the subject it is
about reads it or acts on it as subject, and only the source that reported the event
answers it; any other caller of those roles is refused the same way whether the ref exists
or not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from socialcredit.api.auth import Caller, concerning, reading_subject, requiring
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from socialcredit.errors import SocialCreditError
from socialcredit.services.access_log import log_reads
from socialcredit.services.dispute_casework import (
    add_information,
    answer_dispute,
    dispute_dict,
    disputes_of,
    find_dispute,
    open_dispute,
    review_dispute,
)
from socialcredit.services.disputes import SubjectDispute

__all__ = ["router"]

router = APIRouter(tags=["disputes"])

Disputant = Annotated[Caller, Depends(reading_subject())]
Subject = Annotated[Caller, Depends(requiring("subject"))]
Source = Annotated[Caller, Depends(requiring("source"))]
AnyReader = Annotated[Caller, Depends(reading_subject("admin", "reviewer"))]
Concerned = Annotated[Caller, Depends(requiring("subject", "reviewer", "admin"))]
Reviewer = Annotated[Caller, Depends(requiring("reviewer", "admin"))]

_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    400: {"model": ErrorBody, "description": "The service refused it; the message says why."},
}
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    400: {"model": ErrorBody, "description": "Not a dispute ref."},
    404: {"model": ErrorBody, "description": "No such dispute."},
}


class Step(BaseModel):
    """One step of a dispute's history."""

    at: str | None
    state: str
    reason: str | None
    cause: str | None


class Dispute(BaseModel):
    """A dispute: what is disputed, where it stands, its deadlines and its history."""

    ref: str = Field(description="The dispute's ref, `X-<log position of the event>`.")
    subject: str
    scheme: str
    source: str = Field(description="The source that reported the disputed event.")
    event_id: str
    rule: str
    grounds: str
    state: str | None
    disputed: bool = Field(description="Whether the entry shows as disputed.")
    counts: bool = Field(description="Whether the event still counts.")
    resolved: bool
    opened_at: str | None
    notify_source_by: str | None = Field(description="The day the source must be told by.")
    resolve_by: str | None = Field(description="The day the source must answer by.")
    tell_subject_by: str | None
    source_notified_at: str | None
    resolved_at: str | None
    outcome_sent_at: str | None
    steps: list[Step]


class DisputeRequest(BaseModel):
    """The entry disputed (by its event, and its rule if the event makes more than one),
    and why it is wrong."""

    source: str = Field(min_length=1, max_length=200, description="The event's source.")
    event_id: str = Field(min_length=1, max_length=200, description="The event's id there.")
    rule: str | None = Field(default=None, max_length=200)
    grounds: str = Field(min_length=1, max_length=4000, description="Why the entry is wrong.")


class InformationRequest(BaseModel):
    """Information the subject adds; added within 30 days, it gives the source 45."""

    info: str = Field(min_length=1, max_length=4000)


class AnswerRequest(BaseModel):
    """The source's answer: the event confirmed as reported, or withdrawn (removed now)."""

    answer: Literal["confirm", "withdraw"]
    reason: str = Field(min_length=1, max_length=4000)


class ReviewRequest(BaseModel):
    """The reviewer's decision: `removed` (the source cannot substantiate the entry; it is
    removed in the subject's favour, now) or `left_to_source`, with reasons."""

    outcome: Literal["removed", "left_to_source"]
    reasons: str = Field(min_length=1, max_length=4000)


def _shown(found: SubjectDispute) -> Dispute:
    return Dispute.model_validate(dispute_dict(found))


def _own(store: Stored, ref: str, now: datetime, allowed: str, by_source: bool) -> SubjectDispute:
    """The dispute `ref` names, if `allowed` is its subject (or its source); 403 otherwise,
    the same whether the ref exists or not."""
    try:
        found = find_dispute(store, ref, now)
    except SocialCreditError:
        found = None
    party = None if found is None else (found.source if by_source else found.subject)
    if found is None or party != allowed:
        whose = (
            "a source answers only disputes of its own events"
            if by_source
            else ("a subject's token acts only on that subject's own disputes")
        )
        raise ApiError(403, "not_own_record", f"{whose}; {ref} is not one of them")
    return found


@router.post(
    "/subjects/{subject}/disputes",
    status_code=201,
    summary="Dispute an entry",
    responses=_WRITE_ERRORS,
)
def open_(subject: str, body: DisputeRequest, store: Stored, now: Now, who: Disputant) -> Dispute:
    """Dispute the entry an event of the subject's makes: it shows as disputed at once, the
    source is told within 5 working days and must confirm it within 30 days, or it is
    removed."""
    found = open_dispute(
        store,
        subject,
        source=body.source,
        event_id=body.event_id,
        rule=body.rule,
        grounds=body.grounds,
        at=now,
    )
    return _shown(found)


@router.post(
    "/disputes/{ref}/information",
    summary="Add information to a dispute",
    responses=_WRITE_ERRORS,
)
def inform(ref: str, body: InformationRequest, store: Stored, now: Now, who: Subject) -> Dispute:
    """Add information to one of the subject's own disputes."""
    _own(store, ref, now, who.principal, by_source=False)
    return _shown(add_information(store, ref, body.info, at=now))


@router.post(
    "/disputes/{ref}/answer",
    summary="Answer a dispute of the source's event",
    responses=_WRITE_ERRORS,
)
def answer(ref: str, body: AnswerRequest, store: Stored, now: Now, who: Source) -> Dispute:
    """The source's answer: `confirm` (the entry stands) or `withdraw` (the event is
    removed and the subject re-derived now)."""
    _own(store, ref, now, who.principal, by_source=True)
    outcome: Literal["confirmed", "withdrawn"] = (
        "confirmed" if body.answer == "confirm" else "withdrawn"
    )
    return _shown(answer_dispute(store, ref, outcome, body.reason, at=now))


@router.post(
    "/disputes/{ref}/review",
    summary="Decide a dispute as the platform's reviewer",
    responses={**_WRITE_ERRORS, 404: _READ_ERRORS[404]},
)
def review(ref: str, body: ReviewRequest, store: Stored, now: Now, who: Reviewer) -> Dispute:
    """Remove the entry of an unresolved dispute that its source cannot substantiate (the
    subject re-derived now, the outcome sent to the subject by the deadline job), or leave
    the dispute to the source; the reviewer recorded is the token's principal."""
    found = review_dispute(store, ref, body.outcome, body.reasons, by=who.principal, at=now)
    return _shown(found)


@router.get(
    "/subjects/{subject}/disputes",
    summary="A subject's disputes",
    responses={**ERROR_RESPONSES},
)
def listed(subject: str, store: Stored, now: Now, who: AnyReader) -> list[Dispute]:
    """Every dispute of the subject, with its state, deadlines and history, oldest first."""
    found = [_shown(d) for d in disputes_of(store, subject, now)]
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="disputes", at=now)
    return found


@router.get("/disputes/{ref}", summary="A dispute by its ref", responses=_READ_ERRORS)
def one(ref: str, store: Stored, now: Now, who: Concerned) -> Dispute:
    """One dispute, with its state, deadlines and history: the disputing subject's own, or
    any for a reviewer or admin (a read logged for the subject)."""
    found = concerning(who, lambda: find_dispute(store, ref, now), lambda d: d.subject, "disputes")
    log_reads(
        store, who=who.principal, role=who.role, subjects=[found.subject], what="dispute", at=now
    )
    return _shown(found)
