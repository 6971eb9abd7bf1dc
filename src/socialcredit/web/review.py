"""The reviewer's pages: the queue (`GET /review/queue`) and a page per case with the form
that decides it, as the API does: an appeal upheld or overturned, a repair application
accepted and then approved or rejected, a pending report approved or rejected. A dispute is
answered by its source, so its page shows where it stands and by when the source must answer;
its form removes the entry the source cannot substantiate, or leaves the dispute to the
source.

Reviewers and operators only (the API's `requiring("reviewer", "admin")`). Every case page
shows a subject's personal data, so each view is logged for that subject to see.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from socialcredit.api import disputes as disputes_api
from socialcredit.api import listings as listings_api
from socialcredit.api import queue as queue_api
from socialcredit.api import repairs as repairs_api
from socialcredit.api import review as review_api
from socialcredit.api.auth import Caller
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ApiError
from socialcredit.services.access_log import log_reads
from socialcredit.services.casework import find_listing, listing_dict
from socialcredit.services.dispute_casework import dispute_dict, find_dispute
from socialcredit.services.registry import awaiting_review
from socialcredit.services.repair import repair_application
from socialcredit.storage import Store
from socialcredit.web.pages import PageRoute, redirect, render, validated
from socialcredit.web.session import Posted, signed_in

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Reviewer = Annotated[Caller, Depends(signed_in("reviewer", "admin"))]


def _logged(store: Store, who: Caller, subject: str, what: str, now: datetime) -> None:
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what=what, at=now)


def _overdue(due: str | None, now: datetime) -> bool:
    """Whether a deadline (a day, or a moment with its offset) has passed by `now`."""
    if not due:
        return False
    moment = datetime.fromisoformat(due)
    if moment.tzinfo is None:
        return moment.date() < now.date()
    return moment < now


@router.get("/review")
def queue(request: Request, store: Stored, now: Now, who: Reviewer) -> Response:
    """Everything awaiting review, each with a link to its case."""
    items = [
        {**i.model_dump(), "overdue": _overdue(i.due, now)}
        for i in queue_api.queue(store, now, who)
    ]
    return render(request, "review.html", items=items)


@router.get("/review/appeal/{ref}")
def appeal_case(ref: str, request: Request, store: Stored, now: Now, who: Reviewer) -> Response:
    """A listing under appeal, and the form that decides the appeal."""
    listed = find_listing(store, ref, now)
    _logged(store, who, listed.subject, "listing", now)
    return render(request, "case_appeal.html", listing=listing_dict(listed))


@router.post("/review/appeal/{ref}")
def decide_appeal(ref: str, store: Stored, now: Now, who: Reviewer, form: Posted) -> Response:
    """Uphold or overturn the appeal (`POST /listings/{ref}/review`)."""
    body = validated(
        listings_api.ReviewRequest,
        outcome=form.get("outcome", ""),
        reasons=form.get("reasons", "").strip(),
    )
    listings_api.review(ref, body, store, now, who)
    return redirect("/review?done=reviewed")


@router.get("/review/dispute/{ref}")
def dispute_case(ref: str, request: Request, store: Stored, now: Now, who: Reviewer) -> Response:
    """An open dispute: what is disputed, where it stands and its deadlines."""
    found = find_dispute(store, ref, now)
    _logged(store, who, found.subject, "dispute", now)
    return render(request, "case_dispute.html", dispute=dispute_dict(found))


@router.post("/review/dispute/{ref}")
def decide_dispute(ref: str, store: Stored, now: Now, who: Reviewer, form: Posted) -> Response:
    """Remove the entry or leave the dispute to the source (`POST /disputes/{ref}/review`)."""
    body = validated(
        disputes_api.ReviewRequest,
        outcome=form.get("outcome", ""),
        reasons=form.get("reasons", "").strip(),
    )
    disputes_api.review(ref, body, store, now, who)
    return redirect("/review?done=reviewed")


@router.get("/review/repair/{application}")
def repair_case(
    application: str, request: Request, store: Stored, now: Now, who: Reviewer
) -> Response:
    """A repair application, and the form for the step it awaits."""
    found = repair_application(store, application)
    _logged(store, who, found.subject, "repair", now)
    return render(request, "case_repair.html", repair=found.as_dict(now))


@router.post("/review/repair/{application}/accept")
def accept_repair(
    application: str, store: Stored, now: Now, who: Reviewer, form: Posted
) -> Response:
    """Accept the application for decision (`POST /repairs/{application}/accept`)."""
    repairs_api.accept(application, store, now, who)
    return redirect(f"/review/repair/{application}?done=accepted")


@router.post("/review/repair/{application}/decision")
def decide_repair(
    application: str, store: Stored, now: Now, who: Reviewer, form: Posted
) -> Response:
    """Approve or reject the application (`POST /repairs/{application}/decision`)."""
    body = validated(
        repairs_api.DecisionRequest,
        outcome=form.get("outcome", ""),
        reasons=form.get("reasons", "").strip(),
    )
    repairs_api.decide(application, body, store, now, who)
    return redirect("/review?done=reviewed")


def _pending(store: Store, source: str, event_id: str) -> dict[str, Any]:
    rows = awaiting_review(store).to_dicts()
    found = next((r for r in rows if (r["source"], r["id"]) == (source, event_id)), None)
    if found is None:
        raise ApiError(404, "not_found", f"no pending event {source}/{event_id} awaits review")
    return {**found, "data": json.loads(found["data"])}


@router.get("/review/pending/{source}/{event_id:path}")
def pending_case(
    source: str, event_id: str, request: Request, store: Stored, now: Now, who: Reviewer
) -> Response:
    """A report awaiting review, and the forms to approve or reject it."""
    event = _pending(store, source, event_id)
    _logged(store, who, event["subject"], "pending event", now)
    return render(request, "case_pending.html", event=event)


@router.post("/review/pending/{source}/{event_id:path}")
def decide_pending(
    source: str, event_id: str, store: Stored, now: Now, who: Reviewer, form: Posted
) -> Response:
    """Approve or reject the report (`POST /pending/{source}/{event_id}/approve|reject`)."""
    body = validated(review_api.ReviewRequest, reason=form.get("reason", "").strip())
    decision = form.get("decision")
    if decision == "approve":
        review_api.approve(source, event_id, body, store, now, who)
    elif decision == "reject":
        review_api.reject(source, event_id, body, store, now, who)
    else:
        raise ApiError(422, "invalid_request", "decision: choose approve or reject")
    return redirect("/review?done=reviewed")
