"""`POST /events`: a source submits a batch of events in the wire format.

The batch is recorded as one, as the command line's `ingest` records a batch of a file: a
bad event never stops the good ones and never half-applies, and each event gets its result
(new, pending, exists, or rejected with the field and the reason, as in a quarantine file).
Sending a batch again is safe: what is stored already is `exists`. A source reports only
the event types it is registered for, and only as itself.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from socialcredit.api.auth import Caller, requiring
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES
from socialcredit.services.ingest import ingest_records

__all__ = ["router"]

router = APIRouter()

MAX_BATCH = 10_000

# The wire format, for the OpenAPI document. Each event is checked by the recorder, one by
# one, so that one bad event is a rejected row and not a refused batch.
WIRE_EVENT = {
    "type": "object",
    "title": "Event",
    "description": (
        "One reported act, as in the NDJSON wire format. `(source, id)` is the idempotency "
        "key; `source` may be left out (it is the token's source) and must not name another."
    ),
    "properties": {
        "id": {"type": "string", "description": "The source's own id for the event."},
        "source": {"type": "string", "description": "The reporting source's id."},
        "subject": {"type": "string", "description": "The subject's identifier."},
        "subject_kind": {
            "type": "string",
            "enum": ["person", "organisation", "opaque"],
            "description": "Needed when the event type scores more than one kind.",
        },
        "type": {"type": "string", "description": "An event type of a published rulebook."},
        "occurred_at": {"type": "string", "description": "ISO 8601 date or time of the act."},
        "jurisdiction": {"type": "string"},
        "act": {"type": "string", "description": "Groups the events that are one act."},
        "data": {"type": "object", "description": "The type's fields, e.g. amount_cny."},
    },
    "required": ["id", "subject", "type", "occurred_at"],
    "example": {
        "id": "tj-2024-000123",
        "subject": "371003199003071236",
        "type": "traffic.fine",
        "occurred_at": "2024-03-01T09:30:00+08:00",
        "jurisdiction": "371003",
        "data": {"amount_cny": 800},
    },
}
WireEvent = Annotated[Any, WithJsonSchema(WIRE_EVENT)]


class EventBatch(BaseModel):
    """Events from the token's source, recorded together."""

    events: list[WireEvent] = Field(min_length=1, max_length=MAX_BATCH)


class RowResult(BaseModel):
    """What became of one event of the batch."""

    model_config = ConfigDict(from_attributes=True)

    line: int = Field(description="The event's place in the batch, 1 for the first.")
    id: str | None = Field(description="The event's id as sent.")
    outcome: Literal["new", "pending", "exists", "rejected"] = Field(
        description="pending: new, awaiting corroboration or review (a low-trust source)."
    )
    field: str | None = Field(description="The field at fault, for a rejected event.")
    reason: str | None = Field(description="Why it was rejected: what to fix.")
    warnings: list[str] = Field(description="Notes on a recorded event.")


class BatchResult(BaseModel):
    """The result of every event of the batch, in order, and how many had each outcome."""

    source: str
    counts: dict[str, int]
    rows: list[RowResult]


@router.post(
    "/events",
    tags=["sources"],
    summary="Submit a batch of events",
    responses={**ERROR_RESPONSES},
)
def submit_events(
    batch: EventBatch,
    store: Stored,
    now: Now,
    who: Annotated[Caller, Depends(requiring("source"))],
) -> BatchResult:
    """Record a batch of events from the token's source, in one transaction. Each event's
    result says whether it is new, pending review, stored before, or rejected and why."""
    results = ingest_records(store, batch.events, source=who.principal, recorded_at=now)
    rows = [RowResult.model_validate(r) for r in results]
    outcomes = ("new", "pending", "exists", "rejected")
    counts = {o: sum(r.outcome == o for r in rows) for o in outcomes}
    return BatchResult(source=who.principal, counts=counts, rows=rows)
