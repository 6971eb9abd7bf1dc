"""`GET /review/queue`: the reviewer's work in one list, each item with its kind and ref.

Appeals awaiting review (`POST /listings/{ref}/review`), disputes the source has not
answered, repair applications awaiting acceptance or decision (`POST /repairs/{ref}/...`),
and pending events (`POST /pending/{source}/{event_id}/...`). Listing the queue shows whose
cases they are, so it is logged as a read of each subject in it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from socialcredit.api.auth import Caller, requiring
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES
from socialcredit.services.access_log import log_reads
from socialcredit.services.review_queue import review_queue

__all__ = ["router"]

router = APIRouter(tags=["reviewers"])


class QueueItem(BaseModel):
    """One case awaiting action."""

    kind: Literal["appeal", "dispute", "repair", "pending_event"]
    ref: str = Field(description="L-... (appeal), X-... (dispute), R-... (repair), SOURCE/ID.")
    subject: str
    state: str
    since: str = Field(description="Since when it waits.")
    due: str | None = Field(description="By when the next step is owed, where one is set.")


@router.get("/review/queue", summary="Everything awaiting review", responses={**ERROR_RESPONSES})
def queue(
    store: Stored, now: Now, who: Annotated[Caller, Depends(requiring("reviewer", "admin"))]
) -> list[QueueItem]:
    """Appeals awaiting review, open disputes, repair applications awaiting a decision and
    pending events, each kind oldest first."""
    items = review_queue(store, now)
    log_reads(
        store,
        who=who.principal,
        role=who.role,
        subjects=[i.subject for i in items],
        what="review queue",
        at=now,
    )
    return [QueueItem.model_validate(i, from_attributes=True) for i in items]
