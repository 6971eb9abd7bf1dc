"""`GET /lists/{list_id}/{subject}`: whether a subject is on a list whose legal basis
provides for its publication. No token is needed, so nothing else is shown.

A court's list of judgment defaulters may be published by law; most lists may not, and
showing them to anyone would be the public shaming display the design rules out (DESIGN
2.11). So only a list its rulebook marks as published answers; the rulebook format has no
mark for it yet, and until a `[[list]]` can say so, no list is open and every lookup is
answered 404. An open list answers a lookup of one subject, never a listing of everyone on
it, with the least that publication needs: the subject, the list, since when, and the
legal basis; and each lookup is logged for the subject to see under `/access`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ApiError, ErrorBody
from socialcredit.services.access_log import log_reads
from socialcredit.services.casework import listings_of
from socialcredit.services.listings import SubjectListing
from socialcredit.services.schemes import Scheme, published_schemes

__all__ = ["open_to_lookup", "router"]

router = APIRouter(tags=["public"])


class PublicListing(BaseModel):
    """A listing in effect on a published list, as the public may see it."""

    subject: str = Field(description="The identifier looked up; the ledger holds no names.")
    list_id: str = Field(alias="list", description="The list's id in the rulebook.")
    since: date = Field(description="The day the listing took effect, in the list's timezone.")
    basis: str = Field(description="The legal basis of the list, and the rulebook@version.")


def open_to_lookup(definition: Any) -> bool:
    """Whether a list's rulebook marks it as published (see the module docstring)."""
    return getattr(definition, "public", False) is True


def _definitions(schemes: list[Scheme], list_id: str) -> list[Any]:
    return [
        d
        for scheme in schemes
        for segment in scheme.plan.segments
        for d in segment.lists
        if d.id == list_id
    ]


def _basis(listed: SubjectListing) -> str:
    versions = (v for s in listed.scheme.plan.segments for v in s.versions)
    defining = [v for v in versions if any(d.id == listed.definition.id for d in v.lists)]
    last = defining[-1]
    return f"{last.source or last.title} ({last.key})"


@router.get(
    "/lists/{list_id}/{subject}",
    summary="Whether a subject is on a published list",
    responses={
        404: {
            "model": ErrorBody,
            "description": "No such list, the list is not published, or the subject is not on it.",
        },
        422: {"model": ErrorBody, "description": "The path fails validation."},
    },
)
def lookup(list_id: str, subject: str, store: Stored, now: Now) -> PublicListing:
    """The subject's listing in effect on a list whose legal basis provides for its
    publication: since when, and on what basis. Every lookup is logged for the subject."""
    definitions = _definitions(published_schemes(store), list_id)
    if not any(open_to_lookup(d) for d in definitions):
        why = "is in no published rulebook" if not definitions else "is not published"
        raise ApiError(404, "not_found", f"the list {list_id!r} {why}; no lookup is open on it")
    log_reads(
        store,
        who="public",
        role="public",
        subjects=[subject],
        what=f"public lookup on {list_id}",
        at=now,
    )
    for listed in listings_of(store, subject, now):
        listing = listed.listing
        if (
            listed.definition.id == list_id
            and open_to_lookup(listed.definition)
            and listing.in_effect_at(listing.as_of)
            and listing.effective_from is not None
        ):
            return PublicListing.model_validate(
                {
                    "subject": subject,
                    "list": list_id,
                    "since": listing.effective_from.date(),
                    "basis": _basis(listed),
                }
            )
    raise ApiError(404, "not_found", f"no listing in effect on {list_id!r} for that subject")
