"""The reviewer's queue of pending events: events from low-trust sources that no second
source has corroborated, and the decision on each (final, with reasons).

Showing a pending event shows personal data about its subject, so listing the queue is
logged as a read of each subject in it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from socialcredit.api.auth import Caller, requiring
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES, ErrorBody
from socialcredit.services.access_log import log_reads
from socialcredit.services.registry import awaiting_review, review

__all__ = ["router"]

router = APIRouter(prefix="/pending", tags=["reviewers"])

Reviewer = Annotated[Caller, Depends(requiring("reviewer", "admin"))]


class PendingEvent(BaseModel):
    """An event awaiting review."""

    seq: int = Field(description="Its position in the log.")
    source: str
    id: str
    subject: str
    type: str
    occurred_at: str
    data: dict[str, Any]


class ReviewRequest(BaseModel):
    """Why the event is approved or rejected; recorded with the decision."""

    reason: str = Field(min_length=1, max_length=2000)


class Reviewed(BaseModel):
    """The decision recorded; the subject's standing was re-derived with it."""

    source: str
    id: str
    decision: Literal["approve", "reject"]
    reviewer: str
    subject: str


@router.get("", summary="Pending events awaiting review", responses={**ERROR_RESPONSES})
def pending(store: Stored, now: Now, who: Reviewer) -> list[PendingEvent]:
    """Pending events no second source has corroborated and no reviewer has decided, in
    log order."""
    rows = awaiting_review(store).to_dicts()
    log_reads(
        store,
        who=who.principal,
        role=who.role,
        subjects=[r["subject"] for r in rows],
        what="pending event",
        at=now,
    )
    return [PendingEvent.model_validate({**r, "data": json.loads(r["data"])}) for r in rows]


_REVIEW_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    404: {"model": ErrorBody, "description": "No such event is stored."},
    409: {"model": ErrorBody, "description": "Not pending, or already reviewed."},
}


def _review(
    source: str,
    event_id: str,
    decision: Literal["approve", "reject"],
    body: ReviewRequest,
    store: Stored,
    now: Now,
    who: Caller,
) -> Reviewed:
    subject = review(
        store,
        source,
        event_id,
        decision=decision,
        reviewer=who.principal,
        reason=body.reason,
        at=now,
    )
    return Reviewed(
        source=source, id=event_id, decision=decision, reviewer=who.principal, subject=subject
    )


@router.post(
    "/{source}/{event_id:path}/approve", summary="Approve a pending event", responses=_REVIEW_ERRORS
)
def approve(
    source: str, event_id: str, body: ReviewRequest, store: Stored, now: Now, who: Reviewer
) -> Reviewed:
    """Approve a pending event: it counts from now on. A review is final."""
    return _review(source, event_id, "approve", body, store, now, who)


@router.post(
    "/{source}/{event_id:path}/reject", summary="Reject a pending event", responses=_REVIEW_ERRORS
)
def reject(
    source: str, event_id: str, body: ReviewRequest, store: Stored, now: Now, who: Reviewer
) -> Reviewed:
    """Reject a pending event: it never counts. A review is final."""
    return _review(source, event_id, "reject", body, store, now, who)
