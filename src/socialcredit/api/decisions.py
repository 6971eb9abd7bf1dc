"""`POST /decisions`: a relying party asks whether a subject is eligible for one purpose;
`GET /subjects/{subject}/decisions`: the subject sees every decision about them.

The answer is allow or deny with reasons in plain words, the rulebook versions consulted
and the decision's id; never a score, an entry or a dossier (DESIGN 2.8). A purpose the
party is not registered for is refused with 403, and the refusal is recorded and logged
like any decision. A denial sends the subject an adverse-action notice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from socialcredit.api.auth import Caller, reading_subject, requiring
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES, ApiError
from socialcredit.services.access_log import log_reads
from socialcredit.services.decide import decide, decisions_about

__all__ = ["router"]

router = APIRouter()


class Question(BaseModel):
    """Whom the party asks about, and for what."""

    subject: str = Field(min_length=1, max_length=64, description="The subject's identifier.")
    purpose: str = Field(
        min_length=1, max_length=100, description="A purpose the party is registered for."
    )


class Answer(BaseModel):
    """The decision as the relying party gets it."""

    decision_id: str = Field(description="Quote it to the subject; it is on their record.")
    subject: str
    purpose: str
    decision: Literal["allow", "deny"]
    reasons: list[str] = Field(description="Each consequence's finding, in plain words.")
    rulebooks: list[str] = Field(description="The rulebook@version consulted.")
    decided_at: str


@router.post(
    "/decisions",
    tags=["relying parties"],
    summary="Ask for an eligibility decision",
    status_code=201,
    responses={**ERROR_RESPONSES},
)
def ask(
    question: Question,
    store: Stored,
    now: Now,
    who: Annotated[Caller, Depends(requiring("relying_party"))],
) -> Answer:
    """Allow or deny one purpose for one subject, as of now, with the reasons; the decision
    and the read are recorded and the subject can see both."""
    decision = decide(
        store,
        party=who.principal,
        subject=question.subject,
        purpose=question.purpose,
        as_of=now,
        decided_at=now,
    )
    if decision.outcome == "refused":
        raise ApiError(
            403,
            "purpose_not_registered",
            f"{decision.reasons[0].text}; the refusal is recorded as {decision.decision_id}",
        )
    return Answer.model_validate(decision.answer())


class Made(BaseModel):
    """A decision about the subject, as the subject sees it."""

    decision_id: str
    party: str = Field(description="The relying party that asked.")
    purpose: str
    decision: Literal["allow", "deny", "refused"] = Field(
        description="`refused`: the party was not registered for the purpose."
    )
    reasons: list[str] = Field(description="Each consequence's finding, in plain words.")
    rulebooks: list[str]
    decided_at: datetime


@router.get(
    "/subjects/{subject}/decisions",
    tags=["subjects"],
    summary="Decisions about a subject",
    responses={**ERROR_RESPONSES},
)
def made(
    subject: str,
    store: Stored,
    now: Now,
    who: Annotated[Caller, Depends(reading_subject("admin"))],
) -> list[Made]:
    """Every decision a relying party got about the subject, refusals included, oldest
    first: who asked, for what, the outcome, the reasons, when."""
    found = [Made.model_validate(d) for d in decisions_about(store, subject)]
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="decisions", at=now)
    return found
