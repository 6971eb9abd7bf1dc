"""Credit repair: the subject applies to repair a listing in effect or a penalty still
counting; a reviewer or admin accepts the application for the authority and decides it.

The platform answers within 10 working days of the application and the authority decides
within 3 of the acceptance; each step recorded is the token's principal acting. An
application (`R-...`) is read by its subject, a reviewer or an admin; any other subject is
refused the same way whether it exists or not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from socialcredit.api.auth import Caller, concerning, reading_subject, requiring
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES, ErrorBody
from socialcredit.services.access_log import log_reads
from socialcredit.services.repair import (
    RepairApplication,
    accept_repair,
    apply_for_repair,
    decide_repair,
    repair_application,
    repair_applications,
)

__all__ = ["router"]

router = APIRouter(tags=["repairs"])

Applicant = Annotated[Caller, Depends(reading_subject())]
AnyReader = Annotated[Caller, Depends(reading_subject("admin", "reviewer"))]
Reviewer = Annotated[Caller, Depends(requiring("reviewer", "admin"))]
Concerned = Annotated[Caller, Depends(requiring("subject", "reviewer", "admin"))]

_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    400: {"model": ErrorBody, "description": "The service refused it; the message says why."},
    404: {"model": ErrorBody, "description": "No such application or listing."},
}


class RepairRequest(BaseModel):
    """What is to be repaired, the subject's commitment and the proof of correction."""

    target: str = Field(
        min_length=1,
        max_length=400,
        description="A listing ref (`L-...`) or a penalty's event, `SOURCE/EVENT_ID`.",
    )
    commitment: str = Field(min_length=1, max_length=4000, description="The credit commitment.")
    proof: str = Field(min_length=1, max_length=4000, description="Proof the conduct is corrected.")


class DecisionRequest(BaseModel):
    """The authority's decision, with reasons."""

    outcome: Literal["approved", "rejected"]
    reasons: str = Field(min_length=1, max_length=4000)


class Owed(BaseModel):
    """The next step owed and its deadline."""

    what: str
    by: str


class RepairDecision(BaseModel):
    """The decision recorded."""

    outcome: str
    reasons: str
    by: str
    at: str


class Repair(BaseModel):
    """A repair application: its target, where it stands, its deadlines and decision."""

    application: str = Field(description="The application's ref, `R-...`.")
    subject: str
    target: dict[str, Any]
    state: Literal["applied", "accepted", "approved", "rejected"]
    commitment: str
    proof: str
    applied_at: str
    answer_by: str
    accepted_at: str | None
    accepted_by: str | None
    decide_by: str | None
    owed: Owed | None
    overdue: bool | None = Field(description="Whether the step owed is overdue now.")
    decision: RepairDecision | None


def _shown(found: RepairApplication, now: datetime) -> Repair:
    return Repair.model_validate(found.as_dict(now))


@router.post(
    "/subjects/{subject}/repairs",
    status_code=201,
    summary="Apply for credit repair",
    responses=_ERRORS,
)
def apply(subject: str, body: RepairRequest, store: Stored, now: Now, who: Applicant) -> Repair:
    """Apply to repair one's own listing in effect or penalty still counting; the
    platform's 10 working days start now."""
    found = apply_for_repair(
        store, body.target, commitment=body.commitment, proof=body.proof, at=now, subject=subject
    )
    return _shown(found, now)


@router.post(
    "/repairs/{application}/accept",
    summary="Accept a repair application for decision",
    responses=_ERRORS,
)
def accept(application: str, store: Stored, now: Now, who: Reviewer) -> Repair:
    """The platform's answer: the application is complete and goes to the authority, whose
    3 working days start now. Recorded as the token's principal."""
    return _shown(accept_repair(store, application, by=who.principal, at=now), now)


@router.post(
    "/repairs/{application}/decision",
    summary="Decide a repair application",
    responses=_ERRORS,
)
def decide(
    application: str, body: DecisionRequest, store: Stored, now: Now, who: Reviewer
) -> Repair:
    """Approve or reject, with reasons, as the token's principal; the subject is told.
    Approving a listing repair removes the listing; an entry repair ends the penalty now."""
    found = decide_repair(
        store,
        application,
        approve=body.outcome == "approved",
        reasons=body.reasons,
        by=who.principal,
        at=now,
    )
    return _shown(found, now)


@router.get(
    "/subjects/{subject}/repairs",
    summary="A subject's repair applications",
    responses={**ERROR_RESPONSES},
)
def listed(subject: str, store: Stored, now: Now, who: AnyReader) -> list[Repair]:
    """Every repair application of the subject: state, deadlines, decision."""
    found = [_shown(a, now) for a in repair_applications(store, [subject])]
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="repairs", at=now)
    return found


@router.get("/repairs/{application}", summary="A repair application by its ref", responses=_ERRORS)
def one(application: str, store: Stored, now: Now, who: Concerned) -> Repair:
    """One repair application: its target, state, deadlines and decision; the applicant's
    own, or any for a reviewer or admin (a read logged for the subject)."""
    found = concerning(
        who, lambda: repair_application(store, application), lambda a: a.subject, "repairs"
    )
    log_reads(
        store, who=who.principal, role=who.role, subjects=[found.subject], what="repair", at=now
    )
    return _shown(found, now)
