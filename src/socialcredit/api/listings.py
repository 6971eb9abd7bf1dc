"""Listings: a subject's place on a list (a court's, a regulator's), the appeal the subject
lodges against it, the reviewer's decision on the appeal, and the listing taken off early
(the judgment performed) or withdrawn as wrongful, as `socialcredit listing` does.

A listing is named by its ref (`L-<log position>-<list id>`). Only the subject listed
reads it as subject and appeals; any other subject is refused the same way whether the ref
exists or not. Times in a listing are wall-clock times in its scheme's timezone. Each
action records the token's principal as the one who took it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from socialcredit.api.auth import Caller, concerning, reading_subject, requiring
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from socialcredit.errors import SocialCreditError
from socialcredit.services.access_log import log_reads
from socialcredit.services.casework import (
    act_on_listing,
    appeal_listing,
    find_listing,
    listing_dict,
    listings_of,
    review_listing,
)
from socialcredit.services.listings import SubjectListing
from socialcredit.storage import Store

__all__ = ["router"]

router = APIRouter(tags=["listings"])

AnyReader = Annotated[Caller, Depends(reading_subject("admin", "reviewer"))]
Subject = Annotated[Caller, Depends(requiring("subject"))]
Reviewer = Annotated[Caller, Depends(requiring("reviewer", "admin"))]
Concerned = Annotated[Caller, Depends(requiring("subject", "reviewer", "admin"))]

_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    400: {"model": ErrorBody, "description": "Not a listing ref, or the request is refused."},
    404: {"model": ErrorBody, "description": "No such listing."},
}


class Trigger(BaseModel):
    """The event that proposed the listing."""

    source: str
    id: str


class ListingNotice(BaseModel):
    """The notice served before a listing takes effect."""

    served_at: datetime
    reasons: str
    appeal_by: date = Field(description="The last day to appeal.")
    how_to_appeal: str


class ListingStep(BaseModel):
    """One step of a listing's history."""

    at: datetime
    state: str
    reason: str | None
    cause: str | None


class Listing(BaseModel):
    """A listing: the list, its trigger, where it stands, its notice and its history."""

    ref: str = Field(description="The listing's ref, `L-<log position>-<list id>`.")
    scheme: str
    subject: str
    list_id: str = Field(alias="list", description="The list's id in the rulebook.")
    kind: str
    trigger: Trigger
    state: str | None
    in_effect: bool
    effective_from: datetime | None
    ends: datetime | None
    removal_due: datetime | None
    notice: ListingNotice | None
    steps: list[ListingStep]


class AppealRequest(BaseModel):
    """Why the listing is wrong."""

    grounds: str = Field(min_length=1, max_length=4000)


class ReviewRequest(BaseModel):
    """The decision on an appeal, with the reviewer's reasons."""

    outcome: Literal["upheld", "overturned"]
    reasons: str = Field(min_length=1, max_length=4000)


class ActionRequest(BaseModel):
    """Why the listing is taken off early, or why it was wrong; recorded with the action."""

    reasons: str = Field(min_length=1, max_length=4000)


def _shown(listed: SubjectListing) -> Listing:
    return Listing.model_validate(listing_dict(listed))


@router.get(
    "/subjects/{subject}/listings",
    summary="A subject's listings",
    responses={**ERROR_RESPONSES},
)
def listed(subject: str, store: Stored, now: Now, who: AnyReader) -> list[Listing]:
    """Every listing of the subject, with its notice, appeal window and history."""
    found = [_shown(s) for s in listings_of(store, subject, now)]
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="listings", at=now)
    return found


@router.post("/listings/{ref}/appeal", summary="Appeal against a listing", responses=_WRITE_ERRORS)
def appeal(ref: str, body: AppealRequest, store: Stored, now: Now, who: Subject) -> Listing:
    """Appeal against one's own listing within its appeal window; an appeal the listing's
    state does not admit is recorded, and its history says it had no effect and why."""
    try:
        mine = find_listing(store, ref, now).subject == who.principal
    except SocialCreditError:
        mine = False
    if not mine:
        raise ApiError(
            403,
            "not_own_record",
            f"a subject's token appeals only that subject's own listings; {ref} is not one",
        )
    return _shown(appeal_listing(store, ref, body.grounds, at=now))


@router.post("/listings/{ref}/review", summary="Decide an appeal", responses=_WRITE_ERRORS)
def review(ref: str, body: ReviewRequest, store: Stored, now: Now, who: Reviewer) -> Listing:
    """Uphold or overturn a listing under appeal, with reasons; the reviewer recorded is the
    token's principal."""
    listed = review_listing(store, ref, body.outcome, body.reasons, reviewer=who.principal, at=now)
    return _shown(listed)


@router.get("/listings/{ref}", summary="A listing by its ref", responses=_WRITE_ERRORS)
def one(ref: str, store: Stored, now: Now, who: Concerned) -> Listing:
    """One listing, with its notice, appeal window and history: the listed subject's own, or
    any for a reviewer or admin (a read logged for the subject)."""
    found = concerning(who, lambda: find_listing(store, ref, now), lambda s: s.subject, "listings")
    log_reads(
        store, who=who.principal, role=who.role, subjects=[found.subject], what="listing", at=now
    )
    return _shown(found)


def _act(
    store: Store, ref: str, kind: str, body: ActionRequest, who: Caller, now: datetime
) -> Listing:
    data = {"reasons": body.reasons, "by": who.principal}
    return _shown(act_on_listing(store, ref, kind, data, at=now))


@router.post("/listings/{ref}/removal", summary="Take a listing off early", responses=_WRITE_ERRORS)
def removal(ref: str, body: ActionRequest, store: Stored, now: Now, who: Reviewer) -> Listing:
    """Take a listing off now, before its period ends (the judgment performed, a settlement
    reached); a listing no longer live is left as it is and its history says why."""
    return _act(store, ref, "listing.early_removal", body, who, now)


@router.post(
    "/listings/{ref}/correction", summary="Withdraw a wrongful listing", responses=_WRITE_ERRORS
)
def correction(ref: str, body: ActionRequest, store: Stored, now: Now, who: Reviewer) -> Listing:
    """Withdraw a listing the subject should never have had, with the reasons; it shows as
    `corrected` from now on."""
    return _act(store, ref, "listing.correction", body, who, now)
